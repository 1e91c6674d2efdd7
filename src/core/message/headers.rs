//! The RFC 5322 header engine (libESMTP's headers.c behaviour).

/// Per-message header settings made through `smtp_set_header` and
/// `smtp_set_header_option`.
#[derive(Debug, Default)]
pub struct HeaderTable {}
