//! STARTTLS handshake and peer checks against an in-process TLS server:
//! trust, names (RFC 6125), expiry, IP SANs, SNI, client certificates,
//! events and `*ok`, application contexts, sequences and threads.

mod tls_common;

use esmtp::core::model::{Session, STARTTLS_ENABLED, STARTTLS_REQUIRED};
use esmtp::core::transport::tls::{build_context, select_starttls, Selection, TlsFiles};
use openssl::ssl::{SslContextBuilder, SslMethod, SslVersion};
use tls_common::*;

const OK: i32 = 3101;
const INVALID: i32 = 3102;
const WRONG: i32 = 3104;

/// CA in the configuration directory, the context built from it.
fn trusted(tag: &str) -> (Cert, ConfDir, openssl::ssl::SslContext) {
    let ca = ca();
    let dir = ConfDir::new(tag);
    dir.ca_pem(&ca, 0o600);
    let mut rec = Recorder::default();
    let ctx = build_context(&dir.files(), &mut rec).expect("context");
    assert!(rec.events.is_empty(), "{:?}", rec.events);
    (ca, dir, ctx)
}

#[test]
fn trusted_certificate_sni_and_io_after_tickets() {
    let (ca, dir, ctx) = trusted("trusted");
    let (port, srv) = server(ServerOpts::with(&localhost(&ca)));
    let mut rec = Recorder::default();
    let r = run(&ctx, port, srv, "localhost", &dir.files(), &mut rec);
    assert_eq!(r.outcome, "established");
    assert_eq!(rec.numbers(), vec![OK]);
    assert!(rec.events[0].contains("cipher=TLS_"), "{:?}", rec.events);
    assert!(rec.events[0].contains("bits=128") || rec.events[0].contains("bits=256"));
    // SNI is sent (libESMTP sent none).
    assert_eq!(r.seen.sni.as_deref(), Some("localhost"));
    // TLS 1.3 tickets do not stall the exchange after the handshake.
    assert_eq!(r.seen.line.as_deref(), Some("EHLO client.example"));
    assert_eq!(r.reply.as_deref(), Some("250 ok"));
    // No client certificate, no EXTERNAL identity.
    assert_eq!(r.external_id, None);
}

#[test]
fn untrusted_rejected_by_default_accepted_with_ok() {
    let dir = ConfDir::new("untrusted");
    let cert = self_signed(&Spec {
        cns: &["localhost"],
        dns: &["localhost"],
        ..Spec::default()
    });
    // No CA files: the system store, which does not know this certificate.
    let ctx = build_context(&dir.files(), &mut Recorder::default()).expect("ctx");
    let (port, srv) = server(ServerOpts::with(&cert));
    let mut rec = Recorder::default();
    let r = run(&ctx, port, srv, "localhost", &dir.files(), &mut rec);
    assert_eq!(r.outcome, "rejected");
    assert_eq!(rec.events, vec!["3102 verify=18".to_owned()]);
    assert_eq!(rec.presets, vec![(INVALID, 0)]);

    let (port, srv) = server(ServerOpts::with(&cert));
    let mut rec = Recorder::answering(&[(INVALID, 1)]);
    let r = run(&ctx, port, srv, "localhost", &dir.files(), &mut rec);
    assert_eq!(r.outcome, "established");
    assert_eq!(rec.numbers(), vec![INVALID, OK]);
    assert_eq!(r.reply.as_deref(), Some("250 ok"));
}

#[test]
fn unknown_issuer_is_verify_error_20() {
    let dir = ConfDir::new("issuer");
    dir.ca_pem(&ca(), 0o600); // a different CA
    let ctx = build_context(&dir.files(), &mut Recorder::default()).expect("ctx");
    let (port, srv) = server(ServerOpts::with(&localhost(&ca())));
    let mut rec = Recorder::default();
    let r = run(&ctx, port, srv, "localhost", &dir.files(), &mut rec);
    assert_eq!(r.outcome, "rejected");
    assert_eq!(rec.events, vec!["3102 verify=20".to_owned()]);
}

