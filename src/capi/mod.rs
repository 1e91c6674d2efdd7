//! The C ABI of libESMTP 1.1: the only place with `extern "C"`.
#![allow(non_camel_case_types)]
// c_long and c_ulong are 32 bits on some targets: keep the conversions.
#![allow(clippy::useless_conversion)]

#[macro_use]
pub mod macros;
pub mod appdata;
pub mod auth;
pub mod callbacks;
pub mod errno;
pub mod etrn;
pub mod handles;
pub mod headers;
pub mod message;
pub mod recipient;
pub mod session;
pub mod starttls;
pub mod status;
pub mod strerror;
pub mod version;
