//! STARTTLS end to end through the engine and the TLS module: EHLO in
//! clear, STARTTLS, handshake, the certificate events, EHLO again over TLS
//! with the extensions re-read, the transaction over TLS, the monitor
//! showing clear text (tls-auth.md 2, 4).

mod protocol_support;
#[path = "tls_common/mod.rs"]
mod tls_common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

use esmtp::core::model::STARTTLS_REQUIRED;
use esmtp::core::protocol::{run, Outcome};
use protocol_support::{message, session, Recorder};

/// A server that offers STARTTLS, switches to TLS and then takes one
/// message; returns the command lines it read (in clear and over TLS).
fn tls_server(cert: tls_common::Cert) -> (u16, std::thread::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let handle = std::thread::spawn(move || {
        let mut seen = Vec::new();
        let Ok((mut tcp, _)) = listener.accept() else {
            return seen;
        };
        let _ = tcp.set_read_timeout(Some(tls_common::TIMEOUT));
        let _ = tcp.write_all(b"220 clear.example ESMTP\r\n");
        let mut reader = BufReader::new(tcp.try_clone().expect("clone"));
        for reply in [
            &b"250-clear.example\r\n250-SIZE 100\r\n250 STARTTLS\r\n"[..],
            b"220 go ahead\r\n",
        ] {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return seen;
            }
            seen.push(format!("clear: {}", line.trim_end()));
            let _ = tcp.write_all(reply);
        }
        let mut b = openssl::ssl::SslContextBuilder::new(openssl::ssl::SslMethod::tls_server())
            .expect("ctx");
        b.set_certificate(&cert.cert).expect("cert");
        b.set_private_key(&cert.key).expect("key");
        let ssl = openssl::ssl::Ssl::new(&b.build()).expect("ssl");
        let Ok(tls) = ssl.accept(tcp) else {
            return seen;
        };
        let mut tls = BufReader::new(tls);
        let script: &[&[u8]] = &[
            b"250-tls.example\r\n250 PIPELINING\r\n",
            b"250 sender ok\r\n",
            b"250 recipient ok\r\n",
            b"354 go\r\n",
        ];
        for reply in script {
            let mut line = String::new();
            if tls.read_line(&mut line).unwrap_or(0) == 0 {
                return seen;
            }
            seen.push(format!("tls: {}", line.trim_end()));
            let _ = tls.get_mut().write_all(reply);
        }
        loop {
            let mut line = String::new();
            if tls.read_line(&mut line).unwrap_or(0) == 0 {
                return seen;
            }
            if line == ".\r\n" {
                break;
            }
        }
        let _ = tls.get_mut().write_all(b"250 queued over tls\r\n");
        let mut line = String::new();
        let _ = tls.read_line(&mut line);
        seen.push(format!("tls: {}", line.trim_end()));
        let _ = tls.get_mut().write_all(b"221 bye\r\n");
        let _ = tls.get_mut().shutdown();
        seen
    });
    (port, handle)
}

#[test]
fn starttls_then_ehlo_again_and_mail_over_tls() {
    let ca = tls_common::ca();
    let (port, server) = tls_server(tls_common::localhost(&ca));
    let mut s = session(port);
    s.starttls = STARTTLS_REQUIRED;
    s.messages.push(message(Some("a@x"), &["b@x"]));
    let mut hooks = Recorder::new(vec!["Subject: tls\r\n\r\nsecret body\r\n"]);
    hooks.monitor = true;
    // Accept the unknown CA and the name mismatch (127.0.0.1 vs localhost).
    hooks.answers = vec![(3100, 1), (3102, 1), (3103, 1), (3104, 1)];
    let outcome = run(&s, "client.example", &mut hooks);
    let seen = server.join().expect("server");
    assert_eq!(
        outcome,
        Outcome {
            ret: true,
            error: None
        },
        "{:?}",
        hooks.log
    );
    assert_eq!(
        seen,
        vec![
            "clear: EHLO client.example",
            "clear: STARTTLS",
            "tls: EHLO client.example",
            "tls: MAIL FROM:<a@x>",
            "tls: RCPT TO:<b@x>",
            "tls: DATA",
            "tls: QUIT",
        ]
    );
    let events = hooks.events();
    assert!(
        events.iter().any(|e| e.starts_with("EV STARTTLSOK")),
        "{events:?}"
    );
    assert_eq!(s.messages[0].transfer_status.code(), 250);
    assert!(s.messages[0].recipients[0].complete.get());
    // The monitor sees the dialogue over TLS in clear text.
    assert!(
        hooks
            .log
            .iter()
            .any(|l| l == "S< 250 queued over tls\\r\\n"),
        "{:?}",
        hooks.log
    );
}