#[test]
fn wrong_host_name() {
    let (ca, dir, ctx) = trusted("wrong");
    let cert = leaf(
        &ca,
        &Spec {
            cns: &["localhost"],
            dns: &["wrong.example"],
            ..Spec::default()
        },
    );
    let (port, srv) = server(ServerOpts::with(&cert));
    let mut rec = Recorder::default();
    let r = run(&ctx, port, srv, "localhost", &dir.files(), &mut rec);
    assert_eq!(r.outcome, "rejected");
    assert_eq!(rec.events, vec!["3104 name=wrong.example".to_owned()]);
    assert_eq!(rec.presets, vec![(WRONG, 0)]);

    let (port, srv) = server(ServerOpts::with(&cert));
    let mut rec = Recorder::answering(&[(WRONG, 1)]);
    let r = run(&ctx, port, srv, "localhost", &dir.files(), &mut rec);
    assert_eq!(r.outcome, "established");
    assert_eq!(rec.numbers(), vec![WRONG, OK]);
}

#[test]
fn expired_certificate() {
    let (ca, dir, ctx) = trusted("expired");
    let cert = leaf(
        &ca,
        &Spec {
            cns: &["localhost"],
            dns: &["localhost"],
            validity: Some((-10, -1)),
            ..Spec::default()
        },
    );
    let (port, srv) = server(ServerOpts::with(&cert));
    let mut rec = Recorder::default();
    let r = run(&ctx, port, srv, "localhost", &dir.files(), &mut rec);
    assert_eq!(r.outcome, "rejected");
    // X509_V_ERR_CERT_HAS_EXPIRED
    assert_eq!(rec.events, vec!["3102 verify=10".to_owned()]);
}

fn name_check(tag: &str, spec: Spec<'_>, host: &str) -> (Recorder, Run) {
    let (ca, dir, ctx) = trusted(tag);
    let (port, srv) = server(ServerOpts::with(&leaf(&ca, &spec)));
    let mut rec = Recorder::default();
    let r = run(&ctx, port, srv, host, &dir.files(), &mut rec);
    (rec, r)
}

#[test]
fn wildcard_good() {
    let spec = Spec {
        cns: &["wild"],
        dns: &["*.example.test"],
        ..Spec::default()
    };
    let (rec, r) = name_check("wild-good", spec, "Mail.Example.Test");
    assert_eq!(r.outcome, "established", "{:?}", rec.events);
    assert_eq!(r.seen.sni.as_deref(), Some("mail.example.test"));
}

#[test]
fn wildcard_bad() {
    for (pattern, host) in [
        ("*.example.test", "a.mail.example.test"),
        ("*.example.test", "example.test"),
        ("*.test", "example.test"),
        ("mail.*.test", "mail.example.test"),
        ("m*.example.test", "mail.example.test"),
        ("*.0.0.1", "127.0.0.1"),
        ("127.*.0.1", "127.0.0.1"),
    ] {
        let dns = [pattern];
        let spec = Spec {
            cns: &["wild"],
            dns: &dns,
            ..Spec::default()
        };
        let (rec, r) = name_check("wild-bad", spec, host);
        assert_eq!(r.outcome, "rejected", "{pattern} vs {host}");
        assert_eq!(rec.events, vec![format!("3104 name={pattern}")]);
    }
}

#[test]
fn ip_address_san() {
    let spec = Spec {
        cns: &["127.0.0.1"],
        ips: &["127.0.0.1"],
        ..Spec::default()
    };
    let (rec, r) = name_check("ip-good", spec, "127.0.0.1");
    assert_eq!(r.outcome, "established", "{:?}", rec.events);
    // No SNI for an IP literal (RFC 6066).
    assert_eq!(r.seen.sni, None);

    // An IP in the commonName or a dNSName is not an IP identity.
    let spec = Spec {
        cns: &["127.0.0.1"],
        dns: &["127.0.0.1"],
        ..Spec::default()
    };
    let (rec, r) = name_check("ip-dns", spec, "127.0.0.1");
    assert_eq!(r.outcome, "rejected");
    assert_eq!(rec.events, vec!["3104 name=127.0.0.1".to_owned()]);

    let spec = Spec {
        cns: &["x"],
        ips: &["127.0.0.2"],
        ..Spec::default()
    };
    let (rec, r) = name_check("ip-other", spec, "127.0.0.1");
    assert_eq!(r.outcome, "rejected");
    assert_eq!(rec.events, vec!["3104 name=127.0.0.2".to_owned()]);
}

