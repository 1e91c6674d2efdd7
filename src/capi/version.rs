//! C ABI: version.
