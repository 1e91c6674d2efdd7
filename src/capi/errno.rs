//! C ABI: errno.
