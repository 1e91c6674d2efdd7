//! The SMTP AUTH exchange (RFC 4954) as libESMTP runs it (tls-auth.md §10):
//! the protocol engine calls [`authenticate`] after an EHLO reply when no
//! STARTTLS is about to start, the server listed AUTH, the session has an
//! auth context and is not yet authenticated on this connection.
//!
//! The engine provides the connection through [`AuthTransport`]; every
//! line is written and flushed, and its reply awaited (AUTH is never
//! pipelined). Sketch of the engine's side:
//!
//! ```text
//! per connection:  mechs.clear(); authenticated = false;
//! each EHLO line:  if ehlo_auth_line(&mut mechs, text) { ext |= AUTH }
//! after EHLO, no STARTTLS pending, ext has AUTH, !authenticated,
//! the session has a live context (C: capi::auth::with_auth_context):
//!   match authenticate(ctx, &mechs, &AuthParams { tls_active, starttls_required }, &mut conn)? {
//!     NotAttempted | Failed { .. } => continue as without AUTH (ETRN, MAIL FROM)
//!     Authenticated { ssf: 0, .. } => authenticated = true; continue (no new EHLO)
//!     Authenticated { ssf, .. }    => unreachable with built-in mechanisms (§10.6)
//!     Quit { .. }                  => QUIT, smtp_errno untouched, return 1
//!   }
//!   Err(e) => set smtp_errno from e, QUIT (as for any bad reply)
//! ```
//!
//! Deliberate differences from libESMTP 1.1.0 (docs/compat.md):
//! - PLAIN-flagged mechanisms (PLAIN, LOGIN) are never used when the
//!   application required STARTTLS (`Starttls_REQUIRED`) and TLS is not
//!   active; otherwise libESMTP's rule stays: they need `AUTH_PLUGIN_PLAIN`.
//! - An initial response too long for the AUTH command line (RFC 4954's
//!   12288 octets) is sent after the server's first (empty) 334 challenge
//!   instead of being silently dropped (Q25).
//! - The monitor is shown the credential-bearing lines redacted unless
//!   `ESMTP_MONITOR_SHOW_AUTH=1` is in the environment ([`monitor_view`]).
//! - Challenges and responses have no 2048-byte limit (Q25).

use std::sync::OnceLock;

use crate::core::error::{Error, Result};

use super::{base64, find, AuthContext, Secret, AUTH_PLUGIN_PLAIN};

/// A reply to AUTH or to a continuation line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthReply {
    /// The three-digit reply code.
    pub code: i32,
    /// The reply text after the code and its separator, leading blanks
    /// skipped (for a multi-line reply: what the reply parser keeps as the
    /// text, lines joined with their line breaks). For `334` it is the
    /// base64 challenge.
    pub text: Vec<u8>,
}

/// The connection, as the AUTH exchange needs it.
pub trait AuthTransport {
    /// Writes `line` (a complete command line, CRLF included) and flushes.
    /// `monitor` is what the protocol monitor should be shown for it: the
    /// line itself, or a redacted copy when it carries credentials.
    fn send_line(&mut self, line: &[u8], monitor: &[u8]) -> Result<()>;

    /// Reads one complete reply. Errors (syntax, dropped connection,
    /// timeout) end the exchange and are returned by [`authenticate`]
    /// unchanged; the engine then does what it does for any bad reply.
    fn read_reply(&mut self) -> Result<AuthReply>;
}

/// What the engine knows about the connection when AUTH starts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuthParams {
    /// TLS is active on this connection.
    pub tls_active: bool,
    /// The application asked for `Starttls_REQUIRED`.
    pub starttls_required: bool,
}

/// How the exchange ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthOutcome {
    /// AUTH was not attempted: the context has no interact callback or no
    /// advertised mechanism is selectable. Go on as without AUTH (ETRN,
    /// MAIL FROM), silently.
    NotAttempted,
    /// A 2xx reply: the session is authenticated. `ssf` is the mechanism's
    /// (0 for every built-in one; > 0 would mean a security layer, EHLO
    /// again, and clearing the session's context pointer, §10.6).
    Authenticated {
        mechanism: &'static str,
        ssf: i32,
        reply: AuthReply,
    },
    /// Every selectable mechanism was refused: go on unauthenticated (ETRN,
    /// MAIL FROM), no event, `smtp_errno` untouched (Q23).
    Failed { reply: AuthReply },
    /// 534 or 538: send QUIT now, no event, `smtp_errno` untouched; the
    /// session returns 1 with nothing sent.
    Quit { reply: AuthReply },
}

