//! `smtp_set_header` and `smtp_set_header_option` semantics
//! (headers.md §4, §5), plus the checks that keep API values from
//! injecting header lines.

use super::table::{Class, Entry, Kind, Mailbox};
use super::{
    ArgShape, HeaderSetError, HeaderTable, HeaderValue, SetOutcome, HDR_OVERRIDE, HDR_PROHIBIT,
};

use HeaderSetError::Invalid;

/// CR, LF or NUL: would break the header line (or the C string).
fn breaks_line(bytes: &[u8]) -> bool {
    bytes.iter().any(|&b| matches!(b, b'\r' | b'\n' | 0))
}

/// A generic value may carry RFC 5322 folding (CRLF followed by SP/HTAB
/// and some text), which libESMTP passes through and applications use to
/// pre-fold long values; any other CR, LF or NUL could start a new header
/// (or end the header block), so it is refused.
fn acceptable_text(bytes: &[u8]) -> bool {
    if bytes.contains(&0) {
        return false;
    }
    let mut lines = bytes.split(|&b| b == b'\n');
    let Some(first) = lines.next() else {
        return true;
    };
    let mut previous = first;
    for line in lines {
        // The previous line must end in CR (a CRLF pair) and hold no other CR.
        let Some((b'\r', rest)) = previous.split_last() else {
            return false;
        };
        if rest.contains(&b'\r') {
            return false;
        }
        // A continuation: starts with WSP and is not blank.
        if !matches!(line.first(), Some(b' ' | b'\t'))
            || line.iter().all(|&b| matches!(b, b' ' | b'\t' | b'\r'))
        {
            return false;
        }
        previous = line;
    }
    !previous.contains(&b'\r')
}

fn check_mailbox(phrase: Option<&[u8]>, mailbox: Option<&[u8]>) -> Result<(), HeaderSetError> {
    if phrase.is_some_and(breaks_line) || mailbox.is_some_and(breaks_line) {
        return Err(Invalid);
    }
    Ok(())
}

fn item(phrase: Option<&[u8]>, mailbox: &[u8]) -> Mailbox {
    Mailbox {
        phrase: phrase.map(<[u8]>::to_vec),
        mailbox: mailbox.to_vec(),
    }
}

impl HeaderTable {
    /// The entry `smtp_set_header` would set, after the name checks of
    /// headers.md §4; `None` for a name the table does not know yet.
    fn settable(&self, name: &[u8]) -> Result<Option<usize>, HeaderSetError> {
        if name.is_empty() {
            return Err(HeaderSetError::EmptyName);
        }
        if breaks_line(name) {
            return Err(Invalid);
        }
        let Some(idx) = self.table.lookup(name) else {
            return Ok(None);
        };
        let entry = self.table.entries.get(idx).ok_or(Invalid)?;
        match entry.kind.class() {
            Class::Prohibited | Class::Preserved => Err(Invalid),
            _ if entry.prohibit => Err(Invalid),
            _ => Ok(Some(idx)),
        }
    }

    /// Which variable arguments `smtp_set_header` reads for `name`, or the
    /// error it returns before reading any.
    pub fn arg_shape(&self, name: &[u8]) -> Result<ArgShape, HeaderSetError> {
        Ok(match self.settable(name)? {
            Some(idx) => self
                .table
                .entries
                .get(idx)
                .map_or(ArgShape::Text, |e| e.kind.arg_shape()),
            None => ArgShape::Text,
        })
    }

    /// `smtp_set_header(message, name, value…)`.
    ///
    /// `Ok` is libESMTP's 1 — also when nothing was stored (H-1);
    /// `Err(Invalid)` is 0 with SMTP_ERR_INVAL, `Err(EmptyName)` 0 with
    /// -ENOMEM. A value with a line break (other than folding in a generic
    /// value) is refused with `Invalid`.
    pub fn set(
        &mut self,
        name: &[u8],
        value: HeaderValue<'_>,
    ) -> Result<SetOutcome, HeaderSetError> {
        let known = self.settable(name)?;
        let kind = known
            .and_then(|i| self.table.entries.get(i))
            .map_or(Kind::Generic, |e| e.kind);
        if kind.arg_shape() != shape_of(&value) {
            return Err(Invalid);
        }
        match value {
            HeaderValue::Text(Some(text)) if kind == Kind::MessageId && breaks_line(text) => {
                return Err(Invalid)
            }
            HeaderValue::Text(Some(text)) if !acceptable_text(text) => return Err(Invalid),
            HeaderValue::Mailbox { phrase, mailbox } => check_mailbox(phrase, mailbox)?,
            _ => {}
        }
        let idx = match known {
            Some(idx) => idx,
            None => self.table.lookup_or_create(name),
        };
        self.table.list(idx, name);
        let entry = self.table.entries.get_mut(idx).ok_or(Invalid)?;
        store(entry, value)
    }

