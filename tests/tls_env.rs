//! The configuration directory from the environment (tls-auth.md 5.3,
//! quirk Q9) and OpenSSL's default trust store when no CA file exists
//! (5.5, [T15]). One test: it changes the process environment.

mod tls_common;

use esmtp::core::model::{ServerSpec, Session};
use esmtp::core::transport::tls::{build_context, Handshake, Starttls, TlsFiles};
use tls_common::*;

#[test]
fn environment() {
    let xdg = ConfDir::new("xdg");
    let home = ConfDir::new("home");
    let libesmtp = home.root.join(".config").join("libesmtp");
    // This binary has one test, so no other thread reads the environment.
    std::env::remove_var("XDG_CONFIG_DIR");
    std::env::set_var("XDG_CONFIG_HOME", &xdg.root);
    std::env::set_var("HOME", &home.root);
    // XDG_CONFIG_HOME is not libESMTP's variable [T11].
    assert_eq!(TlsFiles::from_env(), TlsFiles::in_dir(&libesmtp));
    std::env::set_var("XDG_CONFIG_DIR", &xdg.root);
    assert_eq!(
        TlsFiles::from_env(),
        TlsFiles::in_dir(&xdg.root.join("libesmtp"))
    );
    std::env::remove_var("XDG_CONFIG_DIR");
    std::env::remove_var("HOME");
    assert_eq!(TlsFiles::from_env(), TlsFiles { layout: None });

    // No CA file: OpenSSL's defaults, which honour SSL_CERT_FILE [T15].
    let ca = ca();
    let empty = ConfDir::new("nocafile");
    let bundle = empty.write("bundle.pem", &ca.cert.to_pem().expect("pem"), 0o600);
    std::env::set_var("SSL_CERT_FILE", &bundle);
    let ctx = build_context(&empty.files(), &mut Recorder::default()).expect("ctx");
    let (port, srv) = server(ServerOpts::with(&localhost(&ca)));
    let mut rec = Recorder::default();
    let r = run(&ctx, port, srv, "localhost", &empty.files(), &mut rec);
    assert_eq!(r.outcome, "established", "{:?}", rec.events);
    // A user ca.pem replaces the system store (Q10): a different CA there
    // and the SSL_CERT_FILE CA is no longer trusted.
    empty.ca_pem(&tls_common::ca(), 0o600);
    let ctx = build_context(&empty.files(), &mut Recorder::default()).expect("ctx");
    let (port, srv) = server(ServerOpts::with(&localhost(&ca)));
    let mut rec = Recorder::default();
    let r = run(&ctx, port, srv, "localhost", &empty.files(), &mut rec);
    assert_eq!(r.outcome, "rejected");
    assert_eq!(rec.events, vec!["3102 verify=20".to_owned()]);
    std::env::remove_var("SSL_CERT_FILE");

    // The engine's seam: context from $XDG_CONFIG_DIR/libesmtp, reference
    // name and host certificate from the session, EXTERNAL identity kept.
    let root = ConfDir::new("steps");
    let conf = root.root.join("libesmtp");
    std::fs::create_dir_all(conf.join("private")).expect("mkdir");
    std::fs::write(conf.join("ca.pem"), ca.cert.to_pem().expect("pem")).expect("write");
    set_mode(&conf.join("ca.pem"), 0o600);
    let client = leaf(
        &ca,
        &Spec {
            cns: &["steps@example.org"],
            client: true,
            ..Spec::default()
        },
    );
    // Found under the canonical name (libESMTP's choice of file name).
    std::fs::write(conf.join("private/canonical.example.pem"), client.pem()).expect("write");
    set_mode(&conf.join("private/canonical.example.pem"), 0o600);
    std::env::set_var("XDG_CONFIG_DIR", &root.root);
    let session = Session {
        server: Some(ServerSpec {
            host: "localhost".into(),
            service: "587".into(),
        }),
        starttls: 2,
        ..Session::default()
    };
    *session.canonical_name.borrow_mut() = Some("canonical.example".into());
    let mut steps = Starttls::new();
    let mut rec = Recorder::default();
    assert!(steps.prepare_context(&session, &mut rec));
    let mut opts = ServerOpts::with(&localhost(&ca));
    opts.require_client = Some(ca.cert.clone());
    let (port, srv) = server(opts);
    let tcp = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    match steps.handshake(&session, tcp, &mut rec) {
        Handshake::Established { stream, .. } => drop(stream),
        other => panic!("{other:?} {:?}", rec.events),
    }
    let seen = srv.join().expect("server");
    assert_eq!(seen.sni.as_deref(), Some("localhost"));
    assert_eq!(seen.client_cn.as_deref(), Some("steps@example.org"));
    assert_eq!(
        steps.take_external_id().as_deref(),
        Some("steps@example.org")
    );
    std::env::remove_var("XDG_CONFIG_DIR");
}
