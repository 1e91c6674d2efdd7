//! The seams for STARTTLS and AUTH (tls-auth.md section 2): the engine
//! drives the wire (commands, replies, EHLO again); what happens in between
//! (the TLS context and handshake, the SASL mechanism) comes from a
//! [`SecuritySteps`] implementation the C layer supplies. [`NoSecurity`]
//! is the default: no TLS context, no auth context.

use std::net::TcpStream;

use openssl::ssl::SslStream;

use crate::core::error::Error;
use crate::core::events::SessionHooks;
use crate::core::model::Session;

/// How the TLS handshake after a 2xx STARTTLS reply ended.
#[derive(Debug)]
pub enum TlsHandshake {
    /// Handshake done and every check passed (STARTTLS_OK was reported):
    /// the engine installs the stream and sends EHLO again.
    Established(SslStream<TcpStream>),
    /// Handshake done but a check failed and the application did not
    /// override it: QUIT over TLS, no error code.
    ChecksFailed(SslStream<TcpStream>),
    /// The SSL object could not be made or the handshake failed: the
    /// connection is closed without QUIT, `SMTP_ERR_CLIENT_ERROR`.
    Failed,
}

/// The start of a SASL exchange: the mechanism's own spelling and its
/// initial response (raw bytes, the engine base64-encodes them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthStart {
    pub keyword: String,
    pub initial_response: Option<Vec<u8>>,
}

/// One SASL client exchange (the auth context of the session).
pub trait AuthClient {
    /// Tries to make `mechanism` the current one (auth_set_mechanism);
    /// `None` if it cannot be used.
    fn select(&mut self, mechanism: &str) -> Option<AuthStart>;

    /// The response to a decoded challenge; `None` cancels (`*`).
    fn respond(&mut self, challenge: &[u8]) -> Option<Vec<u8>>;

    /// Security strength of the mechanism that succeeded (0 = no layer).
    fn ssf(&self) -> i32;
}

/// STARTTLS and AUTH as the engine needs them.
pub trait SecuritySteps {
    /// A TLS context is available for STARTTLS (creating it may raise TLS
    /// events through `hooks`).
    fn tls_context_available(&mut self, _session: &Session, _hooks: &mut dyn SessionHooks) -> bool {
        false
    }

    /// Runs the TLS handshake over `tcp` (after the 2xx STARTTLS reply),
    /// including the certificate checks and their events.
    fn tls_handshake(
        &mut self,
        _session: &Session,
        _tcp: TcpStream,
        _hooks: &mut dyn SessionHooks,
    ) -> TlsHandshake {
        TlsHandshake::Failed
    }

    /// The auth context, if one is attached and usable (it has an interact
    /// callback).
    fn auth_client(&mut self) -> Option<&mut dyn AuthClient> {
        None
    }

    /// A SASL exchange with a security layer succeeded: libESMTP forgets the
    /// auth context so AUTH is not repeated.
    fn auth_layer_established(&mut self) {}

    /// The error a failing step maps to (for completeness; the engine uses
    /// `SMTP_ERR_CLIENT_ERROR` for TLS failures).
    fn tls_error(&self) -> Error {
        Error::ClientError
    }
}

/// No TLS context and no auth context.
#[derive(Debug, Default)]
pub struct NoSecurity;

impl SecuritySteps for NoSecurity {}
