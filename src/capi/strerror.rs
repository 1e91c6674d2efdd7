//! C ABI: strerror.
