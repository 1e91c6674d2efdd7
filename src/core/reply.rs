//! SMTP reply parsing (RFC 5321 multi-line replies, RFC 3463 enhanced codes).
