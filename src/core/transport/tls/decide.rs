//! libESMTP's STARTTLS decisions as pure functions (tls-auth.md 4.1–4.3):
//! whether to send STARTTLS after an EHLO/HELO reply, what a reply to
//! STARTTLS means, and the check against plaintext injected before the
//! handshake.

use crate::core::error::Error;

/// `enum starttls_option`, as `smtp_starttls_enable` stored it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `Starttls_DISABLED` (0), the default.
    Disabled,
    /// `Starttls_ENABLED` (1) and every value other than 0 and 2 (3.1:
    /// libESMTP does not range-check).
    Enabled,
    /// `Starttls_REQUIRED` (2).
    Required,
}

impl Mode {
    /// Interprets `Session::starttls`.
    pub fn from_setting(how: i32) -> Mode {
        match how {
            0 => Mode::Disabled,
            2 => Mode::Required,
            _ => Mode::Enabled,
        }
    }
}

/// What the engine does after a 2xx EHLO or HELO reply, before AUTH and the
/// required-extension check (4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EhloStep {
    /// No STARTTLS: go on in clear (AUTH, required-extension check, MAIL).
    Continue,
    /// The server offers STARTTLS: get a TLS context (which may raise
    /// certificate-file events), then ask [`after_context`].
    NeedContext,
    /// STARTTLS is required and cannot be used: fire
    /// `Event::ExtnaStarttls` (no out-parameter), then `QUIT`, and set
    /// `Error::ExtensionNotAvailable` (8). `smtp_start_session` returns 1.
    RequiredUnavailable,
}

/// After a 2xx EHLO reply. `offered`: the reply listed `STARTTLS`.
/// `tls_active`: this connection already runs TLS (then `STARTTLS` in the
/// second EHLO reply is ignored). `authenticated`: an AUTH exchange already
/// succeeded on this connection.
pub fn after_ehlo(mode: Mode, tls_active: bool, authenticated: bool, offered: bool) -> EhloStep {
    if tls_active || authenticated || mode == Mode::Disabled {
        return EhloStep::Continue;
    }
    match (offered, mode) {
        (true, _) => EhloStep::NeedContext,
        (false, Mode::Required) => EhloStep::RequiredUnavailable,
        (false, _) => EhloStep::Continue,
    }
}

/// After a 2xx HELO reply (EHLO was refused): no extensions, so STARTTLS is
/// never sent; REQUIRED mode gives up (T40). The engine fires
/// `ExtnaStarttls` first, then its other EXTNA reports, then `QUIT`.
pub fn after_helo(mode: Mode, tls_active: bool) -> EhloStep {
    if mode == Mode::Required && !tls_active {
        EhloStep::RequiredUnavailable
    } else {
        EhloStep::Continue
    }
}

/// What follows the attempt to get a TLS context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContextStep {
    /// Send `STARTTLS` (flushed, reply awaited even with PIPELINING).
    SendStarttls,
    /// ENABLED mode, no context: continue in clear, silently apart from the
    /// creation events already raised (quirk Q7, reproduced) (T10, T49).
    Continue,
    /// REQUIRED mode, no context: as [`EhloStep::RequiredUnavailable`]
    /// (quirk Q8: a local problem is reported as EXTNA_STARTTLS) (T09).
    RequiredUnavailable,
}

/// After trying to get the TLS context (`have_context`: it was available).
pub fn after_context(mode: Mode, have_context: bool) -> ContextStep {
    match (have_context, mode) {
        (true, _) => ContextStep::SendStarttls,
        (false, Mode::Required) => ContextStep::RequiredUnavailable,
        (false, _) => ContextStep::Continue,
    }
}

/// What a reply to `STARTTLS` leads to (4.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyAction {
    /// 2xx: check for injected plaintext ([`check_no_pending_plaintext`]),
    /// then run the handshake.
    Handshake,
    /// Send `QUIT` in clear; no event. `Some(e)`: also set `e` as the
    /// session error; `None`: leave `smtp_errno` unchanged. No fallback to
    /// clear text even in ENABLED mode (T36, T37).
    Quit(Option<Error>),
}

/// Judges the reply code to `STARTTLS` (an unreadable reply is handled by
/// the reply reader as for any other command).
pub fn starttls_reply(code: i32) -> ReplyAction {
    match code {
        200..=299 => ReplyAction::Handshake,
        400..=599 => ReplyAction::Quit(None),
        _ => ReplyAction::Quit(Some(Error::InvalidResponseStatus)),
    }
}

/// The fix for STARTTLS response injection (quirk Q3, CVE-2011-0411 class):
/// `buffered` is the number of bytes the engine's read buffer still holds
/// after the reply to `STARTTLS`. Anything there arrived in clear and would
/// be taken as TLS-protected; the session must end: drop the connection
/// without `QUIT` (the server expects a handshake), fire DISCONNECT, and set
/// the returned error (`Error::ClientError`, 20, as for a failed handshake).
pub fn check_no_pending_plaintext(buffered: usize) -> Result<(), Error> {
    if buffered == 0 {
        Ok(())
    } else {
        Err(Error::ClientError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes() {
        assert_eq!(Mode::from_setting(0), Mode::Disabled);
        assert_eq!(Mode::from_setting(1), Mode::Enabled);
        assert_eq!(Mode::from_setting(2), Mode::Required);
        assert_eq!(Mode::from_setting(7), Mode::Enabled);
        assert_eq!(Mode::from_setting(-1), Mode::Enabled);
    }

    #[test]
    fn ehlo_table() {
        use EhloStep::*;
        assert_eq!(after_ehlo(Mode::Disabled, false, false, true), Continue);
        assert_eq!(after_ehlo(Mode::Enabled, false, false, false), Continue);
        assert_eq!(after_ehlo(Mode::Enabled, false, false, true), NeedContext);
        assert_eq!(
            after_ehlo(Mode::Required, false, false, false),
            RequiredUnavailable
        );
        assert_eq!(after_ehlo(Mode::Required, false, false, true), NeedContext);
        assert_eq!(after_ehlo(Mode::Required, true, false, true), Continue);
        assert_eq!(after_ehlo(Mode::Required, false, true, false), Continue);
        assert_eq!(after_helo(Mode::Required, false), RequiredUnavailable);
        assert_eq!(after_helo(Mode::Enabled, false), Continue);
        assert_eq!(after_context(Mode::Enabled, false), ContextStep::Continue);
        assert_eq!(
            after_context(Mode::Required, false),
            ContextStep::RequiredUnavailable
        );
        assert_eq!(
            after_context(Mode::Enabled, true),
            ContextStep::SendStarttls
        );
    }

    #[test]
    fn replies() {
        assert_eq!(starttls_reply(220), ReplyAction::Handshake);
        assert_eq!(starttls_reply(454), ReplyAction::Quit(None));
        assert_eq!(starttls_reply(554), ReplyAction::Quit(None));
        assert_eq!(
            starttls_reply(354),
            ReplyAction::Quit(Some(Error::InvalidResponseStatus))
        );
        assert_eq!(
            starttls_reply(99),
            ReplyAction::Quit(Some(Error::InvalidResponseStatus))
        );
        assert_eq!(check_no_pending_plaintext(0), Ok(()));
        assert_eq!(check_no_pending_plaintext(24), Err(Error::ClientError));
    }
}
