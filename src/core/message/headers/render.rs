//! Rendering of API and generated headers (headers.md §6, §9).
//!
//! Every rendering is a complete header unit ending in CRLF; `None` means
//! "nothing to emit" (our answer to quirks H-5, H-6 and H-7, where
//! libESMTP crashes or writes a header without CRLF).

use super::table::{Entry, Kind, Mailbox};
use super::{Environment, HeaderContext};
use crate::core::line_breaks::has_cr_or_lf;
use crate::core::message::date;

/// Separator between list items given through the API.
const API_LIST_SEP: &[u8] = b",\r\n    ";
/// Separator between the envelope recipients of a derived To.
const DERIVED_LIST_SEP: &[u8] = b",\r\n\t";
/// libESMTP formats the generated id into a 64-byte buffer (H-12).
const MESSAGE_ID_MAX: usize = 63;

/// `"phrase" <mailbox>` or the bare mailbox; `empty_as_angle` gives `<>`
/// for an empty bare mailbox (From, Sender, Disposition-Notification-To).
fn mailbox(out: &mut Vec<u8>, item: &Mailbox, empty_as_angle: bool) {
    match &item.phrase {
        Some(phrase) => {
            // No escaping of inner quotes (H-8).
            out.push(b'"');
            out.extend_from_slice(phrase);
            out.extend_from_slice(b"\" <");
            out.extend_from_slice(&item.mailbox);
            out.push(b'>');
        }
        None if item.mailbox.is_empty() && empty_as_angle => out.extend_from_slice(b"<>"),
        None => out.extend_from_slice(&item.mailbox),
    }
}

/// API list items, most recent call first (H-4).
fn mailbox_list(out: &mut Vec<u8>, items: &[Mailbox], empty_as_angle: bool) {
    for (n, item) in items.iter().rev().enumerate() {
        if n > 0 {
            out.extend_from_slice(API_LIST_SEP);
        }
        mailbox(out, item, empty_as_angle);
    }
}

/// The reverse path as a bare mailbox, or `<>` (§6.2). A reverse path with
/// a line break would inject a header line, so it is rendered as `<>`.
fn reverse_path(out: &mut Vec<u8>, ctx: &HeaderContext<'_>) {
    match ctx.message.reverse_path.as_ref().map(|rp| rp.as_bytes()) {
        Some(rp) if !rp.is_empty() && !has_cr_or_lf(rp) => out.extend_from_slice(rp),
        _ => out.extend_from_slice(b"<>"),
    }
}

/// All envelope recipients in insertion order (§6.4); a mailbox with a
/// line break is left out rather than allowed to inject a line.
fn derived_to(out: &mut Vec<u8>, ctx: &HeaderContext<'_>) {
    let usable = ctx
        .message
        .recipients
        .iter()
        .filter(|r| !has_cr_or_lf(r.mailbox.as_bytes()));
    for (n, rcpt) in usable.enumerate() {
        if n > 0 {
            out.extend_from_slice(DERIVED_LIST_SEP);
        }
        out.extend_from_slice(rcpt.mailbox.as_bytes());
    }
}

/// `S.U.P@H` truncated to 63 bytes (§6.3, H-12).
fn generated_message_id(out: &mut Vec<u8>, ctx: &HeaderContext<'_>, env: &Environment) {
    let host: String = ctx
        .hostname
        .chars()
        .filter(|&c| c != '\r' && c != '\n')
        .collect();
    let id = match (env.message_id_clock)() {
        Some((secs, usecs)) => format!("{secs}.{usecs}.{}@{host}", (env.pid)()),
        None => format!("{}.{}@{host}", ctx.now, (env.pid)()),
    };
    let bytes = id.as_bytes();
    out.extend_from_slice(&bytes[..bytes.len().min(MESSAGE_ID_MAX)]);
}

/// The value part of a header, or `None` when there is nothing to emit.
fn value(entry: &Entry, ctx: &HeaderContext<'_>, env: &Environment) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    match entry.kind {
        Kind::Date => {
            let t = if entry.date != 0 { entry.date } else { ctx.now };
            out.extend_from_slice(date::date_value(t, env.local_time).as_bytes());
        }
        Kind::From if entry.mailboxes.is_empty() => reverse_path(&mut out, ctx),
        Kind::From => mailbox_list(&mut out, &entry.mailboxes, true),
        Kind::To | Kind::Cc | Kind::Bcc | Kind::ReplyTo if !entry.mailboxes.is_empty() => {
            mailbox_list(&mut out, &entry.mailboxes, false)
        }
        Kind::To if entry.default_requested => derived_to(&mut out, ctx),
        Kind::Sender | Kind::DispositionNotificationTo if !entry.mailboxes.is_empty() => {
            mailbox_list(&mut out, &entry.mailboxes, true)
        }
        Kind::DispositionNotificationTo if entry.default_requested => reverse_path(&mut out, ctx),
        Kind::MessageId => {
            out.push(b'<');
            match &entry.text {
                Some(id) => out.extend_from_slice(id),
                None => generated_message_id(&mut out, ctx, env),
            }
            out.push(b'>');
        }
        Kind::Generic => out.extend_from_slice(entry.text.as_deref().unwrap_or_default()),
        // Listed with no value (Sender (NULL, NULL), Cc with a NULL
        // mailbox, …): emitted by nobody (H-5, H-7), and never the
        // prohibited or preserved entries, which are never listed.
        _ => return None,
    }
    Some(out)
}

/// The complete header unit `Name: value` CRLF for a listed entry.
pub(crate) fn header(entry: &Entry, ctx: &HeaderContext<'_>, env: &Environment) -> Option<Vec<u8>> {
    let name = entry.listed_as.as_deref()?;
    let value = value(entry, ctx, env)?;
    let mut out = Vec::with_capacity(name.len() + value.len() + 4);
    out.extend_from_slice(name);
    out.extend_from_slice(b": ");
    out.extend_from_slice(&value);
    out.extend_from_slice(b"\r\n");
    Some(out)
}
