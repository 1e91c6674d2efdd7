//! C ABI: status.