#[test]
fn common_name_fallback_uses_the_last_cn() {
    let spec = Spec {
        cns: &["localhost"],
        ..Spec::default()
    };
    let (rec, r) = name_check("cn-only", spec, "localhost");
    assert_eq!(r.outcome, "established", "{:?}", rec.events);
    let spec = Spec {
        cns: &["localhost", "wrong.example"],
        ..Spec::default()
    };
    let (rec, r) = name_check("two-cn", spec, "localhost");
    assert_eq!(r.outcome, "rejected");
    assert_eq!(rec.events, vec!["3104 name=wrong.example".to_owned()]);
}

#[test]
fn event_chaining_and_ok_handling() {
    // Untrusted and wrong name: INVALID (ok 1), WRONG (ok left 0) -> rejected [T42].
    let dir = ConfDir::new("chain");
    let ctx = build_context(&dir.files(), &mut Recorder::default()).expect("ctx");
    let cert = self_signed(&Spec {
        cns: &["x"],
        dns: &["wrong.example"],
        ..Spec::default()
    });
    let (port, srv) = server(ServerOpts::with(&cert));
    let mut rec = Recorder::answering(&[(INVALID, 1)]);
    let r = run(&ctx, port, srv, "localhost", &dir.files(), &mut rec);
    assert_eq!(r.outcome, "rejected");
    assert_eq!(
        rec.events,
        vec![
            "3102 verify=18".to_owned(),
            "3104 name=wrong.example".to_owned()
        ]
    );
    assert_eq!(rec.presets, vec![(INVALID, 0), (WRONG, 0)]);
    // Both overridden -> STARTTLS_OK [T43].
    let (port, srv) = server(ServerOpts::with(&cert));
    let mut rec = Recorder::answering(&[(INVALID, 1), (WRONG, 7)]);
    let r = run(&ctx, port, srv, "localhost", &dir.files(), &mut rec);
    assert_eq!(r.outcome, "established");
    assert_eq!(rec.numbers(), vec![INVALID, WRONG, OK]);
}

#[test]
fn client_certificate_required_by_server() {
    let ca = ca();
    let dir = ConfDir::new("client");
    dir.ca_pem(&ca, 0o600);
    let client = leaf(
        &ca,
        &Spec {
            cns: &["client@example.org"],
            client: true,
            ..Spec::default()
        },
    );
    dir.write("private/smtp-starttls.pem", &client.pem(), 0o600);
    let ctx = build_context(&dir.files(), &mut Recorder::default()).expect("ctx");
    let mut opts = ServerOpts::with(&localhost(&ca));
    opts.require_client = Some(ca.cert.clone());
    let (port, srv) = server(opts.clone());
    let mut rec = Recorder::default();
    let r = run(&ctx, port, srv, "localhost", &dir.files(), &mut rec);
    assert_eq!(r.outcome, "established", "{:?}", rec.events);
    assert_eq!(r.seen.client_cn.as_deref(), Some("client@example.org"));
    // The EXTERNAL identity libESMTP primes: the certificate's CN.
    assert_eq!(r.external_id.as_deref(), Some("client@example.org"));

    // Without a client certificate the server refuses the handshake
    // (TLS 1.2, where the client sees the refusal during the handshake).
    let bare = ConfDir::new("client-none");
    bare.ca_pem(&ca, 0o600);
    let ctx = build_context(&bare.files(), &mut Recorder::default()).expect("ctx");
    opts.max_version = Some(SslVersion::TLS1_2);
    let (port, srv) = server(opts);
    let mut rec = Recorder::default();
    let r = run(&ctx, port, srv, "localhost", &bare.files(), &mut rec);
    assert_eq!(r.outcome, "failed");
    assert!(rec.events.is_empty());
}

