//! The automatic TLS context: libESMTP's file layout, file checks and the
//! events each problem raises (tls-auth.md 5.4–5.6), and the STARTTLS
//! decision with context creation (4.1).

mod tls_common;

use esmtp::core::model::{Session, STARTTLS_DISABLED, STARTTLS_ENABLED, STARTTLS_REQUIRED};
use esmtp::core::transport::tls::{build_context, select_starttls, Selection, TlsFiles};
use tls_common::*;

fn select(mode: i32, files: &TlsFiles, offered: bool) -> (Recorder, &'static str) {
    let session = Session {
        starttls: mode,
        ..Session::default()
    };
    let mut rec = Recorder::default();
    let what = match select_starttls(&session, files, &mut rec, false, false, offered) {
        Selection::Continue => "continue",
        Selection::Send(_) => "send",
        Selection::RequiredUnavailable => "unavailable",
    };
    (rec, what)
}

#[test]
fn decisions_without_problems() {
    let dir = ConfDir::new("decide");
    let files = dir.files();
    assert_eq!(select(STARTTLS_DISABLED, &files, true).1, "continue");
    assert_eq!(select(STARTTLS_ENABLED, &files, false).1, "continue");
    assert_eq!(select(STARTTLS_ENABLED, &files, true).1, "send");
    assert_eq!(select(7, &files, true).1, "send");
    assert_eq!(select(STARTTLS_REQUIRED, &files, false).1, "unavailable");
    assert_eq!(select(STARTTLS_REQUIRED, &files, true).1, "send");
    let session = Session {
        starttls: STARTTLS_REQUIRED,
        ..Session::default()
    };
    let mut rec = Recorder::default();
    // TLS already active: STARTTLS in the second EHLO reply is ignored.
    assert!(matches!(
        select_starttls(&session, &files, &mut rec, true, false, true),
        Selection::Continue
    ));
    assert!(rec.events.is_empty());
}

#[test]
fn ca_file_permissions() {
    let dir = ConfDir::new("cafile");
    dir.ca_pem(&ca(), 0o644);
    // ENABLED: event, then clear text [T10].
    let (rec, what) = select(STARTTLS_ENABLED, &dir.files(), true);
    assert_eq!((rec.numbers(), what), (vec![3107], "continue"));
    // REQUIRED: event, then EXTNA_STARTTLS by the engine [T09].
    let (rec, what) = select(STARTTLS_REQUIRED, &dir.files(), true);
    assert_eq!((rec.numbers(), what), (vec![3107], "unavailable"));
    for (mode, ok) in [(0o600, true), (0o400, true), (0o640, false), (0o700, false)] {
        set_mode(&dir.root.join("ca.pem"), mode);
        let mut rec = Recorder::default();
        assert_eq!(
            build_context(&dir.files(), &mut rec).is_some(),
            ok,
            "{mode:o}"
        );
    }
    // Empty file.
    dir.write("ca.pem", b"", 0o600);
    let mut rec = Recorder::default();
    assert!(build_context(&dir.files(), &mut rec).is_none());
    assert_eq!(rec.numbers(), vec![3107]);
}

#[test]
fn ca_directory() {
    let ca = ca();
    let dir = ConfDir::new("cadir");
    let cadir = dir.root.join("ca");
    std::fs::create_dir(&cadir).expect("mkdir");
    let hash = ca.cert.subject_name_hash();
    std::fs::write(
        cadir.join(format!("{hash:08x}.0")),
        ca.cert.to_pem().expect("pem"),
    )
    .expect("write");
    set_mode(&cadir, 0o755);
    let mut rec = Recorder::default();
    assert!(build_context(&dir.files(), &mut rec).is_none());
    assert_eq!(rec.numbers(), vec![3107]);
    // 0700 is fine, and the hashed directory is used [T13].
    set_mode(&cadir, 0o700);
    let mut rec = Recorder::default();
    let ctx = build_context(&dir.files(), &mut rec).expect("ctx");
    assert!(rec.events.is_empty());
    let (port, srv) = server(ServerOpts::with(&localhost(&ca)));
    let r = run(&ctx, port, srv, "localhost", &dir.files(), &mut rec);
    assert_eq!(r.outcome, "established", "{:?}", rec.events);
}

