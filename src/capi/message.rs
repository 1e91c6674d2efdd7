//! C ABI: message.
