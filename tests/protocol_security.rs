//! The STARTTLS and AUTH seams of the engine (tls-auth.md 4 and 10), with
//! test implementations of `SecuritySteps` and `AuthClient`.

mod protocol_support;

use std::net::TcpStream;

use esmtp::core::error::Error;
use esmtp::core::events::SessionHooks;
use esmtp::core::extensions::ExtSet;
use esmtp::core::model::{Session, STARTTLS_ENABLED};
use esmtp::core::protocol::security::{AuthClient, AuthStart, SecuritySteps, TlsHandshake};
use esmtp::core::protocol::{run_with, Outcome};
use protocol_support::*;

/// LOGIN with fixed credentials; refuses every other mechanism.
struct Login {
    answers: Vec<&'static [u8]>,
    challenges: Vec<Vec<u8>>,
}

impl AuthClient for Login {
    fn select(&mut self, mechanism: &str) -> Option<AuthStart> {
        mechanism.eq_ignore_ascii_case("LOGIN").then(|| AuthStart {
            keyword: "LOGIN".to_owned(),
            initial_response: None,
        })
    }

    fn respond(&mut self, challenge: &[u8]) -> Option<Vec<u8>> {
        self.challenges.push(challenge.to_vec());
        if self.answers.is_empty() {
            None
        } else {
            Some(self.answers.remove(0).to_vec())
        }
    }

    fn ssf(&self) -> i32 {
        0
    }
}

struct Steps {
    auth: Option<Login>,
    tls_context: bool,
}

impl SecuritySteps for Steps {
    fn tls_context_available(&mut self, _session: &Session, _hooks: &mut dyn SessionHooks) -> bool {
        self.tls_context
    }

    fn tls_handshake(
        &mut self,
        _session: &Session,
        _tcp: TcpStream,
        _hooks: &mut dyn SessionHooks,
    ) -> TlsHandshake {
        TlsHandshake::Failed
    }

    fn auth_client(&mut self) -> Option<&mut dyn AuthClient> {
        self.auth.as_mut().map(|a| a as &mut dyn AuthClient)
    }
}

#[test]
fn auth_login_exchange_then_mail() {
    let (port, server) = serve(vec![Script::new(
        &["220 x"],
        vec![
            reply("EHLO", &["250-x", "250-AUTH PLAIN LOGIN", "250 DSN"]),
            reply("AUTH LOGIN", &["334 VXNlcm5hbWU6"]),
            reply("dXNlcg==", &["334 UGFzc3dvcmQ6"]),
            reply("cGFzcw==", &["235 2.7.0 ok"]),
            reply("MAIL", &["250 ok"]),
            reply("RCPT", &["250 ok"]),
            reply("DATA", &["354 go"]),
            reply("QUIT", &["221 bye"]),
        ],
    )]);
    let mut s = session(port);
    s.messages.push(message(Some("a@x"), &["b@x"]));
    let mut steps = Steps {
        auth: Some(Login {
            answers: vec![b"user", b"pass"],
            challenges: vec![],
        }),
        tls_context: false,
    };
    let mut hooks = Recorder::new(vec!["x\r\n"]);
    let outcome = run_with(&s, "c", &mut hooks, &mut steps);
    let t = server.join().expect("server").remove(0);
    assert_eq!(
        outcome,
        Outcome {
            ret: true,
            error: None
        }
    );
    assert_eq!(
        t.commands()[..5],
        [
            "EHLO c",
            "AUTH LOGIN",
            "dXNlcg==",
            "cGFzcw==",
            "MAIL FROM:<a@x>"
        ]
    );
    let challenges = steps.auth.map(|a| a.challenges).unwrap_or_default();
    assert_eq!(
        challenges,
        vec![b"Username:".to_vec(), b"Password:".to_vec()]
    );
}

