//! The TLS handshake after a 2xx reply to `STARTTLS`, and the checks that
//! follow it (tls-auth.md 4.2 steps 1–5, 6, 7): host-specific client
//! certificate, handshake with SNI, verification result, cipher strength,
//! peer certificate and name, `STARTTLS_OK`, and the EXTERNAL identity.

use std::net::TcpStream;
use std::time::Duration;

use openssl::ssl::{Ssl, SslContextRef, SslRef, SslStream};
use openssl::x509::X509VerifyResult;

use super::context::{load_client_cert, ClientCert, TlsFiles};
use super::files::{check_file, FileState};
use super::verify::{first_common_name, CertNames, NameCheck, Reference};
use crate::core::error::Error;
use crate::core::events::{Event, SessionHooks};

/// What the handshake needs besides the context and the socket.
#[derive(Debug, Clone)]
pub struct HandshakeParams<'a> {
    /// The host name the application gave `smtp_set_server`: sent as SNI
    /// (DNS names only) and the reference name of the certificate check
    /// (libESMTP used the resolver's canonical name, quirk Q12, fixed).
    pub server_name: &'a str,
    /// Names under which a host-specific client certificate
    /// `private/<name>.pem` is looked for, first found wins. The engine
    /// passes the configured name, then libESMTP's canonical name if it
    /// differs (so existing files keep working).
    pub cert_file_names: &'a [&'a str],
    /// The greeting timeout (the handshake runs under it); `None` (or zero)
    /// = block.
    pub timeout: Option<Duration>,
    /// Where certificate files live ([`TlsFiles::from_env`]).
    pub files: &'a TlsFiles,
}

/// The outcome of [`handshake`].
#[derive(Debug)]
pub enum Handshake {
    /// Every check passed or was overridden; `STARTTLS_OK` has fired. The
    /// engine swaps `stream` in, marks TLS active, forgets the extensions
    /// and AUTH list of the clear-text EHLO, and sends EHLO again. If
    /// `external_id` is `Some` and the session has an auth context, the
    /// engine calls its `auth_set_external_id` with it (4.2 step 5).
    Established {
        stream: Box<SslStream<TcpStream>>,
        external_id: Option<String>,
    },
    /// A check failed and the application left `*ok` at 0: send `QUIT`
    /// over `stream` (TLS), no error code, message status stays 0 (T03).
    Rejected { stream: Box<SslStream<TcpStream>> },
    /// `SSL` creation or the handshake failed: the socket is already
    /// closed (no `QUIT`: the server expects a handshake); fire DISCONNECT
    /// and set `error` (`Error::ClientError`, 20) (T30, T38b).
    Failed { error: Error },
}

fn failed() -> Handshake {
    Handshake::Failed {
        error: Error::ClientError,
    }
}

/// Runs the TLS handshake on `tcp` (the connection on which the 2xx reply
/// to `STARTTLS` was just read; the engine must first have called
/// [`super::decide::check_no_pending_plaintext`]). The socket is switched
/// to blocking mode with `params.timeout` as read and write timeout, and
/// stays so. Events go to `hooks` in libESMTP's order and with its `*ok`
/// defaults (0).
pub fn handshake(
    ctx: &SslContextRef,
    tcp: TcpStream,
    params: &HandshakeParams<'_>,
    hooks: &mut dyn SessionHooks,
) -> Handshake {
    let reference = Reference::new(params.server_name);
    let Ok(mut ssl) = Ssl::new(ctx) else {
        return failed();
    };
    if let Some(name) = reference.sni_name() {
        // SNI (quirk Q14, fixed). A name OpenSSL refuses is simply not sent.
        let _ = ssl.set_hostname(name);
    }
    if !apply_host_certificate(&mut ssl, params, hooks) {
        return failed();
    }
    // A zero timeout is refused by the socket API; treat it as "none".
    let timeout = params.timeout.filter(|t| !t.is_zero());
    if tcp.set_nonblocking(false).is_err()
        || tcp.set_read_timeout(timeout).is_err()
        || tcp.set_write_timeout(timeout).is_err()
    {
        return failed();
    }
    // Writes go through std's TcpStream, which uses MSG_NOSIGNAL: a server
    // that closed the socket gives EPIPE, not SIGPIPE (quirk Q5, fixed).
    let Ok(mut stream) = SslStream::new(ssl, tcp) else {
        return failed();
    };
    if stream.connect().is_err() {
        return failed();
    }
    match check_peer(stream.ssl(), &reference, hooks) {
        Verdict::Accept => {
            let external_id = stream.ssl().certificate().and_then(first_common_name);
            Handshake::Established {
                stream: Box::new(stream),
                external_id,
            }
        }
        Verdict::Reject => Handshake::Rejected {
            stream: Box::new(stream),
        },
    }
}

