//! The header table: libESMTP's built-in entries, their classes, name
//! lookup, and what the API stored for each header.
//!
//! Most messages never touch their table, so a table starts empty and
//! reads as the shared built-in one ([`PRISTINE`]); it gets its own copy of
//! the entries at the first change. Adding a message costs no allocation.

use std::borrow::Cow;

/// What a table entry stands for; decides its class and value shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Date,
    From,
    ReturnPath,
    OriginalRecipient,
    ContentPrefix,
    MimePrefix,
    ResentPrefix,
    ResentReplyTo,
    Received,
    MessageId,
    Sender,
    To,
    Cc,
    Bcc,
    ReplyTo,
    DispositionNotificationTo,
    /// Any other name, registered by the API.
    Generic,
}

/// libESMTP's header classes (headers.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// Always emitted when absent; cannot be prohibited (Date, From).
    Required,
    /// Emitted when absent; may be prohibited (Message-Id).
    Should,
    /// Stripped from the message; refused by the API.
    Prohibited,
    /// Passed unchanged, duplicates allowed; refused by the API.
    Preserved,
    /// Emitted only with an API value.
    Optional,
}

/// How `smtp_set_header` reads its variable arguments for a header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgShape {
    /// `const time_t *` (Date).
    Time,
    /// `const char *` (Message-Id and every generic header).
    Text,
    /// `const char *phrase, const char *mailbox`.
    PhraseMailbox,
}

impl Kind {
    pub(crate) fn class(self) -> Class {
        match self {
            Kind::Date | Kind::From => Class::Required,
            Kind::MessageId => Class::Should,
            Kind::ReturnPath | Kind::OriginalRecipient | Kind::ResentReplyTo => Class::Prohibited,
            Kind::ContentPrefix | Kind::MimePrefix | Kind::ResentPrefix | Kind::Received => {
                Class::Preserved
            }
            Kind::Sender
            | Kind::To
            | Kind::Cc
            | Kind::Bcc
            | Kind::ReplyTo
            | Kind::DispositionNotificationTo
            | Kind::Generic => Class::Optional,
        }
    }

    pub(crate) fn arg_shape(self) -> ArgShape {
        match self {
            Kind::Date => ArgShape::Time,
            Kind::From
            | Kind::Sender
            | Kind::To
            | Kind::Cc
            | Kind::Bcc
            | Kind::ReplyTo
            | Kind::DispositionNotificationTo => ArgShape::PhraseMailbox,
            _ => ArgShape::Text,
        }
    }

    /// Pre-listed headers keep the built-in spelling on output.
    pub(crate) const fn pre_listed(self) -> bool {
        matches!(self, Kind::Date | Kind::From | Kind::MessageId)
    }
}

/// The built-in entries, in libESMTP's order.
static PRISTINE: [Entry; 16] = [
    Entry::builtin("Date", Kind::Date),
    Entry::builtin("From", Kind::From),
    Entry::builtin("Return-Path", Kind::ReturnPath),
    Entry::builtin("Original-Recipient", Kind::OriginalRecipient),
    Entry::builtin("Content-", Kind::ContentPrefix),
    Entry::builtin("MIME-", Kind::MimePrefix),
    Entry::builtin("Resent-", Kind::ResentPrefix),
    Entry::builtin("Resent-Reply-To", Kind::ResentReplyTo),
    Entry::builtin("Received", Kind::Received),
    Entry::builtin("Message-Id", Kind::MessageId),
    Entry::builtin("Sender", Kind::Sender),
    Entry::builtin("To", Kind::To),
    Entry::builtin("Cc", Kind::Cc),
    Entry::builtin("Bcc", Kind::Bcc),
    Entry::builtin("Reply-To", Kind::ReplyTo),
    Entry::builtin(
        "Disposition-Notification-To",
        Kind::DispositionNotificationTo,
    ),
];

/// Index in [`PRISTINE`] of the entry named `name` (any case): picked by
/// length and first letter, then compared, instead of comparing all
/// sixteen names (this runs for every header of every message).
fn builtin_exact(name: &[u8]) -> Option<usize> {
    let lower = |i: usize| name.get(i).map(u8::to_ascii_lowercase);
    let idx = match (name.len(), lower(0)?) {
        (4, b'd') => 0,
        (4, b'f') => 1,
        (11, b'r') => 2,
        (18, b'o') => 3,
        (8, b'c') => 4,
        (5, b'm') => 5,
        (7, b'r') => 6,
        (15, b'r') => 7,
        // Received, Reply-To.
        (8, b'r') if lower(2) == Some(b'c') => 8,
        (8, b'r') => 14,
        (10, b'm') => 9,
        (6, b's') => 10,
        (2, b't') => 11,
        (2, b'c') => 12,
        (3, b'b') => 13,
        (27, b'd') => 15,
        _ => return None,
    };
    let entry = PRISTINE.get(idx)?;
    entry.name.eq_ignore_ascii_case(name).then_some(idx)
}

/// The header list of the built-in table: the pre-listed entries (Date,
/// From, Message-Id).
static PRISTINE_LIST: [usize; 3] = [0, 1, 9];

/// One `phrase <mailbox>` item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mailbox {
    pub phrase: Option<Vec<u8>>,
    pub mailbox: Vec<u8>,
}

