//! Transport: TCP connection, timeouts, buffered I/O and TLS.

pub mod sio;
pub mod tcp;
pub mod tls;
