//! From the greeting to the first transaction: greeting (spec 4), EHLO and
//! the HELO fallback (5.1, 5.2), STARTTLS and AUTH (5.4, tls-auth.md 4 and
//! 10) and the required-extension check (12.1).

use super::engine::{Engine, Stop};
use super::security::{
    AuthOutcome, AuthParams, AuthReply, AuthTransport, Handshake, SecuritySteps,
};
use crate::core::commands;
use crate::core::error::Error;
use crate::core::events::{Event, SessionHooks};
use crate::core::extensions::{EhloInfo, ExtSet};
use crate::core::model::{STARTTLS_DISABLED, STARTTLS_REQUIRED};
use crate::core::status::Status;
use crate::core::transport::tls;

/// Waits for the greeting (spec 4).
pub(crate) fn greeting(e: &mut Engine<'_>, hooks: &mut dyn SessionHooks) -> Result<(), Stop> {
    match read_greeting_slot(e, hooks, Stop::CloseThenNextAddress)? {
        220 => Ok(()),
        c if c / 100 == 4 || c / 100 == 5 => Err(Stop::QuitThenNextAddress),
        _ => Err(Stop::CloseThenNextAddress),
    }
}

/// Reads the greeting or HELO reply into the session's greeting status and
/// returns its code. On failure the error is recorded and the session stops
/// with `on_failure`, or at once when the wait timed out before any byte.
fn read_greeting_slot(
    e: &mut Engine<'_>,
    hooks: &mut dyn SessionHooks,
    on_failure: Stop,
) -> Result<i32, Stop> {
    let slot = &e.session.greeting_status;
    slot.reset();
    match e.read_reply(hooks, None) {
        Err(failure) => {
            slot.set(failure.partial);
            e.error = Some(failure.error);
            Err(if failure.timeout_at_start {
                Stop::EndNow
            } else {
                on_failure
            })
        }
        Ok(status) => {
            let code = status.code;
            slot.set(status);
            Ok(code)
        }
    }
}

/// EHLO, HELO, STARTTLS, AUTH and the extension check, up to the point
/// where ETRN and the first transaction may start.
pub(crate) fn negotiate(
    e: &mut Engine<'_>,
    hooks: &mut dyn SessionHooks,
    security: &mut dyn SecuritySteps,
) -> Result<(), Stop> {
    let mut via_helo;
    loop {
        via_helo = !ehlo_or_helo(e, hooks)?;
        if via_helo {
            break;
        }
        // Step 1: STARTTLS (tls-auth.md 4.1).
        let mode = e.session.starttls;
        if mode != STARTTLS_DISABLED && !e.tls_active && !e.authenticated {
            let offered = e.has(ExtSet::STARTTLS);
            if offered && security.tls_context_available(e.session, hooks) {
                starttls(e, hooks, security)?;
                continue; // EHLO again, over TLS.
            }
            if mode == STARTTLS_REQUIRED {
                hooks.event(Event::ExtnaStarttls, None);
                e.error = Some(Error::ExtensionNotAvailable);
                return Err(Stop::Quit);
            }
        }
        // Step 2: AUTH (tls-auth.md 10).
        if e.has(ExtSet::AUTH) && !e.authenticated && authenticate(e, hooks, security)? {
            continue; // A security layer: EHLO again.
        }
        break;
    }
    // Step 3, also after AUTH (quirk Q-AUTHSKIP fixed).
    extension_check(e, hooks, via_helo)
}

