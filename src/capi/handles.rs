//! C ABI: handles.
