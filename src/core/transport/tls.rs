//! TLS for STARTTLS: the client context, handshake and peer verification.