/// The host-specific client certificate (5.5), loaded into this `SSL`
/// only. Returns false when `SSL` creation must fail.
fn apply_host_certificate(
    ssl: &mut SslRef,
    params: &HandshakeParams<'_>,
    hooks: &mut dyn SessionHooks,
) -> bool {
    let Some(layout) = &params.files.layout else {
        return true;
    };
    let mut seen: Vec<&str> = Vec::new();
    for &name in params.cert_file_names {
        if seen.contains(&name) {
            continue;
        }
        seen.push(name);
        let Some(path) = layout.host_certificate(name) else {
            continue;
        };
        match check_file(&path) {
            FileState::Absent => continue,
            FileState::Problem => {
                hooks.event(Event::UnusableClientCertificate, None);
                return false;
            }
            FileState::Usable => {}
        }
        return match load_client_cert(&path) {
            ClientCert::NoCertificate => false,
            ClientCert::KeyUnusable => {
                let mut ok = 0;
                hooks.event(Event::NoClientCertificate, Some(&mut ok));
                ok != 0
            }
            ClientCert::Loaded { cert, chain, key } => {
                ssl.set_certificate(&cert).is_ok()
                    && chain.into_iter().all(|c| ssl.add_chain_cert(c).is_ok())
                    && ssl.set_private_key(&key).is_ok()
            }
        };
    }
    true
}

enum Verdict {
    Accept,
    Reject,
}

/// Asks the application through an event with `int *ok` preset 0.
fn ask(hooks: &mut dyn SessionHooks, event: Event<'_>) -> bool {
    let mut ok = 0;
    hooks.event(event, Some(&mut ok));
    ok != 0
}

/// The post-handshake checks in libESMTP's order (7): verification
/// result, cipher strength, peer certificate presence or name; the first
/// one the application does not override rejects the connection.
fn check_peer(ssl: &SslRef, reference: &Reference, hooks: &mut dyn SessionHooks) -> Verdict {
    let verify = ssl.verify_result();
    if verify != X509VerifyResult::OK {
        let event = Event::InvalidPeerCertificate {
            verify_result: i64::from(verify.as_raw()),
            ssl,
        };
        if !ask(hooks, event) {
            return Verdict::Reject;
        }
    }

    let (cipher_name, bits) = match ssl.current_cipher() {
        Some(c) => (c.name(), c.bits().secret),
        None => ("", 0),
    };
    // libESMTP's threshold; NULL and export suites fall under it.
    if bits <= 40 && !ask(hooks, Event::WeakCipher { bits }) {
        return Verdict::Reject;
    }

    match ssl.peer_certificate() {
        None => {
            if !ask(hooks, Event::NoPeerCertificate) {
                return Verdict::Reject;
            }
        }
        Some(cert) => {
            if let NameCheck::Mismatch(name) = CertNames::from_certificate(&cert).check(reference) {
                let event = Event::WrongPeerCertificate {
                    name_in_cert: &name,
                    ssl,
                };
                if !ask(hooks, event) {
                    return Verdict::Reject;
                }
            }
        }
    }

    hooks.event(
        Event::StarttlsOk {
            ssl,
            cipher: cipher_name,
            bits,
        },
        None,
    );
    Verdict::Accept
}
