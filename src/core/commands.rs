//! SMTP command formatting (MAIL, RCPT and their parameters, xtext), byte
//! for byte as libESMTP writes them, with its harmful quirks fixed:
//! * Q-INJECT: a CR, LF or NUL in anything that goes into a command is
//!   refused (`Error::Inval`), never written;
//! * Q-TRUNC: nothing is cut at 1023 bytes;
//! * Q-ETRNSPACE: `ETRN domain` with one space;
//! * Q-BYMODE: `N` for notify, `R` for return (RFC 2852);
//! * Q-XTEXT: xtext of any length;
//! * Q-NOTIFY: undefined notify bits are ignored.

use super::error::{Error, Result};
use super::model::{
    BODY_7BIT, BODY_8BITMIME, BODY_BINARYMIME, BY_NOTIFY, BY_RETURN, NOTIFY_DELAY, NOTIFY_FAILURE,
    NOTIFY_NEVER, NOTIFY_NOTSET, NOTIFY_SUCCESS, RET_FULL, RET_HDRS,
};

/// Refuses text that would break the command line it is put into.
pub fn check_wire_safe<T: AsRef<[u8]> + ?Sized>(text: &T) -> Result<()> {
    if super::line_breaks::has_cr_lf_or_nul(text.as_ref()) {
        return Err(Error::Inval);
    }
    Ok(())
}

fn line(parts: &[&str]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(parts.iter().map(|p| p.len()).sum::<usize>() + 2);
    for part in parts {
        check_wire_safe(part)?;
        out.extend_from_slice(part.as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    Ok(out)
}

pub fn ehlo(local_name: &str) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    ehlo_into(&mut out, local_name)?;
    Ok(out)
}

/// The EHLO command appended to `out`, which is left as it was on error.
pub fn ehlo_into(out: &mut Vec<u8>, local_name: &str) -> Result<()> {
    check_wire_safe(local_name)?;
    out.extend_from_slice(b"EHLO ");
    out.extend_from_slice(local_name.as_bytes());
    out.extend_from_slice(b"\r\n");
    Ok(())
}

pub fn helo(local_name: &str) -> Result<Vec<u8>> {
    line(&["HELO ", local_name])
}

pub fn data() -> &'static [u8] {
    b"DATA\r\n"
}

pub fn rset() -> &'static [u8] {
    b"RSET\r\n"
}

pub fn quit() -> &'static [u8] {
    b"QUIT\r\n"
}

pub fn xusr() -> &'static [u8] {
    b"XUSR\r\n"
}

pub fn starttls() -> &'static [u8] {
    b"STARTTLS\r\n"
}

/// `BDAT <n>` or `BDAT <n> LAST`.
pub fn bdat(size: usize, last: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(32);
    out.extend_from_slice(b"BDAT ");
    push_decimal(&mut out, size as u64);
    if last {
        out.extend_from_slice(b" LAST");
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// Appends `n` in decimal.
fn push_decimal(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

/// `ETRN @domain` for option `'@'`, `ETRN domain` otherwise.
pub fn etrn(option: i32, domain: &str) -> Result<Vec<u8>> {
    if option == i32::from(b'@') {
        line(&["ETRN @", domain])
    } else {
        line(&["ETRN ", domain])
    }
}

/// RFC 3461 xtext: `+XX` (upper-case hex) for everything outside
/// 0x21–0x7E and for `+` and `=`.
pub fn xtext(raw: &[u8]) -> String {
    let mut out = String::with_capacity(raw.len());
    for &b in raw {
        if (0x21..=0x7e).contains(&b) && b != b'+' && b != b'=' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("+{b:02X}"));
        }
    }
    out
}

/// The MAIL parameters the engine decided to send (each `None` = omitted).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailParams<'a> {
    pub size: Option<u64>,
    pub ret: Option<i32>,
    pub envid: Option<&'a str>,
    pub body: Option<i32>,
    /// (time in seconds as sent, by-mode, trace).
    pub by: Option<(i64, i32, bool)>,
}

/// `MAIL FROM:<path>` and its parameters in libESMTP's order: SIZE, RET,
/// ENVID, BODY, BY.
pub fn mail(reverse_path: Option<&str>, params: &MailParams<'_>) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(reverse_path.map_or(0, str::len) + 64);
    mail_into(&mut out, reverse_path.map(str::as_bytes), params)?;
    Ok(out)
}