/// Sends EHLO (and HELO if needed). `Ok(true)`: EHLO accepted.
fn ehlo_or_helo(e: &mut Engine<'_>, hooks: &mut dyn SessionHooks) -> Result<bool, Stop> {
    e.ehlo = EhloInfo::default();
    let mut command = std::mem::take(&mut e.command_buf);
    command.clear();
    let composed = commands::ehlo_into(&mut command, e.hostname);
    if composed.is_ok() {
        e.conn.queue_command(&command, hooks);
    }
    e.command_buf = command;
    composed.map_err(Stop::Abort)?;
    e.conn.flush(hooks);
    let slot = &e.session.greeting_status;
    slot.reset();
    let mut info = EhloInfo::default();
    let status = match e.read_reply(hooks, Some(&mut info)) {
        Ok(status) => status,
        Err(failure) => {
            slot.set(failure.partial);
            e.error = Some(failure.error);
            return Err(if failure.timeout_at_start {
                Stop::EndNow
            } else {
                Stop::Quit
            });
        }
    };
    let code = status.code;
    slot.set(status);
    match code {
        c if c / 100 == 2 => {
            e.ehlo = info;
            Ok(true)
        }
        500 | 501 | 502 | 504 => helo(e, hooks).map(|()| false),
        c if c / 100 == 5 => Err(Stop::Quit),
        c if c / 100 == 4 => Err(Stop::QuitThenNextAddress),
        _ => {
            e.error = Some(Error::InvalidResponseStatus);
            Err(Stop::Quit)
        }
    }
}

fn helo(e: &mut Engine<'_>, hooks: &mut dyn SessionHooks) -> Result<(), Stop> {
    let command = commands::helo(e.hostname).map_err(Stop::Abort)?;
    e.conn.queue_command(&command, hooks);
    e.conn.flush(hooks);
    match read_greeting_slot(e, hooks, Stop::QuitThenNextAddress)? / 100 {
        2 => Ok(()),
        4 | 5 => Err(Stop::QuitThenNextAddress),
        _ => {
            e.error = Some(Error::InvalidResponseStatus);
            Err(Stop::QuitThenNextAddress)
        }
    }
}

/// Reads the reply to STARTTLS/AUTH into the session's internal status.
fn read_internal(e: &mut Engine<'_>, hooks: &mut dyn SessionHooks) -> Result<Status, Stop> {
    let slot = &e.session.greeting_status;
    e.read_into(hooks, Some(slot))
}

/// STARTTLS and the handshake (tls-auth.md 4.2).
fn starttls(
    e: &mut Engine<'_>,
    hooks: &mut dyn SessionHooks,
    security: &mut dyn SecuritySteps,
) -> Result<(), Stop> {
    e.conn.queue_command(commands::starttls(), hooks);
    e.conn.flush(hooks);
    let code = read_internal(e, hooks)?.code;
    match code / 100 {
        2 => {}
        4 | 5 => return Err(Stop::Quit),
        _ => {
            e.error = Some(Error::InvalidResponseStatus);
            return Err(Stop::Quit);
        }
    }
    // Anything that arrived in clear after the reply would be taken as sent
    // over TLS (STARTTLS response injection): drop the connection.
    if let Err(error) = tls::check_no_pending_plaintext(e.conn.buffered_input()) {
        return Err(Stop::Abort(error));
    }
    let Some(tcp) = e.conn.take_plain(hooks) else {
        return Err(Stop::Abort(Error::ClientError));
    };
    match security.tls_handshake(e.session, tcp, hooks) {
        Handshake::Established {
            stream,
            external_id,
        } => {
            e.conn.upgrade(*stream);
            e.tls_active = true;
            e.ehlo = EhloInfo::default();
            if let Some(identity) = external_id {
                security.set_external_id(&identity);
            }
            Ok(())
        }
        Handshake::Rejected { stream } => {
            // QUIT over the established TLS channel, no error code.
            e.conn.upgrade(*stream);
            e.tls_active = true;
            e.ehlo = EhloInfo::default();
            Err(Stop::Quit)
        }
        Handshake::Failed { error } => Err(Stop::Abort(error)),
    }
}

/// The connection as the AUTH exchange sees it: every line flushed, every
/// reply read into the session's internal status.
struct EngineAuthTransport<'e, 's, 'h> {
    engine: &'e mut Engine<'s>,
    hooks: &'h mut dyn SessionHooks,
    /// How a failed read ends the session (a timeout at the start of a
    /// reply ends it at once).
    stop: Option<Stop>,
}

