//! C ABI: session.
