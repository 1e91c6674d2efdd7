//! C ABI: callbacks.