impl AuthTransport for EngineAuthTransport<'_, '_, '_> {
    fn send_line(&mut self, line: &[u8], monitor: &[u8]) -> crate::core::error::Result<()> {
        // Refuse what would break the line (a mechanism's bug, not the server's).
        let body = line.strip_suffix(b"\r\n").unwrap_or(line);
        if body.iter().any(|&b| matches!(b, b'\r' | b'\n' | 0)) {
            return Err(Error::Inval);
        }
        self.engine
            .conn
            .write_line_showing(line, monitor, self.hooks);
        Ok(())
    }

    fn read_reply(&mut self) -> crate::core::error::Result<AuthReply> {
        match read_internal(self.engine, self.hooks) {
            Ok(status) => Ok(AuthReply {
                code: status.code,
                text: status.text.to_vec(),
            }),
            Err(stop) => {
                self.stop = Some(stop);
                Err(self
                    .engine
                    .error
                    .clone()
                    .unwrap_or(Error::DroppedConnection))
            }
        }
    }
}

/// The SASL exchange (tls-auth.md 10). `Ok(true)`: a security layer was
/// negotiated and EHLO must be sent again.
fn authenticate(
    e: &mut Engine<'_>,
    hooks: &mut dyn SessionHooks,
    security: &mut dyn SecuritySteps,
) -> Result<bool, Stop> {
    let mechanisms = e.ehlo.auth_mechanisms.clone();
    let params = AuthParams {
        tls_active: e.tls_active,
        starttls_required: e.session.starttls == STARTTLS_REQUIRED,
    };
    let mut transport = EngineAuthTransport {
        engine: e,
        hooks,
        stop: None,
    };
    let result = security.authenticate(&mechanisms, &params, &mut transport);
    let stop = transport.stop.take();
    match result {
        None => Ok(false),
        Some(Ok(AuthOutcome::NotAttempted)) | Some(Ok(AuthOutcome::Failed { .. })) => Ok(false),
        Some(Ok(AuthOutcome::Authenticated { ssf, .. })) => {
            e.authenticated = true;
            if ssf > 0 {
                // Security layers are not supported by any built-in
                // mechanism; libESMTP would EHLO again through the layer.
                security.auth_layer_established();
                e.ehlo = EhloInfo::default();
                return Ok(true);
            }
            Ok(false)
        }
        Some(Ok(AuthOutcome::Quit { .. })) => Err(Stop::Quit),
        Some(Err(error)) => {
            if let Some(stop) = stop {
                // The reply reader recorded the error already.
                return Err(stop);
            }
            e.error = Some(error);
            Err(Stop::Quit)
        }
    }
}

/// Required-extension check (spec 12.1): events in the order STARTTLS
/// (HELO path), DSN, CHUNKING, BINARYMIME, 8BITMIME, ETRN.
fn extension_check(
    e: &mut Engine<'_>,
    hooks: &mut dyn SessionHooks,
    via_helo: bool,
) -> Result<(), Stop> {
    let required = e.session.required;
    let missing = |ext: ExtSet| required.contains(ext) && !e.ehlo.has(ext);
    let mut quit = false;
    if via_helo && e.session.starttls == STARTTLS_REQUIRED && !e.tls_active {
        hooks.event(Event::ExtnaStarttls, None);
        quit = true;
    }
    if missing(ExtSet::DSN) {
        let mut q = 0;
        hooks.event(Event::ExtnaDsn, Some(&mut q));
        quit |= q != 0;
    }
    if missing(ExtSet::CHUNKING) {
        let mut q = 0;
        hooks.event(Event::ExtnaChunking, Some(&mut q));
        quit |= q != 0;
    }
    if missing(ExtSet::BINARYMIME) {
        hooks.event(Event::ExtnaBinarymime, None);
        quit = true;
    }
    if missing(ExtSet::EIGHTBITMIME) {
        hooks.event(Event::Extna8bitmime, None);
        quit = true;
    }
    if missing(ExtSet::ETRN) {
        let mut q = 1;
        hooks.event(Event::ExtnaEtrn, Some(&mut q));
        quit |= q != 0;
    }
    if quit {
        e.error = Some(Error::ExtensionNotAvailable);
        return Err(Stop::Quit);
    }
    Ok(())
}
