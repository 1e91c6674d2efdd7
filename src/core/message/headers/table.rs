//! The header table: libESMTP's built-in entries, their classes, name
//! lookup, and what the API stored for each header.

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
    pub(crate) fn pre_listed(self) -> bool {
        matches!(self, Kind::Date | Kind::From | Kind::MessageId)
    }
}

/// The built-in entries, in libESMTP's order.
const BUILTINS: [(&str, Kind); 16] = [
    ("Date", Kind::Date),
    ("From", Kind::From),
    ("Return-Path", Kind::ReturnPath),
    ("Original-Recipient", Kind::OriginalRecipient),
    ("Content-", Kind::ContentPrefix),
    ("MIME-", Kind::MimePrefix),
    ("Resent-", Kind::ResentPrefix),
    ("Resent-Reply-To", Kind::ResentReplyTo),
    ("Received", Kind::Received),
    ("Message-Id", Kind::MessageId),
    ("Sender", Kind::Sender),
    ("To", Kind::To),
    ("Cc", Kind::Cc),
    ("Bcc", Kind::Bcc),
    ("Reply-To", Kind::ReplyTo),
    (
        "Disposition-Notification-To",
        Kind::DispositionNotificationTo,
    ),
];

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
    pub name: Vec<u8>,
    pub kind: Kind,
    pub override_: bool,
    pub prohibit: bool,
    /// Name written on output; `Some` once the header is in the header list.
    pub listed_as: Option<Vec<u8>>,
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
    pub(crate) fn new(name: &[u8], kind: Kind) -> Entry {
        Entry {
            name: name.to_vec(),
            kind,
            override_: false,
            prohibit: false,
            listed_as: if kind.pre_listed() {
                Some(name.to_vec())
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

/// The entries plus the header list (indices, in output order).
#[derive(Debug, Clone)]
pub(crate) struct Table {
    pub entries: Vec<Entry>,
    pub list: Vec<usize>,
}

impl Default for Table {
    fn default() -> Self {
        let entries: Vec<Entry> = BUILTINS
            .iter()
            .map(|(name, kind)| Entry::new(name.as_bytes(), *kind))
            .collect();
        let list = entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.kind.pre_listed())
            .map(|(i, _)| i)
            .collect();
        Table { entries, list }
    }
}

impl Table {
    fn find_exact(&self, name: &[u8]) -> Option<usize> {
        self.entries
            .iter()
            .position(|e| e.name.eq_ignore_ascii_case(name))
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
                self.entries.push(Entry::new(name, Kind::Generic));
                self.entries.len() - 1
            }
        }
    }

    /// Puts the header in the header list (first `smtp_set_header`).
    pub(crate) fn list(&mut self, idx: usize, spelled: &[u8]) {
        if let Some(entry) = self.entries.get_mut(idx) {
            if entry.listed_as.is_none() {
                entry.listed_as = Some(spelled.to_vec());
                self.list.push(idx);
            }
        }
    }
}
