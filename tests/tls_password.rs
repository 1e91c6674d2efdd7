//! The process-global pass-phrase callback for protected client keys
//! (tls-auth.md 3.3). One test, because the callback is process-global.

mod tls_common;

use std::sync::{Arc, Mutex};

use esmtp::core::transport::tls::{build_context, set_password_callback};
use openssl::ssl::SslVersion;
use tls_common::*;

#[test]
fn password_callback() {
    let ca = ca();
    let client = leaf(
        &ca,
        &Spec {
            cns: &["client@example.org"],
            client: true,
            ..Spec::default()
        },
    );
    let dir = ConfDir::new("password");
    dir.ca_pem(&ca, 0o600);
    dir.write(
        "private/smtp-starttls.pem",
        &client.pem_encrypted(b"keypass"),
        0o600,
    );

    // No callback: no terminal prompt, the key is simply unusable.
    let mut rec = Recorder::default();
    assert!(build_context(&dir.files(), &mut rec).is_none());
    assert_eq!(rec.presets, vec![(3105, 0)]);

    let calls: Arc<Mutex<Vec<usize>>> = Arc::default();
    let answer: Arc<Mutex<Vec<u8>>> = Arc::new(Mutex::new(b"wrong".to_vec()));
    {
        let calls = calls.clone();
        let answer = answer.clone();
        set_password_callback(Arc::new(move |buf: &mut [u8]| {
            calls.lock().ok()?.push(buf.len());
            let a = answer.lock().ok()?;
            let n = a.len().min(buf.len());
            buf[..n].copy_from_slice(&a[..n]);
            Some(n)
        }));
    }

    // Wrong pass phrase: NO_CLIENT_CERTIFICATE [T26].
    let mut rec = Recorder::default();
    assert!(build_context(&dir.files(), &mut rec).is_none());
    assert_eq!(rec.numbers(), vec![3105]);
    assert_eq!(
        calls.lock().map(|c| c.clone()).unwrap_or_default(),
        vec![1024]
    );

    // The right one: the key loads while the context is built [T25].
    *answer.lock().expect("lock") = b"keypass".to_vec();
    let mut rec = Recorder::default();
    let ctx = build_context(&dir.files(), &mut rec).expect("ctx");
    assert!(rec.events.is_empty());
    let mut opts = ServerOpts::with(&localhost(&ca));
    opts.require_client = Some(ca.cert.clone());
    let (port, srv) = server(opts.clone());
    let r = run(&ctx, port, srv, "localhost", &dir.files(), &mut rec);
    assert_eq!(r.outcome, "established", "{:?}", rec.events);
    assert_eq!(r.seen.client_cn.as_deref(), Some("client@example.org"));

    // A protected host-specific key is loaded with the callback too, when
    // the SSL is created.
    let host = leaf(
        &ca,
        &Spec {
            cns: &["host@example.org"],
            client: true,
            ..Spec::default()
        },
    );
    dir.write(
        "private/localhost.pem",
        &host.pem_encrypted(b"keypass"),
        0o600,
    );
    let before = calls.lock().map(|c| c.len()).unwrap_or(0);
    let (port, srv) = server(opts.clone());
    let mut rec = Recorder::default();
    let r = run(&ctx, port, srv, "localhost", &dir.files(), &mut rec);
    assert_eq!(r.outcome, "established", "{:?}", rec.events);
    assert_eq!(r.seen.client_cn.as_deref(), Some("host@example.org"));
    assert_eq!(calls.lock().map(|c| c.len()).unwrap_or(0), before + 1);

    // Host key with a wrong pass phrase: NO_CLIENT_CERTIFICATE, then SSL
    // creation fails (error 20) unless *ok is set.
    *answer.lock().expect("lock") = b"nope".to_vec();
    let (port, srv) = server(opts.clone());
    let mut rec = Recorder::default();
    let r = run(&ctx, port, srv, "localhost", &dir.files(), &mut rec);
    assert_eq!(r.outcome, "failed");
    assert_eq!(rec.numbers(), vec![3105]);
    // With *ok set: carry on with the context's certificate... which needs
    // the user key, loaded earlier with the right pass phrase.
    let (port, srv) = server(opts.clone());
    let mut rec = Recorder::answering(&[(3105, 1)]);
    let r = run(&ctx, port, srv, "localhost", &dir.files(), &mut rec);
    assert_eq!(r.outcome, "established", "{:?}", rec.events);
    assert_eq!(r.seen.client_cn.as_deref(), Some("client@example.org"));

    // A callback answering more than the buffer holds is refused.
    std::fs::remove_file(dir.root.join("private/localhost.pem")).expect("rm");
    set_password_callback(Arc::new(|buf: &mut [u8]| Some(buf.len() + 1)));
    let mut rec = Recorder::answering(&[(3105, 1)]);
    let ctx = build_context(&dir.files(), &mut rec).expect("ctx");
    assert_eq!(rec.numbers(), vec![3105]);
    // Without a client certificate a server that requires one refuses.
    opts.max_version = Some(SslVersion::TLS1_2);
    let (port, srv) = server(opts);
    let r = run(
        &ctx,
        port,
        srv,
        "localhost",
        &dir.files(),
        &mut Recorder::default(),
    );
    assert_eq!(r.outcome, "failed");
}
