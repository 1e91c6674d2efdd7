//! The seams for STARTTLS and AUTH (tls-auth.md sections 2, 4 and 10).
//!
//! The engine drives the wire: the STARTTLS command and its reply, the
//! plaintext-injection check, installing the TLS stream and sending EHLO
//! again; the AUTH exchange runs over an [`AuthTransport`] the engine
//! provides. What sits in between comes from a [`SecuritySteps`]:
//! * [`StandardSecurity`]: STARTTLS with the TLS module
//!   (`transport::tls::Starttls`: the session's or a built SSL_CTX, the
//!   handshake, the checks and their events) and AUTH through an optional
//!   [`AuthHook`] — the C layer implements it over the session's
//!   `auth_context_t` with `sasl::smtp::authenticate`;
//! * [`NoSecurity`]: neither (tests).

use std::net::TcpStream;

use crate::core::error::{Error, Result};
use crate::core::events::SessionHooks;
use crate::core::model::Session;
use crate::core::transport::tls::Starttls;

pub use crate::core::sasl::smtp::{AuthOutcome, AuthParams, AuthReply, AuthTransport};
pub use crate::core::transport::tls::Handshake;

/// The session's auth context, as the C layer exposes it to the engine.
pub trait AuthHook {
    /// Runs the AUTH exchange with the session's context
    /// (`sasl::smtp::authenticate`); `None` when no usable context is
    /// attached (the engine then goes on as without AUTH).
    fn authenticate(
        &mut self,
        mechanisms: &[String],
        params: &AuthParams,
        transport: &mut dyn AuthTransport,
    ) -> Option<Result<AuthOutcome>>;

    /// The EXTERNAL identity from the local certificate after a TLS
    /// handshake (libESMTP's `auth_set_external_id` on the session's context).
    fn set_external_id(&mut self, _identity: &str) {}

    /// A mechanism with a security layer succeeded: libESMTP clears the
    /// session's auth context so AUTH is not repeated (tls-auth.md 10.6).
    fn forget_context(&mut self) {}
}

/// STARTTLS and AUTH as the engine needs them.
pub trait SecuritySteps {
    /// After a 2xx EHLO listing STARTTLS (mode not DISABLED, TLS not
    /// active, not authenticated): is a TLS context available? Making one
    /// may raise the TLS file events.
    fn tls_context_available(&mut self, _session: &Session, _hooks: &mut dyn SessionHooks) -> bool {
        false
    }

    /// After the 2xx reply to STARTTLS: the handshake and the checks.
    fn tls_handshake(
        &mut self,
        _session: &Session,
        _tcp: TcpStream,
        _hooks: &mut dyn SessionHooks,
    ) -> Handshake {
        Handshake::Failed {
            error: Error::ClientError,
        }
    }

    /// The AUTH exchange; `None` when there is no auth context.
    fn authenticate(
        &mut self,
        _mechanisms: &[String],
        _params: &AuthParams,
        _transport: &mut dyn AuthTransport,
    ) -> Option<Result<AuthOutcome>> {
        None
    }

    /// See [`AuthHook::set_external_id`].
    fn set_external_id(&mut self, _identity: &str) {}

    /// See [`AuthHook::forget_context`].
    fn auth_layer_established(&mut self) {}
}

/// No TLS context and no auth context.
#[derive(Debug, Default)]
pub struct NoSecurity;

impl SecuritySteps for NoSecurity {}

/// STARTTLS with the TLS module; AUTH through `auth` if given.
pub struct StandardSecurity<'a> {
    tls: Starttls,
    auth: Option<&'a mut dyn AuthHook>,
}

impl<'a> StandardSecurity<'a> {
    pub fn new(auth: Option<&'a mut dyn AuthHook>) -> StandardSecurity<'a> {
        StandardSecurity {
            tls: Starttls::new(),
            auth,
        }
    }
}

impl SecuritySteps for StandardSecurity<'_> {
    fn tls_context_available(&mut self, session: &Session, hooks: &mut dyn SessionHooks) -> bool {
        self.tls.prepare_context(session, hooks)
    }

    fn tls_handshake(
        &mut self,
        session: &Session,
        tcp: TcpStream,
        hooks: &mut dyn SessionHooks,
    ) -> Handshake {
        self.tls.handshake(session, tcp, hooks)
    }

    fn authenticate(
        &mut self,
        mechanisms: &[String],
        params: &AuthParams,
        transport: &mut dyn AuthTransport,
    ) -> Option<Result<AuthOutcome>> {
        self.auth
            .as_mut()?
            .authenticate(mechanisms, params, transport)
    }

    fn set_external_id(&mut self, identity: &str) {
        if let Some(auth) = self.auth.as_mut() {
            auth.set_external_id(identity);
        }
    }

    fn auth_layer_established(&mut self) {
        if let Some(auth) = self.auth.as_mut() {
            auth.forget_context();
        }
    }
}
