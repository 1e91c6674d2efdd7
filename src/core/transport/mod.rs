//! Transport: TCP connection, timeouts, buffered I/O and TLS.
