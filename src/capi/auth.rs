//! C ABI: auth.
