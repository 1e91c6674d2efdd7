//! C ABI: appdata.