/// [`mail`] appended to `out` (a buffer reused from one message to the next).
pub fn mail_into(
    out: &mut Vec<u8>,
    reverse_path: Option<&[u8]>,
    params: &MailParams<'_>,
) -> Result<()> {
    let path = reverse_path.unwrap_or_default();
    check_wire_safe(path)?;
    out.extend_from_slice(b"MAIL FROM:<");
    out.extend_from_slice(path);
    out.push(b'>');
    if let Some(size) = params.size {
        out.extend_from_slice(b" SIZE=");
        out.extend_from_slice(size.to_string().as_bytes());
    }
    match params.ret {
        Some(RET_FULL) => out.extend_from_slice(b" RET=FULL"),
        Some(RET_HDRS) => out.extend_from_slice(b" RET=HDRS"),
        _ => {}
    }
    if let Some(envid) = params.envid {
        out.extend_from_slice(b" ENVID=");
        out.extend_from_slice(xtext(envid.as_bytes()).as_bytes());
    }
    match params.body {
        Some(BODY_7BIT) => out.extend_from_slice(b" BODY=7BIT"),
        Some(BODY_8BITMIME) => out.extend_from_slice(b" BODY=8BITMIME"),
        Some(BODY_BINARYMIME) => out.extend_from_slice(b" BODY=BINARYMIME"),
        _ => {}
    }
    if let Some((time, mode, trace)) = params.by {
        let letter = match mode {
            BY_NOTIFY => "N",
            BY_RETURN => "R",
            _ => "",
        };
        if !letter.is_empty() {
            out.extend_from_slice(
                format!(" BY={time}{letter}{}", if trace { "T" } else { "" }).as_bytes(),
            );
        }
    }
    // Every part is checked or generated: no CR, LF or NUL.
    out.extend_from_slice(b"\r\n");
    Ok(())
}

/// The NOTIFY= value, or `None` when nothing is to be sent.
pub fn notify_value(flags: i32) -> Option<String> {
    if flags == NOTIFY_NOTSET {
        return None;
    }
    if flags == NOTIFY_NEVER {
        return Some("NEVER".to_owned());
    }
    let names: Vec<&str> = [
        (NOTIFY_SUCCESS, "SUCCESS"),
        (NOTIFY_FAILURE, "FAILURE"),
        (NOTIFY_DELAY, "DELAY"),
    ]
    .iter()
    .filter(|(bit, _)| flags & bit != 0)
    .map(|(_, name)| *name)
    .collect();
    if names.is_empty() {
        None
    } else {
        Some(names.join(","))
    }
}

/// `RCPT TO:<mailbox>`, with NOTIFY and ORCPT when `dsn` (the server listed DSN).
pub fn rcpt(mailbox: &str, notify: i32, orcpt: Option<(&str, &str)>, dsn: bool) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(mailbox.len() + 16);
    rcpt_into(&mut out, mailbox.as_bytes(), notify, orcpt, dsn)?;
    Ok(out)
}

/// [`rcpt`] appended to `out` (a buffer reused from one recipient to the next).
pub fn rcpt_into(
    out: &mut Vec<u8>,
    mailbox: &[u8],
    notify: i32,
    orcpt: Option<(&str, &str)>,
    dsn: bool,
) -> Result<()> {
    check_wire_safe(mailbox)?;
    out.extend_from_slice(b"RCPT TO:<");
    out.extend_from_slice(mailbox);
    out.push(b'>');
    if dsn {
        if let Some(value) = notify_value(notify) {
            out.extend_from_slice(b" NOTIFY=");
            out.extend_from_slice(value.as_bytes());
        }
        if let Some((addr_type, address)) = orcpt {
            check_wire_safe(addr_type)?;
            out.extend_from_slice(b" ORCPT=");
            out.extend_from_slice(addr_type.as_bytes());
            out.push(b';');
            out.extend_from_slice(xtext(address.as_bytes()).as_bytes());
        }
    }
    // Every part is checked or generated: no CR, LF or NUL.
    out.extend_from_slice(b"\r\n");
    Ok(())
}

/// `AUTH <mechanism>[ <initial response>]` (the response already encoded).
pub fn auth(mechanism: &str, initial: Option<&str>) -> Result<Vec<u8>> {
    match initial {
        Some(resp) => line(&["AUTH ", mechanism, " ", resp]),
        None => line(&["AUTH ", mechanism]),
    }
}

