//! The SMTP protocol engine: one session run over one connection.
