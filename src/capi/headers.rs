//! C ABI: headers.
