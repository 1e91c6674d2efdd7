//! Buffered, timed reads and writes over the connection (plain or TLS), feeding the monitor.
