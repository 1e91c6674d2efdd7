//! C ABI: macros.