/// One table entry: class, options and the API value.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// The name as stored in the table (built-in spelling, or the spelling
    /// of the call that created the entry); compared case-insensitively.
    pub name: Cow<'static, [u8]>,
    pub kind: Kind,
    pub override_: bool,
    pub prohibit: bool,
    /// Name written on output; `Some` once the header is in the header list.
    pub listed_as: Option<Cow<'static, [u8]>>,
    /// Date: the API `time_t`; 0 means unset (as in libESMTP).
    pub date: i64,
    /// Message-Id and generic headers: the API text.
    pub text: Option<Vec<u8>>,
    /// From, To, Cc, Bcc, Reply-To (in call order), or the single mailbox
    /// of Sender and Disposition-Notification-To.
    pub mailboxes: Vec<Mailbox>,
    /// To: derive from the envelope; Disposition-Notification-To: use the
    /// reverse path. Set by a (NULL, NULL) call.
    pub default_requested: bool,
}

impl Entry {
    const fn builtin(name: &'static str, kind: Kind) -> Entry {
        let name = name.as_bytes();
        Entry {
            name: Cow::Borrowed(name),
            kind,
            override_: false,
            prohibit: false,
            listed_as: if kind.pre_listed() {
                Some(Cow::Borrowed(name))
            } else {
                None
            },
            date: 0,
            text: None,
            mailboxes: Vec::new(),
            default_requested: false,
        }
    }

    pub(crate) fn new(name: &[u8], kind: Kind) -> Entry {
        Entry {
            name: Cow::Owned(name.to_vec()),
            kind,
            override_: false,
            prohibit: false,
            listed_as: if kind.pre_listed() {
                Some(Cow::Owned(name.to_vec()))
            } else {
                None
            },
            date: 0,
            text: None,
            mailboxes: Vec::new(),
            default_requested: false,
        }
    }
}

/// The entries plus the header list (indices, in output order). Both
/// empty: the built-in table, unchanged.
#[derive(Debug, Clone, Default)]
pub(crate) struct Table {
    entries: Vec<Entry>,
    list: Vec<usize>,
}

impl Table {
    /// The entries, in table order.
    pub(crate) fn entries(&self) -> &[Entry] {
        if self.entries.is_empty() {
            &PRISTINE
        } else {
            &self.entries
        }
    }

    /// The header list: entry indices in output order.
    pub(crate) fn listed(&self) -> &[usize] {
        if self.entries.is_empty() {
            &PRISTINE_LIST
        } else {
            &self.list
        }
    }

    /// Gives the table its own entries before a change.
    fn own(&mut self) {
        if self.entries.is_empty() {
            self.entries = PRISTINE.to_vec();
            self.list = PRISTINE_LIST.to_vec();
        }
    }

    /// The entry at `idx`, for a change.
    pub(crate) fn entry_mut(&mut self, idx: usize) -> Option<&mut Entry> {
        self.own();
        self.entries.get_mut(idx)
    }

    /// The entry named `name`, compared case-insensitively. The built-in
    /// entries come first in every table and keep their names, and an
    /// added entry never bears a built-in name (it is only created when
    /// the lookup fails), so only the added ones need a walk.
    fn find_exact(&self, name: &[u8]) -> Option<usize> {
        if let Some(i) = builtin_exact(name) {
            return Some(i);
        }
        let added = self.entries().get(PRISTINE.len()..)?;
        let at = added
            .iter()
            .position(|e| e.name.eq_ignore_ascii_case(name))?;
        Some(PRISTINE.len() + at)
    }

    /// Exact case-insensitive match, else the prefix up to and including
    /// the first `-` (headers.md §3; exact equality, not quirk H-9).
    pub(crate) fn lookup(&self, name: &[u8]) -> Option<usize> {
        if let Some(i) = self.find_exact(name) {
            return Some(i);
        }
        let dash = name.iter().position(|&b| b == b'-')?;
        let prefix = &name[..=dash];
        if prefix.len() == name.len() {
            return None;
        }
        self.find_exact(prefix)
    }

    /// Looks `name` up, creating an optional generic entry when unknown.
    pub(crate) fn lookup_or_create(&mut self, name: &[u8]) -> usize {
        match self.lookup(name) {
            Some(i) => i,
            None => {
                self.own();
                self.entries.push(Entry::new(name, Kind::Generic));
                self.entries.len() - 1
            }
        }
    }

    /// Puts the header in the header list (first `smtp_set_header`).
    pub(crate) fn list(&mut self, idx: usize, spelled: &[u8]) {
        self.own();
        if let Some(entry) = self.entries.get_mut(idx) {
            if entry.listed_as.is_none() {
                entry.listed_as = Some(Cow::Owned(spelled.to_vec()));
                self.list.push(idx);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_lookup_matches_a_walk_over_the_names() {
        let walk = |name: &[u8]| {
            PRISTINE
                .iter()
                .position(|e| e.name.eq_ignore_ascii_case(name))
        };
        let mut names: Vec<Vec<u8>> = Vec::new();
        for e in &PRISTINE {
            let n = e.name.to_vec();
            names.push(n.to_ascii_uppercase());
            names.push(n.to_ascii_lowercase());
            let mut near = n.clone();
            near[n.len() / 2] ^= 1;
            names.push(near);
            names.push(n[..n.len() - 1].to_vec());
            names.push(n.clone());
        }
        for other in [
            &b""[..],
            b"Subject",
            b"Reply-Tp",
            b"Recieved",
            b"X",
            b"Date:",
        ] {
            names.push(other.to_vec());
        }
        for name in &names {
            assert_eq!(builtin_exact(name), walk(name), "{name:?}");
        }
    }
}
