//! Dot-stuffing for the DATA path.
