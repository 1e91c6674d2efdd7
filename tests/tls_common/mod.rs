//! Shared helpers for the TLS integration tests: certificates made with the
//! openssl crate at test time, a temporary libESMTP configuration
//! directory, a one-connection TLS server thread on 127.0.0.1 and an event
//! recorder.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use esmtp::core::events::{Event, MessageBlock, MonitorKind, SessionHooks};
use esmtp::core::transport::tls::{handshake, Handshake, HandshakeParams, TlsFiles};
use openssl::asn1::{Asn1Integer, Asn1Time};
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::ssl::{NameType, SslContext, SslContextBuilder, SslMethod, SslVerifyMode, SslVersion};
use openssl::x509::extension::{BasicConstraints, ExtendedKeyUsage, SubjectAlternativeName};
use openssl::x509::{X509Name, X509};

pub const TIMEOUT: Duration = Duration::from_secs(10);

static SERIAL: AtomicUsize = AtomicUsize::new(1);

pub fn key() -> PKey<Private> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).expect("group");
    PKey::from_ec_key(EcKey::generate(&group).expect("ec key")).expect("pkey")
}

/// A certificate and its key.
pub struct Cert {
    pub cert: X509,
    pub key: PKey<Private>,
}

impl Cert {
    /// Certificate then unencrypted key, as libESMTP's files hold them.
    pub fn pem(&self) -> Vec<u8> {
        let mut out = self.cert.to_pem().expect("pem");
        out.extend(self.key.private_key_to_pem_pkcs8().expect("key pem"));
        out
    }

    /// Certificate then the key encrypted with `pass`.
    pub fn pem_encrypted(&self, pass: &[u8]) -> Vec<u8> {
        let mut out = self.cert.to_pem().expect("pem");
        out.extend(
            self.key
                .private_key_to_pem_pkcs8_passphrase(openssl::symm::Cipher::aes_256_cbc(), pass)
                .expect("key pem"),
        );
        out
    }
}

/// What goes into a leaf certificate.
#[derive(Clone, Default)]
pub struct Spec<'a> {
    /// Subject commonNames, in order.
    pub cns: &'a [&'a str],
    pub dns: &'a [&'a str],
    pub ips: &'a [&'a str],
    /// Validity as (not-before, not-after) offsets in days from now.
    pub validity: Option<(i64, i64)>,
    pub client: bool,
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn build(spec: &Spec<'_>, issuer: Option<&Cert>, ca: bool) -> Cert {
    let key = key();
    let mut name = X509Name::builder().expect("name");
    for cn in spec.cns {
        name.append_entry_by_nid(Nid::COMMONNAME, cn).expect("cn");
    }
    let name = name.build();
    let mut b = X509::builder().expect("builder");
    b.set_version(2).expect("version");
    let serial = BigNum::from_u32(SERIAL.fetch_add(1, Ordering::Relaxed) as u32).expect("bn");
    b.set_serial_number(&Asn1Integer::from_bn(&serial).expect("serial"))
        .expect("serial");
    b.set_subject_name(&name).expect("subject");
    b.set_issuer_name(issuer.map(|i| i.cert.subject_name()).unwrap_or(&name))
        .expect("issuer");
    b.set_pubkey(&key).expect("pubkey");
    let (from, to) = spec.validity.unwrap_or((-1, 30));
    let t = now();
    b.set_not_before(&Asn1Time::from_unix(t + from * 86400).expect("t"))
        .expect("nb");
    b.set_not_after(&Asn1Time::from_unix(t + to * 86400).expect("t"))
        .expect("na");
    if ca {
        b.append_extension(BasicConstraints::new().critical().ca().build().expect("bc"))
            .expect("ext");
    }
    if !spec.dns.is_empty() || !spec.ips.is_empty() {
        let mut san = SubjectAlternativeName::new();
        for d in spec.dns {
            san.dns(d);
        }
        for i in spec.ips {
            san.ip(i);
        }
        let ctx = b.x509v3_context(issuer.map(|i| &*i.cert), None);
        let ext = san.build(&ctx).expect("san");
        b.append_extension(ext).expect("ext");
    }
    if spec.client {
        b.append_extension(ExtendedKeyUsage::new().client_auth().build().expect("eku"))
            .expect("ext");
    }
    let signer = issuer.map(|i| &i.key).unwrap_or(&key);
    b.sign(signer, MessageDigest::sha256()).expect("sign");
    Cert {
        cert: b.build(),
        key,
    }
}

/// A test CA.
pub fn ca() -> Cert {
    // A distinct subject per CA, so that a foreign CA is "unknown issuer"
    // rather than a signature failure.
    let cn = format!(
        "esmtp-rs test CA {}",
        SERIAL.fetch_add(1, Ordering::Relaxed)
    );
    build(
        &Spec {
            cns: &[&cn],
            ..Spec::default()
        },
        None,
        true,
    )
}