/// RFC 4954: servers accept AUTH command lines of at least 12288 octets.
pub const MAX_AUTH_LINE: usize = 12288;

/// The longest mechanism name kept from the EHLO reply (libESMTP: 63).
const MAX_MECH_NAME: usize = 63;

fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | 0x0b)
}

fn is_atom(b: u8) -> bool {
    (0x21..=0x7e).contains(&b) && !b"\"()<>[]@,;:\\.".contains(&b)
}

/// Handles one line of an EHLO reply (its text after `250-`/`250 `) if it
/// is an AUTH line: `AUTH m1 m2 …`, or the obsolete `AUTH=m1 m2 …`
/// (Debian's build accepts it). Returns true if it was one (the server
/// offers AUTH), after adding its mechanisms to `list` with
/// [`add_mechanisms`]. Like libESMTP, the keyword token is read as an atom
/// of which only 31 bytes are kept, so in the `AUTH=` form the first name
/// is cut to 26 bytes.
pub fn ehlo_auth_line(list: &mut Vec<String>, line: &[u8]) -> bool {
    const TOKEN_MAX: usize = 31;
    let start = line
        .iter()
        .position(|&b| !is_blank(b))
        .unwrap_or(line.len());
    let rest = &line[start..];
    let len = rest.iter().position(|&b| !is_atom(b)).unwrap_or(rest.len());
    let token = &rest[..len.min(TOKEN_MAX)];
    let after = &rest[len..];
    if token.eq_ignore_ascii_case(b"AUTH") {
        add_mechanisms(list, after);
        true
    } else if token.len() >= 5 && token[..5].eq_ignore_ascii_case(b"AUTH=") {
        add_mechanisms(list, &token[5..]);
        add_mechanisms(list, after);
        true
    } else {
        false
    }
}

/// Adds the mechanism names of an EHLO `AUTH` line to `list` (§10.2). `args`
/// is the text after `AUTH` (or after `AUTH=` for the obsolete form). Names
/// are SMTP atoms separated by blanks; parsing stops at the first character
/// that is neither; names are truncated to 63 bytes; duplicates are dropped
/// ASCII-case-insensitively; order is first seen.
pub fn add_mechanisms(list: &mut Vec<String>, args: &[u8]) {
    let mut rest = args;
    loop {
        let start = rest
            .iter()
            .position(|&b| !is_blank(b))
            .unwrap_or(rest.len());
        rest = &rest[start..];
        let len = rest.iter().position(|&b| !is_atom(b)).unwrap_or(rest.len());
        if len == 0 {
            return;
        }
        let name = &rest[..len.min(MAX_MECH_NAME)];
        rest = &rest[len..];
        // Atoms are ASCII, so this is lossless.
        let name = String::from_utf8_lossy(name).into_owned();
        if !list.iter().any(|m| m.eq_ignore_ascii_case(&name)) {
            list.push(name);
        }
    }
}

/// Whether the monitor is shown AUTH credentials verbatim
/// (`ESMTP_MONITOR_SHOW_AUTH=1`, read once per process).
pub fn monitor_shows_credentials() -> bool {
    static SHOW: OnceLock<bool> = OnceLock::new();
    *SHOW.get_or_init(|| std::env::var_os("ESMTP_MONITOR_SHOW_AUTH").is_some_and(|v| v == "1"))
}

/// What the monitor sees in place of credentials.
pub const REDACTED: &[u8] = b"<hidden>";

/// The monitor's view of an AUTH line: `prefix` (public, e.g. `AUTH PLAIN `
/// or empty for a continuation line) followed by `secret` (base64 data),
/// redacted unless [`monitor_shows_credentials`].
pub fn monitor_view(prefix: &[u8], secret: &[u8], show: bool) -> Vec<u8> {
    let mut v = Vec::with_capacity(prefix.len() + secret.len() + 2);
    v.extend_from_slice(prefix);
    if show || secret.is_empty() {
        v.extend_from_slice(secret);
    } else {
        v.extend_from_slice(REDACTED);
    }
    v.extend_from_slice(b"\r\n");
    v
}

/// Whether the built-in mechanism `name` may be tried on this connection
/// (on top of the context's own rules, which `set_mechanism` applies).
fn policy_allows(name: &str, params: &AuthParams) -> bool {
    let plain = find(name).is_some_and(|m| m.flags & AUTH_PLUGIN_PLAIN != 0);
    !(plain && params.starttls_required && !params.tls_active)
}

