//! The SMTP protocol engine: one `smtp_start_session()` run — checks,
//! resolving, every address in turn, and the whole dialogue on the server
//! that takes us (spec 3–15, api.md 9).
//!
//! Layout: `engine` (per-connection state, reply matching), `handshake`
//! (greeting, EHLO/HELO, STARTTLS, AUTH, extension check), `transaction`
//! (ETRN, MAIL, RCPT, DATA), `bdat` (CHUNKING), `security` (the seams for
//! TLS and SASL).
//!
//! The C layer calls [`run`] (STARTTLS through the TLS module, no AUTH) or,
//! to have AUTH, [`run_with`] with a [`security::StandardSecurity`] built
//! on an [`security::AuthHook`] over the session's `auth_context_t`
//! (`capi::auth::with_auth_context` + `sasl::smtp::authenticate`).
//!
//! Deliberate differences from libESMTP 1.1.0 (protocol.md 16): Q-INJECT
//! (CR/LF/NUL refused before connecting), Q-TRUNC, Q-ETRNSPACE, Q-BYMODE,
//! Q-XTEXT, Q-NOTIFY, Q-LONGLINE, Q-BARECODE, Q-SIGPIPE, Q-ETRNCRASH,
//! Q-AUTHSKIP, Q-BDATFAIL fixed; a BDAT LAST without a reply is not
//! delivered; STARTTLS plaintext injection drops the connection. Grouping
//! only (RFC 2920, docs/compat.md): with PIPELINING, MAIL goes out with its
//! RCPTs and DATA, and QUIT with the last message's content. Timing only: a
//! connect timeout (the greeting timeout), and a reply that was already
//! buffered is used at once (libESMTP waits for the socket first, which
//! changes only how commands are grouped on the wire).

mod bdat;
mod engine;
mod handshake;
pub mod security;
mod transaction;

use self::engine::{Engine, Stop};
use self::security::{SecuritySteps, StandardSecurity};
use crate::core::commands::check_wire_safe;
use crate::core::error::Error;
use crate::core::events::{Event, SessionHooks};
use crate::core::model::{Mailbox, Session};
use crate::core::transport::sio::Connection;
use crate::core::transport::tcp;

/// What `smtp_start_session()` returns and does to `smtp_errno`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The C return value: true = 1.
    pub ret: bool,
    /// What smtp_errno must be set to; `None` leaves it unchanged.
    pub error: Option<Error>,
}

/// Runs one session: STARTTLS as the session's settings say, no AUTH
/// (see [`run_with`] and [`security::StandardSecurity`] for AUTH).
pub fn run(session: &Session, hostname: &str, hooks: &mut dyn SessionHooks) -> Outcome {
    run_with(session, hostname, hooks, &mut StandardSecurity::new(None))
}

/// Runs one session. The caller has done the NULL/missing-callback checks
/// and determined `hostname`; this does the rest of spec 3.1 onwards.
pub fn run_with(
    session: &Session,
    hostname: &str,
    hooks: &mut dyn SessionHooks,
    security: &mut dyn SecuritySteps,
) -> Outcome {
    let fail = |error| Outcome {
        ret: false,
        error: Some(error),
    };
    let Some(server) = &session.server else {
        return fail(Error::Inval);
    };
    if !session.has_work() {
        return fail(Error::NothingToDo);
    }
    // Quirk Q-INJECT fixed: nothing that would break a command line leaves.
    if let Err(error) = check_session_text(session, hostname) {
        return fail(error);
    }
    let mut resolved = match tcp::resolve(&server.host, &server.service) {
        Ok(resolved) => resolved,
        Err(error) => return fail(error),
    };
    *session.canonical_name.borrow_mut() = resolved.canonical_name.take();

    let mut error = None;
    for address in resolved.addresses.iter() {
        let (stream, send_timeout) = match tcp::connect(address, session.timeouts.greeting) {
            Ok(connected) => connected,
            Err(e) => {
                error = Some(e);
                continue;
            }
        };
        let mut conn = Connection::new(stream, hooks.has_monitor(), session.timeouts.greeting);
        conn.send_timeout_is(send_timeout);
        hooks.event(Event::Connect, None);
        let mut engine = Engine::new(session, hostname, conn);
        engine.error = error.take();
        let next_address = run_connection(&mut engine, hooks, security);
        engine.conn.close();
        hooks.event(Event::Disconnect, None);
        error = engine.error.take();
        if !next_address {
            return Outcome { ret: true, error };
        }
    }
    Outcome { ret: false, error }
}

/// Every string that goes into a command, checked for CR, LF and NUL.
fn check_session_text(session: &Session, hostname: &str) -> Result<(), Error> {
    check_wire_safe(hostname)?;
    for node in &session.etrn_nodes {
        check_wire_safe(&node.domain)?;
    }
    for message in session
        .messages
        .iter()
        .filter(|m| m.has_incomplete_recipient())
    {
        check_wire_safe(
            message
                .reverse_path
                .as_ref()
                .map_or(&b""[..], Mailbox::as_bytes),
        )?;
        for recipient in &message.recipients {
            check_wire_safe(recipient.mailbox.as_bytes())?;
            if let Some((addr_type, _)) = recipient.orcpt.as_deref() {
                check_wire_safe(addr_type)?;
            }
        }
    }
    Ok(())
}

/// The dialogue on one connection. Returns true to try the next address.
fn run_connection(
    e: &mut Engine<'_>,
    hooks: &mut dyn SessionHooks,
    security: &mut dyn SecuritySteps,
) -> bool {
    let result = handshake::greeting(e, hooks)
        .and_then(|()| handshake::negotiate(e, hooks, security))
        .and_then(|()| transaction::run(e, hooks));
    match result {
        Ok(()) => false,
        Err(Stop::Quit) => {
            e.quit(hooks);
            false
        }
        Err(Stop::QuitThenNextAddress) => {
            e.quit(hooks);
            true
        }
        Err(Stop::CloseThenNextAddress) => true,
        Err(Stop::EndNow) => false,
        Err(Stop::Abort(error)) => {
            e.error = Some(error);
            e.conn.abort();
            false
        }
    }
}
