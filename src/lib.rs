//! esmtp-rs: a memory-safe, drop-in replacement for libESMTP 1.1 (`libesmtp.so.6`).
//!
//! `core` is the safe SMTP client (no FFI); `sys` holds the few safe wrappers
//! around libc that the core needs (resolver, local time, host name); `capi`
//! is the C ABI of libESMTP 1.1 on top of both.

pub mod capi;
pub mod core;
pub mod sys;