/// One line of a SASL exchange (already encoded, or `*` to cancel).
pub fn auth_response(encoded: &str) -> Result<Vec<u8>> {
    line(&[encoded])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_commands() {
        assert_eq!(
            ehlo("client.example").ok(),
            Some(b"EHLO client.example\r\n".to_vec())
        );
        assert_eq!(helo("c").ok(), Some(b"HELO c\r\n".to_vec()));
        assert_eq!(data(), b"DATA\r\n");
        assert_eq!(rset(), b"RSET\r\n");
        assert_eq!(quit(), b"QUIT\r\n");
        assert_eq!(xusr(), b"XUSR\r\n");
        assert_eq!(bdat(211, false), b"BDAT 211\r\n");
        assert_eq!(bdat(0, true), b"BDAT 0 LAST\r\n");
        assert_eq!(
            etrn(64, "example.com").ok(),
            Some(b"ETRN @example.com\r\n".to_vec())
        );
        assert_eq!(
            etrn(0, "example.net").ok(),
            Some(b"ETRN example.net\r\n".to_vec())
        );
    }

    #[test]
    fn mail_parameters_in_order() {
        let params = MailParams {
            size: Some(5000),
            ret: Some(RET_HDRS),
            envid: Some("id+1=2 x\u{e9}"),
            body: Some(BODY_8BITMIME),
            by: None,
        };
        assert_eq!(
            String::from_utf8_lossy(&mail(Some("alice@example.org"), &params).unwrap_or_default()),
            "MAIL FROM:<alice@example.org> SIZE=5000 RET=HDRS ENVID=id+2B1+3D2+20x+C3+A9 BODY=8BITMIME\r\n"
        );
        assert_eq!(
            mail(None, &MailParams::default()).ok(),
            Some(b"MAIL FROM:<>\r\n".to_vec())
        );
        let by = MailParams {
            by: Some((100, BY_NOTIFY, false)),
            ..Default::default()
        };
        assert_eq!(
            mail(Some("a@x"), &by).ok(),
            Some(b"MAIL FROM:<a@x> BY=100N\r\n".to_vec())
        );
        let by = MailParams {
            by: Some((270, BY_RETURN, true)),
            ret: Some(RET_FULL),
            ..Default::default()
        };
        assert_eq!(
            mail(Some("a@x"), &by).ok(),
            Some(b"MAIL FROM:<a@x> RET=FULL BY=270RT\r\n".to_vec())
        );
        let by = MailParams {
            by: Some((-5, BY_NOTIFY, true)),
            body: Some(BODY_7BIT),
            ..Default::default()
        };
        assert_eq!(
            mail(Some("a@x"), &by).ok(),
            Some(b"MAIL FROM:<a@x> BODY=7BIT BY=-5NT\r\n".to_vec())
        );
    }

    #[test]
    fn rcpt_parameters() {
        assert_eq!(
            rcpt("bob@example.org", 7, Some(("rfc822", "bob+tag@example.org")), true).ok(),
            Some(b"RCPT TO:<bob@example.org> NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=rfc822;bob+2Btag@example.org\r\n".to_vec())
        );
        assert_eq!(
            rcpt("carol@example.org", NOTIFY_NEVER, None, true).ok(),
            Some(b"RCPT TO:<carol@example.org> NOTIFY=NEVER\r\n".to_vec())
        );
        assert_eq!(
            rcpt("c@x", 7, Some(("rfc822", "c@x")), false).ok(),
            Some(b"RCPT TO:<c@x>\r\n".to_vec())
        );
        // Q-NOTIFY fixed: undefined bits ignored, nothing left → no NOTIFY.
        assert_eq!(
            rcpt("c@x", 8, None, true).ok(),
            Some(b"RCPT TO:<c@x>\r\n".to_vec())
        );
        assert_eq!(
            rcpt("c@x", 8 | 2, None, true).ok(),
            Some(b"RCPT TO:<c@x> NOTIFY=FAILURE\r\n".to_vec())
        );
    }

    #[test]
    fn injection_refused_and_no_truncation() {
        assert_eq!(
            mail(Some("a@x>\r\nNOOP"), &MailParams::default()),
            Err(Error::Inval)
        );
        assert_eq!(rcpt("a\n", 0, None, false), Err(Error::Inval));
        assert_eq!(
            rcpt("a", 0, Some(("rfc\r822", "x")), true),
            Err(Error::Inval)
        );
        assert_eq!(ehlo("a\0b"), Err(Error::Inval));
        let mut out = b"kept".to_vec();
        assert_eq!(ehlo_into(&mut out, "a\r\nQUIT"), Err(Error::Inval));
        assert_eq!(out, b"kept");
        assert_eq!(ehlo_into(&mut out, "h"), Ok(()));
        assert_eq!(out, b"keptEHLO h\r\n");
        assert_eq!(etrn(0, "x\ry"), Err(Error::Inval));
        let long = format!("{}@example.org", "l".repeat(1200));
        let cmd = rcpt(&long, 0, None, false).unwrap_or_default();
        assert_eq!(cmd.len(), "RCPT TO:<>\r\n".len() + long.len());
        assert!(cmd.ends_with(b">\r\n"));
    }

    #[test]
    fn xtext_any_length() {
        assert_eq!(xtext(b"a\\b"), "a\\b");
        assert_eq!(xtext(&[0x7f, 0x20, b'=']), "+7F+20+3D");
        assert_eq!(xtext(&[b'+'; 300]).len(), 900);
    }
}
