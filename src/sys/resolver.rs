//! getaddrinfo(3), so /etc/hosts and nsswitch behave as with libESMTP.