    /// `smtp_set_header_option(message, name, option, flag)` (headers.md §5).
    pub fn set_option(
        &mut self,
        name: &[u8],
        option: i32,
        flag: bool,
    ) -> Result<(), HeaderSetError> {
        if name.is_empty() {
            return Err(HeaderSetError::EmptyName);
        }
        let idx = self.table.lookup_or_create(name);
        let entry = self.table.entries.get_mut(idx).ok_or(Invalid)?;
        let class = entry.kind.class();
        if matches!(class, Class::Prohibited | Class::Preserved) {
            return Err(Invalid);
        }
        match option {
            HDR_OVERRIDE if !entry.prohibit => entry.override_ = flag,
            HDR_PROHIBIT if class != Class::Required => entry.prohibit = flag,
            _ => return Err(Invalid),
        }
        Ok(())
    }
}

fn shape_of(value: &HeaderValue<'_>) -> ArgShape {
    match value {
        HeaderValue::Time(_) => ArgShape::Time,
        HeaderValue::Text(_) => ArgShape::Text,
        HeaderValue::Mailbox { .. } => ArgShape::PhraseMailbox,
    }
}

/// The per-header setter (headers.md §4 table). NULL mailboxes with a
/// phrase, which crash libESMTP for From, To, Sender and
/// Disposition-Notification-To, are ignored like Cc's.
fn store(entry: &mut Entry, value: HeaderValue<'_>) -> Result<SetOutcome, HeaderSetError> {
    use SetOutcome::{Ignored, Stored};
    match (entry.kind, value) {
        // A NULL pointer crashes libESMTP; here it changes nothing.
        (Kind::Date, HeaderValue::Time(None)) => Ok(Ignored),
        (Kind::Date, HeaderValue::Time(Some(_))) if entry.date != 0 => Err(Invalid),
        (Kind::Date, HeaderValue::Time(Some(t))) => {
            entry.date = t;
            Ok(Stored)
        }
        (Kind::MessageId, HeaderValue::Text(None)) => Ok(Ignored),
        (Kind::MessageId | Kind::Generic, HeaderValue::Text(_)) if entry.text.is_some() => {
            Err(Invalid)
        }
        (Kind::MessageId | Kind::Generic, HeaderValue::Text(text)) => {
            entry.text = text.map(<[u8]>::to_vec);
            Ok(if text.is_some() { Stored } else { Ignored })
        }
        (
            Kind::To,
            HeaderValue::Mailbox {
                phrase: None,
                mailbox: None,
            },
        ) => {
            // (NULL, NULL) discards the mailboxes and derives from the envelope.
            entry.mailboxes.clear();
            entry.default_requested = true;
            Ok(Stored)
        }
        (
            Kind::From | Kind::To | Kind::Cc | Kind::Bcc | Kind::ReplyTo,
            HeaderValue::Mailbox { phrase, mailbox },
        ) => match mailbox {
            Some(mailbox) => {
                entry.mailboxes.push(item(phrase, mailbox));
                Ok(Stored)
            }
            None => Ok(Ignored),
        },
        (Kind::Sender | Kind::DispositionNotificationTo, HeaderValue::Mailbox { .. })
            if !entry.mailboxes.is_empty() =>
        {
            Err(Invalid)
        }
        (
            Kind::DispositionNotificationTo,
            HeaderValue::Mailbox {
                phrase: None,
                mailbox: None,
            },
        ) => {
            entry.default_requested = true;
            Ok(Stored)
        }
        (
            Kind::Sender | Kind::DispositionNotificationTo,
            HeaderValue::Mailbox { phrase, mailbox },
        ) => match mailbox {
            Some(mailbox) => {
                entry.mailboxes.push(item(phrase, mailbox));
                Ok(Stored)
            }
            None => Ok(Ignored),
        },
        _ => Err(Invalid),
    }
}
