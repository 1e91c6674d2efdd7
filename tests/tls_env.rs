//! The configuration directory from the environment (tls-auth.md 5.3,
//! quirk Q9) and OpenSSL's default trust store when no CA file exists
//! (5.5, [T15]). One test: it changes the process environment.

mod tls_common;

use esmtp::core::transport::tls::{build_context, TlsFiles};
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
}