#[test]
fn host_specific_client_certificate() {
    let ca = ca();
    let dir = ConfDir::new("hostcert");
    dir.ca_pem(&ca, 0o600);
    let user = leaf(
        &ca,
        &Spec {
            cns: &["user@example.org"],
            client: true,
            ..Spec::default()
        },
    );
    let host = leaf(
        &ca,
        &Spec {
            cns: &["host@example.org"],
            client: true,
            ..Spec::default()
        },
    );
    dir.write("private/smtp-starttls.pem", &user.pem(), 0o600);
    dir.write("private/localhost.pem", &host.pem(), 0o600);
    let ctx = build_context(&dir.files(), &mut Recorder::default()).expect("ctx");
    let mut opts = ServerOpts::with(&localhost(&ca));
    opts.require_client = Some(ca.cert.clone());
    let (port, srv) = server(opts.clone());
    let mut rec = Recorder::default();
    let r = run(&ctx, port, srv, "localhost", &dir.files(), &mut rec);
    assert_eq!(r.outcome, "established", "{:?}", rec.events);
    assert_eq!(r.seen.client_cn.as_deref(), Some("host@example.org"));
    assert_eq!(r.external_id.as_deref(), Some("host@example.org"));

    // Unusable host file: UNUSABLE_CLIENT_CERTIFICATE, SSL creation fails
    // (error 20, no QUIT) [T30].
    set_mode(&dir.root.join("private/localhost.pem"), 0o644);
    let (port, srv) = server(opts);
    let mut rec = Recorder::default();
    let r = run(&ctx, port, srv, "localhost", &dir.files(), &mut rec);
    assert_eq!(r.outcome, "failed");
    assert_eq!(rec.numbers(), vec![3106]);
    assert!(!r.seen.handshake_ok);
}

#[test]
fn application_context() {
    let ca = ca();
    // The application's context trusts the CA; the files are never read.
    let mut b = SslContextBuilder::new(SslMethod::tls_client()).expect("ctx");
    let mut store = openssl::x509::store::X509StoreBuilder::new().expect("store");
    store.add_cert(ca.cert.clone()).expect("add");
    b.set_verify_cert_store(store.build()).expect("set");
    b.cert_store_mut().add_cert(ca.cert.clone()).expect("add");
    let app_ctx = b.build();
    let dir = ConfDir::new("appctx");
    dir.write("ca.pem", b"not checked", 0o644); // would be UNUSABLE_CA_LIST
    let session = Session {
        starttls: STARTTLS_REQUIRED,
        tls_context: Some(app_ctx),
        ..Session::default()
    };
    let mut rec = Recorder::default();
    let ctx = match select_starttls(&session, &dir.files(), &mut rec, false, false, true) {
        Selection::Send(ctx) => ctx,
        other => panic!("{other:?}"),
    };
    assert!(rec.events.is_empty());
    let (port, srv) = server(ServerOpts::with(&localhost(&ca)));
    let r = run(&ctx, port, srv, "localhost", &dir.files(), &mut rec);
    assert_eq!(r.outcome, "established", "{:?}", rec.events);

    // An application context without CAs fails verification even though
    // the files have a good ca.pem [T33].
    let plain = SslContextBuilder::new(SslMethod::tls_client())
        .expect("ctx")
        .build();
    let good = ConfDir::new("appctx-noca");
    good.ca_pem(&ca, 0o600);
    let session = Session {
        starttls: STARTTLS_ENABLED,
        tls_context: Some(plain),
        ..Session::default()
    };
    let mut rec = Recorder::default();
    let Selection::Send(ctx) =
        select_starttls(&session, &good.files(), &mut rec, false, false, true)
    else {
        panic!("no context");
    };
    let (port, srv) = server(ServerOpts::with(&localhost(&ca)));
    let r = run(&ctx, port, srv, "localhost", &good.files(), &mut rec);
    assert_eq!(r.outcome, "rejected");
    assert_eq!(rec.events, vec!["3102 verify=20".to_owned()]);
}

#[test]
fn weak_cipher_and_anonymous_suites() {
    // Application contexts allowing NULL / anonymous suites (TLS 1.2).
    let ca = ca();
    let app = |ciphers: &str| {
        let mut b = SslContextBuilder::new(SslMethod::tls_client()).expect("ctx");
        b.set_max_proto_version(Some(SslVersion::TLS1_2))
            .expect("max");
        b.set_cipher_list(ciphers).expect("ciphers");
        b.cert_store_mut().add_cert(ca.cert.clone()).expect("add");
        b.build()
    };
    let files = TlsFiles { layout: None };
    let srv_cert = localhost(&ca);

    let mut opts = ServerOpts::with(&srv_cert);
    opts.cipher_list = Some("eNULL:@SECLEVEL=0".into());
    opts.max_version = Some(SslVersion::TLS1_2);
    let ctx = app("eNULL:@SECLEVEL=0");
    let (port, srv) = server(opts.clone());
    let mut rec = Recorder::default();
    let r = run(&ctx, port, srv, "localhost", &files, &mut rec);
    assert_eq!(r.outcome, "rejected", "{:?}", rec.events);
    assert_eq!(rec.events, vec!["3100 bits=0".to_owned()]);
    let (port, srv) = server(opts);
    let mut rec = Recorder::answering(&[(3100, 1)]);
    let r = run(&ctx, port, srv, "localhost", &files, &mut rec);
    assert_eq!(r.outcome, "established");
    assert_eq!(rec.numbers(), vec![3100, OK]);

    let mut opts = ServerOpts::with(&srv_cert);
    opts.cert = None;
    opts.cipher_list = Some("aNULL:@SECLEVEL=0".into());
    opts.max_version = Some(SslVersion::TLS1_2);
    let ctx = app("aNULL:@SECLEVEL=0");
    let (port, srv) = server(opts.clone());
    let mut rec = Recorder::default();
    let r = run(&ctx, port, srv, "localhost", &files, &mut rec);
    assert_eq!(r.outcome, "rejected", "{:?}", rec.events);
    assert_eq!(rec.numbers(), vec![3103]);
    let (port, srv) = server(opts);
    let mut rec = Recorder::answering(&[(3103, 1)]);
    let r = run(&ctx, port, srv, "localhost", &files, &mut rec);
    assert_eq!(r.outcome, "established");
    assert_eq!(rec.numbers(), vec![3103, OK]);
}