/// Selects the first selectable mechanism from `mechanisms[from..]`,
/// returning its index.
fn select_from(
    ctx: &mut AuthContext,
    mechanisms: &[String],
    from: usize,
    params: &AuthParams,
) -> Option<usize> {
    mechanisms
        .iter()
        .enumerate()
        .skip(from)
        .find(|(_, name)| policy_allows(name, params) && ctx.set_mechanism(name))
        .map(|(i, _)| i)
}

/// Writes one line: `prefix` + `data` + CRLF; `data` is credentials.
fn send(t: &mut dyn AuthTransport, prefix: &[u8], data: &[u8], show: bool) -> Result<()> {
    let mut line = Secret::with_capacity(prefix.len() + data.len() + 2);
    line.extend(prefix);
    line.extend(data);
    line.extend(b"\r\n");
    let view = monitor_view(prefix, data, show);
    t.send_line(line.as_bytes(), &view)
}

/// Runs the AUTH exchange (§10.3–10.5) with the server's mechanism list
/// `mechanisms` (EHLO order, see [`add_mechanisms`]).
///
/// Mechanisms are tried in the server's order; the first one the context
/// accepts (`auth_set_mechanism` rules, plus the TLS policy above) is used.
/// A 4xx/5xx other than 534/538 moves on to the next selectable mechanism
/// after it (the interact callback is asked again). Replies with a code
/// outside 2xx–5xx give `Err(Error::InvalidResponseStatus)` (the engine
/// sets `smtp_errno` 6 and QUITs); transport errors are returned as they
/// are.
pub fn authenticate(
    ctx: &mut AuthContext,
    mechanisms: &[String],
    params: &AuthParams,
    t: &mut dyn AuthTransport,
) -> Result<AuthOutcome> {
    if !ctx.enabled() {
        return Ok(AuthOutcome::NotAttempted);
    }
    let Some(mut current) = select_from(ctx, mechanisms, 0, params) else {
        return Ok(AuthOutcome::NotAttempted);
    };
    let show = monitor_shows_credentials();

    loop {
        let keyword = ctx.mechanism_name().unwrap_or("");
        let mut command = Vec::with_capacity(6 + keyword.len());
        command.extend_from_slice(b"AUTH ");
        command.extend_from_slice(keyword.as_bytes());

        // The initial response, if the mechanism has one.
        let mut deferred: Option<Secret> = None;
        match ctx.response(None).map(base64::encode) {
            None => send(t, &command, b"", show)?,
            Some(enc) if enc.is_empty() => {
                command.extend_from_slice(b" =");
                send(t, &command, b"", show)?;
            }
            Some(enc) if command.len() + 1 + enc.len() + 2 > MAX_AUTH_LINE => {
                // RFC 4954 §4: too long for the command line; send it as the
                // answer to the server's first (empty) challenge instead.
                send(t, &command, b"", show)?;
                deferred = Some(enc);
            }
            Some(enc) => {
                command.push(b' ');
                send(t, &command, enc.as_bytes(), show)?;
            }
        }

        loop {
            let reply = t.read_reply()?;
            match reply.code / 100 {
                2 => {
                    return Ok(AuthOutcome::Authenticated {
                        mechanism: keyword,
                        ssf: ctx.ssf().unwrap_or(0),
                        reply,
                    });
                }
                3 => {
                    if let Some(enc) = deferred.take() {
                        send(t, b"", enc.as_bytes(), show)?;
                        continue;
                    }
                    let response = base64::decode(&reply.text)
                        .and_then(|challenge| ctx.response(Some(&challenge)).map(base64::encode));
                    match response {
                        // Cancel: undecodable challenge or no response.
                        None => send(t, b"*", b"", show)?,
                        // An empty response is an empty line.
                        Some(enc) => send(t, b"", enc.as_bytes(), show)?,
                    }
                }
                4 | 5 => {
                    if reply.code == 534 || reply.code == 538 {
                        return Ok(AuthOutcome::Quit { reply });
                    }
                    match select_from(ctx, mechanisms, current + 1, params) {
                        Some(next) => {
                            current = next;
                            break;
                        }
                        None => return Ok(AuthOutcome::Failed { reply }),
                    }
                }
                _ => return Err(Error::InvalidResponseStatus),
            }
        }
    }
}
