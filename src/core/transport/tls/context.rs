//! The TLS client context (tls-auth.md 5): the application's own
//! `SSL_CTX`, or the one built from libESMTP's certificate files, with the
//! process-global pass-phrase callback.
//!
//! Unlike libESMTP 1.1.0 (quirk Q1: one process-wide context without a
//! reference, double free / use-after-free with a second session), a
//! context is built for each STARTTLS and owned by reference counting
//! (`SslContext` is `SSL_CTX_up_ref`/`SSL_CTX_free`), so sessions one after
//! another and in parallel threads are independent. Files and the
//! callback are therefore read again at every STARTTLS.

use std::fs;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::{Arc, Mutex};

use openssl::error::ErrorStack;
use openssl::pkey::{PKey, Private};
use openssl::ssl::{SslContext, SslContextBuilder, SslMethod, SslVerifyMode, SslVersion};
use openssl::x509::X509;

use super::decide::{self, ContextStep, EhloStep, Mode};
use super::files::{check_dir, check_file, config_dir, FileState, Layout};
use crate::core::events::{Event, SessionHooks};
use crate::core::model::Session;

/// The pass-phrase callback: fills the buffer (OpenSSL's, 1024 bytes) and
/// returns the length, or `None` to refuse. `rwflag` is always 0
/// (decryption). The C layer wraps `smtp_starttls_passwordcb_t` + `arg`.
pub type PasswordCallback = Arc<dyn Fn(&mut [u8]) -> Option<usize> + Send + Sync>;

static PASSWORD_CALLBACK: Mutex<Option<PasswordCallback>> = Mutex::new(None);

/// `smtp_starttls_set_password_cb`: process-global, mutex-protected; there
/// is no way to unset it (libESMTP rejects NULL).
pub fn set_password_callback(cb: PasswordCallback) {
    let mut slot = PASSWORD_CALLBACK
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    *slot = Some(cb);
}

/// The callback in force now. Cloned out so the lock is not held while
/// application code runs.
fn password_callback() -> Option<PasswordCallback> {
    PASSWORD_CALLBACK
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone()
}

/// Where the certificate files are looked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// `None`: neither `XDG_CONFIG_DIR` nor `HOME` is set; no files.
    pub layout: Option<Layout>,
}

impl TlsFiles {
    /// libESMTP's layout from the environment (5.3).
    pub fn from_env() -> TlsFiles {
        TlsFiles {
            layout: config_dir().map(|dir| Layout { dir }),
        }
    }

    /// A given configuration directory (the `libesmtp` directory itself).
    pub fn in_dir(dir: &Path) -> TlsFiles {
        TlsFiles {
            layout: Some(Layout {
                dir: dir.to_path_buf(),
            }),
        }
    }
}

/// A client certificate file read from disk.
pub(crate) enum ClientCert {
    /// Certificate (first in the file), the rest of the chain, and the key.
    Loaded {
        cert: X509,
        chain: Vec<X509>,
        key: PKey<Private>,
    },
    /// The file holds no certificate: no event (quirk Q11, reproduced).
    NoCertificate,
    /// The certificate loaded but the key did not (wrong or missing pass
    /// phrase, no key, key not matching): `NO_CLIENT_CERTIFICATE`.
    KeyUnusable,
}

/// Reads a PEM file holding a certificate (chain) and its private key, using
/// the pass-phrase callback for an encrypted key. Without a callback an
/// encrypted key is refused (libESMTP fell back to OpenSSL's terminal
/// prompt, quirk Q30: a library must not prompt).
pub(crate) fn load_client_cert(path: &Path) -> ClientCert {
    let Ok(pem) = fs::read(path) else {
        return ClientCert::NoCertificate;
    };
    let mut certs = match X509::stack_from_pem(&pem) {
        Ok(certs) if !certs.is_empty() => certs,
        _ => return ClientCert::NoCertificate,
    };
    let cert = certs.remove(0);
    let cb = password_callback();
    // The openssl crate resumes a panic from the callback after OpenSSL
    // returns (it calls the closure at most once and panics on a second
    // call): never let that reach the host.
    let key = catch_unwind(AssertUnwindSafe(|| {
        PKey::private_key_from_pem_callback(&pem, |buf| match &cb {
            Some(cb) => match cb(buf) {
                Some(n) if n <= buf.len() => Ok(n),
                _ => Err(ErrorStack::get()),
            },
            None => Err(ErrorStack::get()),
        })
    }));
    let key = match key {
        Ok(Ok(key)) => key,
        _ => return ClientCert::KeyUnusable,
    };
    let matches = cert
        .public_key()
        .map(|public| public.public_eq(&key))
        .unwrap_or(false);
    if !matches {
        return ClientCert::KeyUnusable;
    }
    ClientCert::Loaded {
        cert,
        chain: certs,
        key,
    }
}

