//! The STARTTLS and AUTH seams of the engine (tls-auth.md 4 and 10): a
//! test `SecuritySteps` with a fake TLS context and the real SASL exchange
//! (`sasl::smtp::authenticate`) over the engine's `AuthTransport`.

mod protocol_support;

use std::net::TcpStream;

use esmtp::core::error::{Error, Result};
use esmtp::core::events::SessionHooks;
use esmtp::core::extensions::ExtSet;
use esmtp::core::model::{Session, STARTTLS_ENABLED, STARTTLS_REQUIRED};
use esmtp::core::protocol::security::{
    AuthOutcome, AuthParams, AuthTransport, Handshake, NoSecurity, SecuritySteps,
};
use esmtp::core::protocol::{run, run_with, Outcome};
use esmtp::core::sasl::{smtp, AuthContext, Interact, Request, Secret, AUTH_PLUGIN_PLAIN};
use protocol_support::*;

/// Answers "user" and "pass", and records what it was asked.
struct Credentials {
    asked: std::rc::Rc<std::cell::Cell<usize>>,
}

impl Interact for Credentials {
    fn interact(&mut self, requests: &[Request]) -> Option<Vec<Secret>> {
        self.asked.set(self.asked.get() + 1);
        Some(
            requests
                .iter()
                .map(|r| Secret::from_slice(if r.name == "user" { b"user" } else { b"pass" }))
                .collect(),
        )
    }
}

struct Steps {
    auth: Option<AuthContext>,
    tls_context: bool,
}

impl Steps {
    fn with_auth() -> (Steps, std::rc::Rc<std::cell::Cell<usize>>) {
        let asked = std::rc::Rc::new(std::cell::Cell::new(0));
        let mut ctx = AuthContext::new();
        ctx.set_mechanism_flags(AUTH_PLUGIN_PLAIN, 0);
        ctx.set_interact(Some(Box::new(Credentials {
            asked: asked.clone(),
        })));
        (
            Steps {
                auth: Some(ctx),
                tls_context: false,
            },
            asked,
        )
    }
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
    ) -> Handshake {
        Handshake::Failed {
            error: Error::ClientError,
        }
    }

    fn authenticate(
        &mut self,
        mechanisms: &[String],
        params: &AuthParams,
        transport: &mut dyn AuthTransport,
    ) -> Option<Result<AuthOutcome>> {
        let ctx = self.auth.as_mut()?;
        Some(smtp::authenticate(ctx, mechanisms, params, transport))
    }
}

#[test]
fn auth_login_exchange_then_mail() {
    let (port, server) = serve(vec![Script::new(
        &["220 x"],
        vec![
            reply("EHLO", &["250-x", "250-AUTH LOGIN", "250 DSN"]),
            reply("AUTH LOGIN", &["334 UGFzc3dvcmQ6"]),
            reply("cGFzcw==", &["235 2.7.0 ok"]),
            reply("MAIL", &["250 ok"]),
            reply("RCPT", &["250 ok"]),
            reply("DATA", &["354 go"]),
            reply("QUIT", &["221 bye"]),
        ],
    )]);
    let mut s = session(port);
    s.messages.push(message(Some("a@x"), &["b@x"]));
    let (mut steps, asked) = Steps::with_auth();
    let mut hooks = Recorder::new(vec!["x\r\n"]);
    hooks.monitor = true;
    let outcome = run_with(&s, "c", &mut hooks, &mut steps);
    let t = server.join().expect("server").remove(0);
    // Credentials never reach the monitor in clear.
    let written: Vec<&String> = hooks.log.iter().filter(|l| l.starts_with("C> ")).collect();
    assert!(
        written.iter().any(|l| l.starts_with("C> AUTH LOGIN")),
        "{written:?}"
    );
    assert!(
        !written
            .iter()
            .any(|l| l.contains("dXNlcg==") || l.contains("cGFzcw==")),
        "{written:?}"
    );
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
            "AUTH LOGIN dXNlcg==",
            "cGFzcw==",
            "MAIL FROM:<a@x>",
            "RCPT TO:<b@x>"
        ]
    );
    assert_eq!(asked.get(), 1);
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
    let (mut steps, asked) = Steps::with_auth();
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
    assert_eq!(t.commands(), vec!["EHLO c", "AUTH LOGIN dXNlcg==", "QUIT"]);
    assert!(hooks.events().contains(&"EV EXTNA8BITMIME".to_owned()));
    assert_eq!(asked.get(), 1);
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
    let (mut steps, asked) = Steps::with_auth();
    let outcome = run_with(&s, "c", &mut Recorder::new(vec!["x\r\n"]), &mut steps);
    let t = server.join().expect("server").remove(0);
    let _ = asked;
    assert_eq!(
        outcome,
        Outcome {
            ret: true,
            error: None
        }
    );
    assert_eq!(
        t.commands()[..4],
        ["EHLO c", "AUTH LOGIN dXNlcg==", "*", "MAIL FROM:<a@x>"]
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

#[test]
fn starttls_reply_with_injected_plaintext_drops_the_connection() {
    // "250 injected" arrives in clear with the 220: taken as a protocol
    // attack, the connection is dropped before any handshake.
    let (port, server) = serve(vec![Script::new(
        &["220 x"],
        vec![
            reply("EHLO", &["250-x", "250 STARTTLS"]),
            rule(
                "STARTTLS",
                Action::Raw(b"220 go ahead\r\n250 injected\r\n".to_vec()),
            ),
        ],
    )]);
    let mut s = session(port);
    s.messages.push(message(Some("a@x"), &["b@x"]));
    s.starttls = STARTTLS_REQUIRED;
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
            error: Some(Error::ClientError)
        }
    );
    assert_eq!(t.commands(), vec!["EHLO c", "STARTTLS"]);
}

#[test]
fn starttls_required_not_offered_with_the_real_tls_module() {
    let (port, server) = serve(vec![Script::new(
        &["220 x"],
        vec![
            reply("EHLO", &["250-x", "250 8BITMIME"]),
            reply("QUIT", &["221 bye"]),
        ],
    )]);
    let mut s = session(port);
    s.messages.push(message(Some("a@x"), &["b@x"]));
    s.starttls = STARTTLS_REQUIRED;
    let mut hooks = Recorder::new(vec!["x\r\n"]);
    let outcome = run(&s, "c", &mut hooks);
    let t = server.join().expect("server").remove(0);
    assert_eq!(
        outcome,
        Outcome {
            ret: true,
            error: Some(Error::ExtensionNotAvailable)
        }
    );
    assert_eq!(t.commands(), vec!["EHLO c", "QUIT"]);
    assert_eq!(
        hooks.events(),
        vec!["EV CONNECT", "EV EXTNASTARTTLS", "EV DISCONNECT"]
    );
    let _ = NoSecurity;
}
