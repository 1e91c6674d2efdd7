//! STARTTLS as one object for the protocol engine's security seam: keeps
//! the context between "is a context available?" (after the EHLO reply)
//! and the handshake (after the 2xx reply to STARTTLS), and takes the
//! reference name, certificate file names and timeout from the session.

use std::net::TcpStream;
use std::time::Duration;

use openssl::ssl::SslContext;

use super::context::{session_context, TlsFiles};
use super::handshake::{handshake, Handshake, HandshakeParams};
use crate::core::error::Error;
use crate::core::events::SessionHooks;
use crate::core::model::Session;

/// One connection's STARTTLS state.
#[derive(Debug, Default)]
pub struct Starttls {
    ctx: Option<SslContext>,
    files: Option<TlsFiles>,
    external_id: Option<String>,
}

impl Starttls {
    pub fn new() -> Starttls {
        Starttls::default()
    }

    /// After a 2xx EHLO reply that lists STARTTLS, with the mode not
    /// DISABLED, TLS not active and not authenticated: gets the session's
    /// context (the application's, or one built from the files, raising
    /// the file events). `false`: none; the engine continues in clear
    /// (ENABLED) or fires EXTNA_STARTTLS and quits (REQUIRED).
    pub fn prepare_context(&mut self, session: &Session, hooks: &mut dyn SessionHooks) -> bool {
        let files = TlsFiles::from_env();
        self.ctx = session_context(session, &files, hooks);
        self.files = Some(files);
        self.ctx.is_some()
    }

    /// After the 2xx reply to STARTTLS (and the engine's check that no
    /// plaintext is buffered): the handshake and checks. Reference name:
    /// the host given to `smtp_set_server`; host certificate files: that
    /// name, then the resolver's canonical name; timeout: the greeting
    /// timeout. Without a prepared context: `Failed`.
    pub fn handshake(
        &mut self,
        session: &Session,
        tcp: TcpStream,
        hooks: &mut dyn SessionHooks,
    ) -> Handshake {
        let Some(ctx) = self.ctx.take() else {
            return Handshake::Failed {
                error: Error::ClientError,
            };
        };
        let files = self.files.take().unwrap_or_else(TlsFiles::from_env);
        let host = session
            .server
            .as_ref()
            .map(|s| s.host.clone())
            .unwrap_or_default();
        let canonical = session.canonical_name.borrow().clone();
        let mut names: Vec<&str> = vec![host.as_str()];
        if let Some(c) = canonical.as_deref() {
            names.push(c);
        }
        let greeting = u64::try_from(session.timeouts.greeting).unwrap_or(0);
        let params = HandshakeParams {
            server_name: &host,
            cert_file_names: &names,
            timeout: Some(Duration::from_millis(greeting)),
            files: &files,
        };
        let outcome = handshake(&ctx, tcp, &params, hooks);
        if let Handshake::Established { external_id, .. } = &outcome {
            self.external_id = external_id.clone();
        }
        outcome
    }

    /// The EXTERNAL identity from the local certificate of the last
    /// established handshake (libESMTP passes it to the session's auth
    /// context with `auth_set_external_id`).
    pub fn take_external_id(&mut self) -> Option<String> {
        self.external_id.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handshake_without_context_fails_cleanly() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let tcp = TcpStream::connect(addr).expect("connect");
        let mut steps = Starttls::new();
        struct NoHooks;
        impl SessionHooks for NoHooks {
            fn event(&mut self, _: crate::core::events::Event<'_>, _: Option<&mut i32>) {}
            fn has_event_callback(&self) -> bool {
                false
            }
            fn monitor(&mut self, _: &[u8], _: crate::core::events::MonitorKind) {}
            fn has_monitor(&self) -> bool {
                false
            }
            fn message_rewind(&mut self, _: usize) {}
            fn message_read(&mut self, _: usize) -> crate::core::events::MessageBlock<'_> {
                crate::core::events::MessageBlock {
                    data: &[],
                    errno: 0,
                }
            }
        }
        let out = steps.handshake(&Session::default(), tcp, &mut NoHooks);
        assert!(matches!(
            out,
            Handshake::Failed {
                error: Error::ClientError
            }
        ));
        assert_eq!(steps.take_external_id(), None);
    }
}
