//! The safe core: everything about SMTP, with no FFI in it.
#![forbid(unsafe_code)]

pub mod commands;
pub mod error;
pub mod events;
pub mod extensions;
pub mod line_breaks;
pub mod message;
pub mod model;
pub mod protocol;
pub mod reply;
pub mod sasl;
pub mod small_bytes;
pub mod spare;
pub mod stable_vec;
pub mod status;
pub mod transport;