#[test]
fn user_certificate_problems() {
    let ca = ca();
    let client = leaf(
        &ca,
        &Spec {
            cns: &["client@example.org"],
            client: true,
            ..Spec::default()
        },
    );
    let dir = ConfDir::new("usercert");
    dir.ca_pem(&ca, 0o600);
    let path = "private/smtp-starttls.pem";
    // Wrong permissions: UNUSABLE_CLIENT_CERTIFICATE, creation fails [T31].
    dir.write(path, &client.pem(), 0o644);
    let (rec, what) = select(STARTTLS_REQUIRED, &dir.files(), true);
    assert_eq!((rec.numbers(), what), (vec![3106], "unavailable"));
    // Owner-execute bit.
    set_mode(&dir.root.join(path), 0o700);
    let mut rec = Recorder::default();
    assert!(build_context(&dir.files(), &mut rec).is_none());
    assert_eq!(rec.numbers(), vec![3106]);
    // A key but no certificate: creation fails without an event [T49].
    dir.write(
        path,
        &client.key.private_key_to_pem_pkcs8().expect("pem"),
        0o600,
    );
    let (rec, what) = select(STARTTLS_ENABLED, &dir.files(), true);
    assert_eq!((rec.numbers(), what), (vec![], "continue"));
    // A certificate without its key: NO_CLIENT_CERTIFICATE, ok preset 0.
    dir.write(path, &client.cert.to_pem().expect("pem"), 0o600);
    let mut rec = Recorder::default();
    assert!(build_context(&dir.files(), &mut rec).is_none());
    assert_eq!(rec.presets, vec![(3105, 0)]);
    // ... and with *ok set, creation goes on without a client certificate.
    let mut rec = Recorder::answering(&[(3105, 1)]);
    let ctx = build_context(&dir.files(), &mut rec).expect("ctx");
    assert!(ctx.certificate().is_none());
    // A key that does not belong to the certificate counts as no key.
    let mut mixed = client.cert.to_pem().expect("pem");
    mixed.extend(key().private_key_to_pem_pkcs8().expect("pem"));
    dir.write(path, &mixed, 0o600);
    let mut rec = Recorder::default();
    assert!(build_context(&dir.files(), &mut rec).is_none());
    assert_eq!(rec.numbers(), vec![3105]);
    // The good file.
    dir.write(path, &client.pem(), 0o600);
    let mut rec = Recorder::default();
    let ctx = build_context(&dir.files(), &mut rec).expect("ctx");
    assert!(rec.events.is_empty());
    assert!(ctx.certificate().is_some());
}

#[test]
fn event_order_client_certificate_before_ca_list() {
    let ca = ca();
    let client = leaf(
        &ca,
        &Spec {
            cns: &["c"],
            client: true,
            ..Spec::default()
        },
    );
    let dir = ConfDir::new("order");
    dir.ca_pem(&ca, 0o644);
    dir.write(
        "private/smtp-starttls.pem",
        &client.cert.to_pem().expect("pem"),
        0o600,
    );
    // NO_CLIENT_CERTIFICATE overridden, then UNUSABLE_CA_LIST.
    let mut rec = Recorder::answering(&[(3105, 1)]);
    assert!(build_context(&dir.files(), &mut rec).is_none());
    assert_eq!(rec.numbers(), vec![3105, 3107]);
}

#[test]
fn no_configuration_directory_uses_the_system_store() {
    let files = TlsFiles { layout: None };
    let mut rec = Recorder::default();
    assert!(build_context(&files, &mut rec).is_some());
    assert!(rec.events.is_empty());
}

#[test]
fn tls_1_2_minimum() {
    let ca = ca();
    let dir = ConfDir::new("min");
    dir.ca_pem(&ca, 0o600);
    let ctx = build_context(&dir.files(), &mut Recorder::default()).expect("ctx");
    let mut opts = ServerOpts::with(&localhost(&ca));
    opts.max_version = Some(openssl::ssl::SslVersion::TLS1_1);
    opts.cipher_list = Some("DEFAULT:@SECLEVEL=0".into());
    let (port, srv) = server(opts);
    let mut rec = Recorder::default();
    let r = run(&ctx, port, srv, "localhost", &dir.files(), &mut rec);
    assert_eq!(r.outcome, "failed");
}
