//! C ABI: etrn.
