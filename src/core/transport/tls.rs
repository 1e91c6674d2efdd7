//! TLS for STARTTLS: libESMTP 1.1's decisions, certificate files, checks
//! and events (tls-auth.md 3–8), without its crashes and holes.
//!
//! The protocol engine's calls, in order:
//!
//! 1. After a 2xx EHLO reply: [`select_starttls`] (or the pure
//!    [`decide::after_ehlo`] + [`session_context`] + [`decide::after_context`]);
//!    after a 2xx HELO: [`decide::after_helo`].
//! 2. After the reply to `STARTTLS`: [`decide::starttls_reply`]; on
//!    `Handshake`, [`decide::check_no_pending_plaintext`] with the number of
//!    bytes left in the read buffer, then [`handshake::handshake`].
//! 3. With [`Handshake::Established`], swap the stream in and send EHLO
//!    again; pass `external_id` to the auth context.

pub mod context;
pub mod decide;
pub mod files;
pub mod handshake;
pub mod steps;
pub mod verify;

pub use context::{
    build_context, select_starttls, session_context, set_password_callback, PasswordCallback,
    Selection, TlsFiles,
};
pub use decide::{
    check_no_pending_plaintext, starttls_reply, ContextStep, EhloStep, Mode, ReplyAction,
};
pub use handshake::{handshake, Handshake, HandshakeParams};
pub use steps::Starttls;
