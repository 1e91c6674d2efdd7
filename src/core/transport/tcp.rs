//! Resolving and connecting: every address in order, with timeouts.
