//! RFC 5322 date-time formatting for the generated Date header.