#[test]
fn auth_refused_goes_on_unauthenticated_and_still_checks_extensions() {
    let (port, server) = serve(vec![Script::new(
        &["220 x"],
        vec![
            reply("EHLO", &["250-x", "250 AUTH=LOGIN"]),
            reply("AUTH LOGIN", &["535 5.7.8 bad"]),
            reply("QUIT", &["221 bye"]),
        ],
    )]);
    let mut s = session(port);
    s.messages.push(message(Some("a@x"), &["b@x"]));
    s.required = ExtSet::EIGHTBITMIME;
    let mut steps = Steps {
        auth: Some(Login {
            answers: vec![],
            challenges: vec![],
        }),
        tls_context: false,
    };
    let mut hooks = Recorder::new(vec!["x\r\n"]);
    let outcome = run_with(&s, "c", &mut hooks, &mut steps);
    let t = server.join().expect("server").remove(0);
    // Q-AUTHSKIP fixed: the required-extension check runs after AUTH.
    assert_eq!(
        outcome,
        Outcome {
            ret: true,
            error: Some(Error::ExtensionNotAvailable)
        }
    );
    assert_eq!(t.commands(), vec!["EHLO c", "AUTH LOGIN", "QUIT"]);
    assert!(hooks.events().contains(&"EV EXTNA8BITMIME".to_owned()));
}

#[test]
fn auth_cancelled_with_star_on_undecodable_challenge() {
    let (port, server) = serve(vec![Script::new(
        &["220 x"],
        vec![
            reply("EHLO", &["250-x", "250 AUTH LOGIN"]),
            reply("AUTH LOGIN", &["334 not-base64!"]),
            reply("*", &["501 5.0.0 cancelled"]),
            reply("MAIL", &["250 ok"]),
            reply("RCPT", &["250 ok"]),
            reply("DATA", &["354 go"]),
            reply("QUIT", &["221 bye"]),
        ],
    )]);
    let mut s = session(port);
    s.messages.push(message(Some("a@x"), &["b@x"]));
    let mut steps = Steps {
        auth: Some(Login {
            answers: vec![b"user"],
            challenges: vec![],
        }),
        tls_context: false,
    };
    let outcome = run_with(&s, "c", &mut Recorder::new(vec!["x\r\n"]), &mut steps);
    let t = server.join().expect("server").remove(0);
    assert_eq!(
        outcome,
        Outcome {
            ret: true,
            error: None
        }
    );
    assert_eq!(
        t.commands()[..4],
        ["EHLO c", "AUTH LOGIN", "*", "MAIL FROM:<a@x>"]
    );
}

#[test]
fn starttls_handshake_failure_closes_without_quit() {
    let (port, server) = serve(vec![Script::new(
        &["220 x"],
        vec![
            reply("EHLO", &["250-x", "250 STARTTLS"]),
            reply("STARTTLS", &["220 go ahead", "250 injected"]),
        ],
    )]);
    let mut s = session(port);
    s.messages.push(message(Some("a@x"), &["b@x"]));
    s.starttls = STARTTLS_ENABLED;
    let mut steps = Steps {
        auth: None,
        tls_context: true,
    };
    let mut hooks = Recorder::new(vec!["x\r\n"]);
    let outcome = run_with(&s, "c", &mut hooks, &mut steps);
    let t = server.join().expect("server").remove(0);
    assert_eq!(
        outcome,
        Outcome {
            ret: true,
            error: Some(Error::ClientError)
        }
    );
    assert_eq!(t.commands(), vec!["EHLO c", "STARTTLS"]);
    assert_eq!(hooks.events(), vec!["EV CONNECT", "EV DISCONNECT"]);
}

#[test]
fn starttls_enabled_but_not_offered_continues_in_clear() {
    let (port, server) = serve(vec![Script::new(
        &["220 x"],
        vec![
            reply("EHLO", &["250 x"]),
            reply("MAIL", &["250 ok"]),
            reply("RCPT", &["250 ok"]),
            reply("DATA", &["354 go"]),
            reply("QUIT", &["221 bye"]),
        ],
    )]);
    let mut s = session(port);
    s.messages.push(message(Some("a@x"), &["b@x"]));
    s.starttls = STARTTLS_ENABLED;
    let mut steps = Steps {
        auth: None,
        tls_context: true,
    };
    let outcome = run_with(&s, "c", &mut Recorder::new(vec!["x\r\n"]), &mut steps);
    let t = server.join().expect("server").remove(0);
    assert_eq!(
        outcome,
        Outcome {
            ret: true,
            error: None
        }
    );
    assert_eq!(t.commands()[1], "MAIL FROM:<a@x>");
}