/// Builds the context libESMTP would build (5.2, 5.5), raising the file
/// events through `hooks`. `None` when creation fails.
///
/// Settings: TLS client method, TLS 1.2 minimum (libESMTP: 1.0; documented
/// difference), OpenSSL's default ciphers, verify mode none (the handshake
/// completes; the verification result is judged afterwards, 6). Loading
/// order: the user certificate, `ca.pem`, `ca/`, and only if neither CA
/// location exists, OpenSSL's default trust store (quirk Q10, reproduced).
pub fn build_context(files: &TlsFiles, hooks: &mut dyn SessionHooks) -> Option<SslContext> {
    let mut builder = new_builder().ok()?;
    let Some(layout) = &files.layout else {
        builder.set_default_verify_paths().ok()?;
        return Some(builder.build());
    };

    // 1. The user's default client certificate.
    let user = layout.user_certificate();
    match check_file(&user) {
        FileState::Absent => {}
        FileState::Problem => {
            hooks.event(Event::UnusableClientCertificate, None);
            return None;
        }
        FileState::Usable => match load_client_cert(&user) {
            ClientCert::NoCertificate => return None,
            ClientCert::KeyUnusable => {
                let mut ok = 0;
                hooks.event(Event::NoClientCertificate, Some(&mut ok));
                if ok == 0 {
                    return None;
                }
            }
            ClientCert::Loaded { cert, chain, key } => {
                builder.set_certificate(&cert).ok()?;
                for c in chain {
                    builder.add_extra_chain_cert(c).ok()?;
                }
                builder.set_private_key(&key).ok()?;
            }
        },
    }

    // 2. Trust anchors.
    let ca_file = layout.ca_file();
    let ca_file_state = check_file(&ca_file);
    if ca_file_state == FileState::Problem {
        hooks.event(Event::UnusableCaList, None);
        return None;
    }
    let ca_dir = layout.ca_dir();
    let ca_dir_state = check_dir(&ca_dir);
    if ca_dir_state == FileState::Problem {
        hooks.event(Event::UnusableCaList, None);
        return None;
    }
    if ca_file_state == FileState::Usable || ca_dir_state == FileState::Usable {
        let file = (ca_file_state == FileState::Usable).then_some(ca_file.as_path());
        let dir = (ca_dir_state == FileState::Usable).then_some(ca_dir.as_path());
        // libESMTP ignores the result; a broken bundle then simply
        // verifies nothing.
        let _ = builder.load_verify_locations(file, dir);
    } else {
        builder.set_default_verify_paths().ok()?;
    }
    Some(builder.build())
}

fn new_builder() -> Result<SslContextBuilder, ErrorStack> {
    let mut builder = SslContextBuilder::new(SslMethod::tls_client())?;
    builder.set_min_proto_version(Some(SslVersion::TLS1_2))?;
    builder.set_verify(SslVerifyMode::NONE);
    Ok(builder)
}

/// The session's context: the application's (`smtp_starttls_set_ctx`,
/// another reference to it) or a freshly built one.
pub fn session_context(
    session: &Session,
    files: &TlsFiles,
    hooks: &mut dyn SessionHooks,
) -> Option<SslContext> {
    match &session.tls_context {
        Some(ctx) => Some(ctx.clone()),
        None => build_context(files, hooks),
    }
}

/// What the engine does after a 2xx EHLO reply, context included.
#[derive(Debug)]
pub enum Selection {
    /// No STARTTLS; continue in clear (AUTH, required-extension check, MAIL).
    Continue,
    /// Send `STARTTLS` (flushed, reply awaited); keep the context for
    /// [`super::handshake::handshake`].
    Send(SslContext),
    /// Fire `Event::ExtnaStarttls` (out `None`), send `QUIT`, set
    /// `Error::ExtensionNotAvailable`; `smtp_start_session` returns 1.
    RequiredUnavailable,
}

/// The whole of 4.1 for a 2xx EHLO reply: mode, offer, context creation
/// (with its events). `offered`: `STARTTLS` was in this EHLO reply.
pub fn select_starttls(
    session: &Session,
    files: &TlsFiles,
    hooks: &mut dyn SessionHooks,
    tls_active: bool,
    authenticated: bool,
    offered: bool,
) -> Selection {
    let mode = Mode::from_setting(session.starttls);
    match decide::after_ehlo(mode, tls_active, authenticated, offered) {
        EhloStep::Continue => Selection::Continue,
        EhloStep::RequiredUnavailable => Selection::RequiredUnavailable,
        EhloStep::NeedContext => {
            let ctx = session_context(session, files, hooks);
            match (decide::after_context(mode, ctx.is_some()), ctx) {
                (ContextStep::SendStarttls, Some(ctx)) => Selection::Send(ctx),
                (ContextStep::RequiredUnavailable, _) => Selection::RequiredUnavailable,
                _ => Selection::Continue,
            }
        }
    }
}
