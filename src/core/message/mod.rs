//! The message data path: reading the application's message, the header
//! engine, dot-stuffing and chunking.

pub mod date;
pub mod dotstuff;
pub mod headers;
pub mod reader;
pub mod transfer;