#[test]
fn server_closing_before_the_handshake_is_error_20() {
    let (ca, dir, ctx) = trusted("close");
    let mut opts = ServerOpts::with(&localhost(&ca));
    opts.close_at_once = true;
    let (port, srv) = server(opts);
    let mut rec = Recorder::default();
    let r = run(&ctx, port, srv, "localhost", &dir.files(), &mut rec);
    assert_eq!(r.outcome, "failed");
    assert!(rec.events.is_empty());
}

#[test]
fn silent_server_times_out() {
    let (ca, dir, ctx) = trusted("stall");
    let mut opts = ServerOpts::with(&localhost(&ca));
    opts.stall = Some(std::time::Duration::from_secs(4));
    let (port, srv) = server(opts);
    let mut rec = Recorder::default();
    let tcp_timeout = std::time::Duration::from_millis(500);
    let r = run_with_timeout(
        &ctx,
        port,
        srv,
        "localhost",
        &dir.files(),
        &mut rec,
        tcp_timeout,
    );
    assert_eq!(r.outcome, "failed");
    // The handshake gave up after the timeout, not when the server left.
    assert!(r.elapsed >= tcp_timeout);
    assert!(
        r.elapsed < std::time::Duration::from_secs(3),
        "{:?}",
        r.elapsed
    );
}

#[test]
fn sessions_in_sequence_with_fresh_contexts() {
    let ca = ca();
    let dir = ConfDir::new("seq");
    dir.ca_pem(&ca, 0o600);
    let cert = localhost(&ca);
    for _ in 0..3 {
        let ctx = build_context(&dir.files(), &mut Recorder::default()).expect("ctx");
        let (port, srv) = server(ServerOpts::with(&cert));
        let mut rec = Recorder::default();
        let r = run(&ctx, port, srv, "localhost", &dir.files(), &mut rec);
        assert_eq!(r.outcome, "established");
        drop(ctx); // what smtp_destroy_session does; the next one is unaffected
    }
}

#[test]
fn sessions_in_threads() {
    let ca = std::sync::Arc::new(ca());
    let dir = std::sync::Arc::new(ConfDir::new("threads"));
    dir.ca_pem(&ca, 0o600);
    // One context shared by reference counting, and one per thread.
    let shared = build_context(&dir.files(), &mut Recorder::default()).expect("ctx");
    let handles: Vec<_> = (0..6)
        .map(|i| {
            let ca = ca.clone();
            let dir = dir.clone();
            let shared = shared.clone();
            std::thread::spawn(move || {
                let ctx = if i % 2 == 0 {
                    shared
                } else {
                    build_context(&dir.files(), &mut Recorder::default()).expect("ctx")
                };
                let (port, srv) = server(ServerOpts::with(&localhost(&ca)));
                let mut rec = Recorder::default();
                let r = run(&ctx, port, srv, "localhost", &dir.files(), &mut rec);
                (r.outcome, r.reply)
            })
        })
        .collect();
    drop(shared);
    for h in handles {
        let (outcome, reply) = h.join().expect("thread");
        assert_eq!(outcome, "established");
        assert_eq!(reply.as_deref(), Some("250 ok"));
    }
}