pub fn leaf(ca: &Cert, spec: &Spec<'_>) -> Cert {
    build(spec, Some(ca), false)
}

pub fn self_signed(spec: &Spec<'_>) -> Cert {
    build(spec, None, false)
}

/// `DNS:localhost` signed by `ca`.
pub fn localhost(ca: &Cert) -> Cert {
    leaf(
        ca,
        &Spec {
            cns: &["localhost"],
            dns: &["localhost"],
            ..Spec::default()
        },
    )
}

/// A temporary `libesmtp` configuration directory.
pub struct ConfDir {
    pub root: PathBuf,
}

static DIRS: AtomicUsize = AtomicUsize::new(0);

impl ConfDir {
    pub fn new(tag: &str) -> ConfDir {
        let root = std::env::temp_dir().join(format!(
            "esmtp-tls-{}-{}-{}",
            tag,
            std::process::id(),
            DIRS.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("private")).expect("mkdir");
        ConfDir { root }
    }

    pub fn files(&self) -> TlsFiles {
        TlsFiles::in_dir(&self.root)
    }

    /// Writes `rel` with `mode`.
    pub fn write(&self, rel: &str, data: &[u8], mode: u32) -> PathBuf {
        let p = self.root.join(rel);
        std::fs::write(&p, data).expect("write");
        set_mode(&p, mode);
        p
    }

    pub fn ca_pem(&self, ca: &Cert, mode: u32) {
        self.write("ca.pem", &ca.cert.to_pem().expect("pem"), mode);
    }
}

impl Drop for ConfDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

pub fn set_mode(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// How the test server behaves.
#[derive(Clone)]
pub struct ServerOpts {
    pub cert: Option<(X509, PKey<Private>)>,
    /// Require a client certificate signed by this CA.
    pub require_client: Option<X509>,
    pub max_version: Option<SslVersion>,
    pub cipher_list: Option<String>,
    /// Close the connection instead of a handshake.
    pub close_at_once: bool,
    /// Hold the connection silently for this long instead of a handshake.
    pub stall: Option<Duration>,
}

impl ServerOpts {
    pub fn with(cert: &Cert) -> ServerOpts {
        ServerOpts {
            cert: Some((cert.cert.clone(), cert.key.clone())),
            require_client: None,
            max_version: None,
            cipher_list: None,
            close_at_once: false,
            stall: None,
        }
    }
}

/// What the server saw.
#[derive(Debug, Default)]
pub struct Seen {
    pub handshake_ok: bool,
    pub sni: Option<String>,
    pub client_cn: Option<String>,
    /// The line the client sent after the handshake.
    pub line: Option<String>,
}

fn server_context(opts: &ServerOpts) -> SslContext {
    let mut b = SslContextBuilder::new(SslMethod::tls_server()).expect("ctx");
    if let Some((cert, key)) = &opts.cert {
        b.set_certificate(cert).expect("cert");
        b.set_private_key(key).expect("key");
    }
    if let Some(ca) = &opts.require_client {
        let mut store = openssl::x509::store::X509StoreBuilder::new().expect("store");
        store.add_cert(ca.clone()).expect("add");
        b.set_verify_cert_store(store.build()).expect("store");
        b.add_client_ca(ca).expect("client ca");
        b.set_verify(SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT);
    }
    if let Some(v) = opts.max_version {
        b.set_max_proto_version(Some(v)).expect("max");
    }
    if let Some(c) = &opts.cipher_list {
        b.set_cipher_list(c).expect("ciphers");
    }
    b.build()
}

/// A one-connection TLS server: accepts, handshakes, reads one line and
/// answers `250 ok`.
pub fn server(opts: ServerOpts) -> (u16, JoinHandle<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let ctx = server_context(&opts);
    let h = std::thread::spawn(move || {
        let mut seen = Seen::default();
        let Ok((tcp, _)) = listener.accept() else {
            return seen;
        };
        if opts.close_at_once {
            drop(tcp);
            return seen;
        }
        if let Some(d) = opts.stall {
            std::thread::sleep(d);
            return seen;
        }
        let _ = tcp.set_read_timeout(Some(TIMEOUT));
        let _ = tcp.set_write_timeout(Some(TIMEOUT));
        let Ok(ssl) = openssl::ssl::Ssl::new(&ctx) else {
            return seen;
        };
        let Ok(mut stream) = ssl.accept(tcp) else {
            return seen;
        };
        seen.handshake_ok = true;
        seen.sni = stream
            .ssl()
            .servername(NameType::HOST_NAME)
            .map(str::to_owned);
        seen.client_cn = stream.ssl().peer_certificate().and_then(|c| {
            c.subject_name()
                .entries_by_nid(Nid::COMMONNAME)
                .next()
                .and_then(|e| e.data().to_string().ok())
        });
        let mut line = String::new();
        let mut reader = BufReader::new(&mut stream);
        if reader.read_line(&mut line).is_ok() && !line.is_empty() {
            seen.line = Some(line.trim_end().to_owned());
            let _ = stream.write_all(b"250 ok\r\n");
            let _ = stream.flush();
        }
        let _ = stream.shutdown();
        seen
    });
    (port, h)
}

/// Records events; answers `*ok` from `answers` (by event number, default:
/// leave the preset).
#[derive(Default)]
pub struct Recorder {
    pub events: Vec<String>,
    pub answers: HashMap<i32, i32>,
    pub presets: Vec<(i32, i32)>,
}

impl Recorder {
    pub fn answering(pairs: &[(i32, i32)]) -> Recorder {
        Recorder {
            answers: pairs.iter().copied().collect(),
            ..Recorder::default()
        }
    }

    pub fn numbers(&self) -> Vec<i32> {
        self.events
            .iter()
            .filter_map(|e| e.split(' ').next().and_then(|n| n.parse().ok()))
            .collect()
    }
}

impl SessionHooks for Recorder {
    fn event(&mut self, event: Event<'_>, out: Option<&mut i32>) {
        let n = event.number();
        let text = match &event {
            Event::InvalidPeerCertificate { verify_result, .. } => {
                format!("{n} verify={verify_result}")
            }
            Event::WrongPeerCertificate { name_in_cert, .. } => format!("{n} name={name_in_cert}"),
            Event::StarttlsOk { cipher, bits, .. } => format!("{n} cipher={cipher} bits={bits}"),
            Event::WeakCipher { bits } => format!("{n} bits={bits}"),
            _ => format!("{n}"),
        };
        self.events.push(text);
        if let Some(ok) = out {
            self.presets.push((n, *ok));
            if let Some(v) = self.answers.get(&n) {
                *ok = *v;
            }
        }
    }
    fn has_event_callback(&self) -> bool {
        true
    }
    fn monitor(&mut self, _data: &[u8], _kind: MonitorKind) {}
    fn has_monitor(&self) -> bool {
        false
    }
    fn message_rewind(&mut self, _message: usize) {}
    fn message_read(&mut self, _message: usize) -> MessageBlock<'_> {
        MessageBlock {
            data: &[],
            errno: 0,
        }
    }
}

/// The result of one client run.
pub struct Run {
    pub outcome: &'static str,
    pub external_id: Option<String>,
    pub reply: Option<String>,
    pub seen: Seen,
    /// How long the handshake call took.
    pub elapsed: Duration,
}

/// Connects to the server, runs the handshake as `server_name`, and on
/// success exchanges one line (a stand-in for the second EHLO).
pub fn run(
    ctx: &SslContext,
    port: u16,
    server: JoinHandle<Seen>,
    server_name: &str,
    files: &TlsFiles,
    hooks: &mut Recorder,
) -> Run {
    run_with_timeout(ctx, port, server, server_name, files, hooks, TIMEOUT)
}

/// [`run`] with a given handshake timeout.
pub fn run_with_timeout(
    ctx: &SslContext,
    port: u16,
    server: JoinHandle<Seen>,
    server_name: &str,
    files: &TlsFiles,
    hooks: &mut Recorder,
    timeout: Duration,
) -> Run {
    let tcp = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let names = [server_name];
    let params = HandshakeParams {
        server_name,
        cert_file_names: &names,
        timeout: Some(timeout),
        files,
    };
    let mut run = Run {
        outcome: "",
        external_id: None,
        reply: None,
        seen: Seen::default(),
        elapsed: Duration::ZERO,
    };
    let t0 = std::time::Instant::now();
    let outcome = handshake(ctx, tcp, &params, hooks);
    run.elapsed = t0.elapsed();
    match outcome {
        Handshake::Established {
            mut stream,
            external_id,
        } => {
            run.outcome = "established";
            run.external_id = external_id;
            if stream.write_all(b"EHLO client.example\r\n").is_ok() {
                let mut line = String::new();
                let mut r = BufReader::new(&mut *stream);
                if r.read_line(&mut line).is_ok() {
                    run.reply = Some(line.trim_end().to_owned());
                }
            }
        }
        Handshake::Rejected { mut stream } => {
            run.outcome = "rejected";
            let _ = stream.write_all(b"QUIT\r\n");
            let _ = stream.shutdown();
        }
        Handshake::Failed { error } => {
            assert_eq!(error, esmtp::core::error::Error::ClientError);
            run.outcome = "failed";
        }
    }
    run.seen = server.join().unwrap_or_default();
    run
}
