//! From the greeting to the first transaction: greeting (spec 4), EHLO and
//! the HELO fallback (5.1, 5.2), STARTTLS and AUTH (5.4, tls-auth.md 4 and
//! 10) and the required-extension check (12.1).

use base64::Engine as _;

use super::engine::{Engine, Stop};
use super::security::{SecuritySteps, TlsHandshake};
use crate::core::commands;
use crate::core::error::Error;
use crate::core::events::{Event, SessionHooks};
use crate::core::extensions::{EhloInfo, ExtSet};
use crate::core::model::{STARTTLS_DISABLED, STARTTLS_REQUIRED};

/// Waits for the greeting (spec 4).
pub(crate) fn greeting(e: &mut Engine<'_>, hooks: &mut dyn SessionHooks) -> Result<(), Stop> {
    let slot = &e.session.greeting_status;
    slot.reset();
    match e.read_reply(hooks, None) {
        Err(failure) => {
            slot.set(failure.partial);
            e.error = Some(failure.error);
            Err(if failure.timeout_at_start {
                Stop::EndNow
            } else {
                Stop::CloseThenNextAddress
            })
        }
        Ok(status) => {
            let code = status.code;
            slot.set(status);
            match code {
                220 => Ok(()),
                c if c / 100 == 4 || c / 100 == 5 => Err(Stop::QuitThenNextAddress),
                _ => Err(Stop::CloseThenNextAddress),
            }
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
        let auth_possible =
            e.has(ExtSet::AUTH) && !e.authenticated && security.auth_client().is_some();
        if auth_possible && authenticate(e, hooks, security)? {
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
    let command = commands::ehlo(e.hostname).map_err(Stop::Abort)?;
    e.conn.queue_command(&command, hooks);
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
    let slot = &e.session.greeting_status;
    slot.reset();
    match e.read_reply(hooks, None) {
        Err(failure) => {
            slot.set(failure.partial);
            e.error = Some(failure.error);
            Err(if failure.timeout_at_start {
                Stop::EndNow
            } else {
                Stop::QuitThenNextAddress
            })
        }
        Ok(status) => {
            let class = status.code / 100;
            slot.set(status);
            match class {
                2 => Ok(()),
                4 | 5 => Err(Stop::QuitThenNextAddress),
                _ => {
                    e.error = Some(Error::InvalidResponseStatus);
                    Err(Stop::QuitThenNextAddress)
                }
            }
        }
    }
}

/// Reads the reply to STARTTLS/AUTH into the session's internal status.
fn read_internal(e: &mut Engine<'_>, hooks: &mut dyn SessionHooks) -> Result<i32, Stop> {
    let slot = &e.session.greeting_status;
    e.read_into(hooks, Some(slot)).map(|s| s.code)
}

/// STARTTLS and the handshake (tls-auth.md 4.2).
fn starttls(
    e: &mut Engine<'_>,
    hooks: &mut dyn SessionHooks,
    security: &mut dyn SecuritySteps,
) -> Result<(), Stop> {
    e.conn.queue_command(&commands::starttls(), hooks);
    e.conn.flush(hooks);
    let code = read_internal(e, hooks)?;
    match code / 100 {
        2 => {}
        4 | 5 => return Err(Stop::Quit),
        _ => {
            e.error = Some(Error::InvalidResponseStatus);
            return Err(Stop::Quit);
        }
    }
    // Whatever arrived in clear after the reply is discarded (take_plain).
    let Some(tcp) = e.conn.take_plain(hooks) else {
        return Err(Stop::Abort(Error::ClientError));
    };
    match security.tls_handshake(e.session, tcp, hooks) {
        TlsHandshake::Established(tls) => {
            e.conn.upgrade(tls);
            e.tls_active = true;
            e.ehlo = EhloInfo::default();
            Ok(())
        }
        TlsHandshake::ChecksFailed(tls) => {
            e.conn.upgrade(tls);
            e.tls_active = true;
            e.ehlo = EhloInfo::default();
            Err(Stop::Quit)
        }
        TlsHandshake::Failed => Err(Stop::Abort(security.tls_error())),
    }
}

/// The SASL exchange (tls-auth.md 10.3–10.5). `Ok(true)`: a security layer
/// was negotiated and EHLO must be sent again.
fn authenticate(
    e: &mut Engine<'_>,
    hooks: &mut dyn SessionHooks,
    security: &mut dyn SecuritySteps,
) -> Result<bool, Stop> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mechanisms = e.ehlo.auth_mechanisms.clone();
    let mut next = 0;
    'mechanism: loop {
        let Some(client) = security.auth_client() else {
            return Ok(false);
        };
        let mut start = None;
        while next < mechanisms.len() && start.is_none() {
            start = client.select(&mechanisms[next]);
            next += 1;
        }
        let Some(start) = start else {
            // Every mechanism refused: go on unauthenticated.
            return Ok(false);
        };
        let initial = start.initial_response.as_ref().map(|raw| {
            if raw.is_empty() {
                "=".to_owned()
            } else {
                b64.encode(raw)
            }
        });
        let command = commands::auth(&start.keyword, initial.as_deref()).map_err(Stop::Abort)?;
        e.conn.queue_command(&command, hooks);
        e.conn.flush(hooks);
        loop {
            let code = read_internal(e, hooks)?;
            match code / 100 {
                2 => {
                    e.authenticated = true;
                    let layer = security.auth_client().is_some_and(|c| c.ssf() > 0);
                    if layer {
                        security.auth_layer_established();
                        e.ehlo = EhloInfo::default();
                    }
                    return Ok(layer);
                }
                3 => {
                    let text = e.session.greeting_status.with(|s| s.text.clone());
                    let trimmed = String::from_utf8_lossy(&text).trim().to_owned();
                    let response = b64
                        .decode(trimmed.as_bytes())
                        .ok()
                        .and_then(|challenge| security.auth_client()?.respond(&challenge));
                    let line = match response {
                        Some(raw) => b64.encode(raw),
                        None => "*".to_owned(),
                    };
                    let command = commands::auth_response(&line).map_err(Stop::Abort)?;
                    e.conn.queue_command(&command, hooks);
                    e.conn.flush(hooks);
                }
                _ if code == 534 || code == 538 => return Err(Stop::Quit),
                4 | 5 => continue 'mechanism,
                _ => {
                    e.error = Some(Error::InvalidResponseStatus);
                    return Err(Stop::Quit);
                }
            }
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
