//! The object model of a libESMTP session: session, messages, recipients and
//! ETRN nodes, with the settings the API stores and the state a session run
//! records.
//!
//! Settings are plain fields, changed only between runs. What a run records
//! (statuses, the complete flag, the canonical server name) sits in cells,
//! because the protocol engine holds `&Session` while application callbacks
//! read those values through the C API.

use std::cell::{Cell, RefCell};

use super::extensions::ExtSet;
use super::message::headers::HeaderTable;
use super::small_bytes::SmallBytes;
use super::stable_vec::StableVec;
use super::status::StatusCell;

/// Timeouts in milliseconds (libESMTP's unit, despite its documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub greeting: i64,
    pub envelope: i64,
    pub data: i64,
    pub transfer: i64,
    pub data2: i64,
}

impl Timeouts {
    /// RFC 5321 minimums, which are also libESMTP's defaults.
    pub const DEFAULT: Timeouts = Timeouts {
        greeting: 300_000,
        envelope: 300_000,
        data: 120_000,
        transfer: 180_000,
        data2: 600_000,
    };
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts::DEFAULT
    }
}

/// Which timeout `smtp_set_timeout` addresses (`enum rfc2822_timeouts`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutKind {
    Greeting,
    Envelope,
    Data,
    Transfer,
    Data2,
}

impl Timeouts {
    pub fn get_mut(&mut self, which: TimeoutKind) -> &mut i64 {
        match which {
            TimeoutKind::Greeting => &mut self.greeting,
            TimeoutKind::Envelope => &mut self.envelope,
            TimeoutKind::Data => &mut self.data,
            TimeoutKind::Transfer => &mut self.transfer,
            TimeoutKind::Data2 => &mut self.data2,
        }
    }

    pub fn minimum(which: TimeoutKind) -> i64 {
        let mut d = Timeouts::DEFAULT;
        *d.get_mut(which)
    }
}

/// The server to connect to, as split by `smtp_set_server`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSpec {
    /// Host part; empty means "no node" for the resolver.
    pub host: String,
    /// Service: a port number or a services-database name.
    pub service: String,
}

/// `smtp_starttls_enable` values.
pub const STARTTLS_DISABLED: i32 = 0;
pub const STARTTLS_ENABLED: i32 = 1;
pub const STARTTLS_REQUIRED: i32 = 2;

/// `enum ret_flags`.
pub const RET_NOTSET: i32 = 0;
pub const RET_FULL: i32 = 1;
pub const RET_HDRS: i32 = 2;

/// `enum notify_flags`.
pub const NOTIFY_NOTSET: i32 = 0;
pub const NOTIFY_NEVER: i32 = -1;
pub const NOTIFY_SUCCESS: i32 = 1;
pub const NOTIFY_FAILURE: i32 = 2;
pub const NOTIFY_DELAY: i32 = 4;

/// `enum e8bitmime_body`.
pub const BODY_NOTSET: i32 = 0;
pub const BODY_7BIT: i32 = 1;
pub const BODY_8BITMIME: i32 = 2;
pub const BODY_BINARYMIME: i32 = 3;

/// `enum by_mode`.
pub const BY_NOTSET: i32 = 0;
pub const BY_NOTIFY: i32 = 1;
pub const BY_RETURN: i32 = 2;

/// RFC 2852 deliver-by request of a message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliverBy {
    pub time: i64,
    pub mode: i32,
    pub trace: bool,
}

/// An ETRN node (RFC 1985).
#[derive(Debug)]
pub struct EtrnNode {
    /// 0 or `'@'`.
    pub option: i32,
    pub domain: String,
    pub status: StatusCell,
}

/// A recipient's mailbox, stored once with a trailing NUL so that the C
/// layer can hand out a C string without a second copy. Reads as the
/// mailbox without the NUL (`Deref<Target = str>`). Up to 37 bytes live
/// inside the value (no allocation per recipient for ordinary addresses),
/// so their C string moves with it: recipients live in a [`StableVec`],
/// where they never move.
#[derive(Clone)]
pub struct Mailbox(SmallBytes<38>);

impl Mailbox {
    /// The mailbox without the terminator.
    pub fn as_str(&self) -> &str {
        // Always valid UTF-8: the bytes are a whole `&str`, copied.
        std::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }

    /// The mailbox's bytes without the terminator: unlike [`Mailbox::as_str`]
    /// no UTF-8 check, which the command and header paths do not need.
    pub fn as_bytes(&self) -> &[u8] {
        let with_nul = self.as_bytes_with_nul();
        &with_nul[..with_nul.len() - 1]
    }

    /// The mailbox followed by its NUL terminator. A NUL inside the
    /// mailbox (only possible from Rust callers) ends the C view early.
    pub fn as_bytes_with_nul(&self) -> &[u8] {
        &self.0
    }
}

impl From<&str> for Mailbox {
    fn from(text: &str) -> Mailbox {
        Mailbox(SmallBytes::concat(&[text.as_bytes(), b"\0"]))
    }
}

impl From<String> for Mailbox {
    fn from(text: String) -> Mailbox {
        Mailbox::from(text.as_str())
    }
}

impl AsRef<[u8]> for Mailbox {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl PartialEq for Mailbox {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Mailbox {}

impl std::fmt::Debug for Mailbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Mailbox({:?})", self.as_str())
    }
}

impl std::ops::Deref for Mailbox {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl std::fmt::Display for Mailbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One envelope recipient.
#[derive(Debug)]
pub struct Recipient {
    pub mailbox: Mailbox,
    pub notify: i32,
    /// DSN ORCPT: (address type, address); boxed, as it is rare and every
    /// recipient carries the field.
    pub orcpt: Option<Box<(String, String)>>,
    pub status: StatusCell,
    pub complete: Cell<bool>,
}

impl Recipient {
    pub fn new(mailbox: impl Into<Mailbox>) -> Recipient {
        Recipient {
            mailbox: mailbox.into(),
            notify: NOTIFY_NOTSET,
            orcpt: None,
            status: StatusCell::default(),
            complete: Cell::new(false),
        }
    }

    pub fn reset_status(&self) {
        self.status.reset();
        self.complete.set(false);
    }
}

/// One message: envelope, per-message options, header settings, statuses.
#[derive(Debug, Default)]
pub struct Message {
    /// `None` and `Some("")` both give `MAIL FROM:<>`.
    pub reverse_path: Option<Mailbox>,
    pub recipients: StableVec<Recipient>,
    pub headers: HeaderTable,
    pub dsn_ret: i32,
    pub dsn_envid: Option<String>,
    pub size_estimate: u64,
    pub body: i32,
    pub deliver_by: Option<DeliverBy>,
    pub reverse_path_status: StatusCell,
    pub transfer_status: StatusCell,
}

impl Message {
    /// True if at least one recipient still has to be sent.
    pub fn has_incomplete_recipient(&self) -> bool {
        self.recipients.iter().any(|r| !r.complete.get())
    }

    pub fn reset_status(&self) {
        self.reverse_path_status.reset();
        self.transfer_status.reset();
    }
}

/// A session: where to connect, how, and what to send.
#[derive(Debug, Default)]
pub struct Session {
    pub server: Option<ServerSpec>,
    /// Canonical name of the server from the resolver, recorded by a run.
    pub canonical_name: RefCell<Option<String>>,
    /// Local host name for EHLO/HELO and Message-Id; filled from uname()
    /// at the first run when the application set none.
    pub hostname: Option<String>,
    pub timeouts: Timeouts,
    pub require_all_recipients: bool,
    pub starttls: i32,
    /// Extensions the application's settings make necessary.
    pub required: ExtSet,
    pub messages: Vec<Message>,
    pub etrn_nodes: Vec<EtrnNode>,
    /// Report message headers to the monitor callback too.
    pub monitor_headers: bool,
    /// The greeting's status (internal; not exposed by the C API).
    pub greeting_status: StatusCell,
    /// The application's own TLS context (`smtp_starttls_set_ctx`); `None`
    /// means the library builds one the first time STARTTLS is used.
    pub tls_context: Option<openssl::ssl::SslContext>,
}

impl Session {
    /// Messages that a run would send.
    pub fn has_work(&self) -> bool {
        !self.etrn_nodes.is_empty() || self.messages.iter().any(Message::has_incomplete_recipient)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailboxes_short_and_long_read_back_with_their_nul() {
        let short = "a".repeat(37);
        let long = "b".repeat(38);
        for text in [
            "",
            "bob@example.org",
            short.as_str(),
            long.as_str(),
            "ünï@例え.jp",
        ] {
            let mailbox = Mailbox::from(text);
            assert_eq!(mailbox.as_str(), text);
            assert_eq!(&*mailbox, text);
            let c = mailbox.as_bytes_with_nul();
            assert_eq!((&c[..c.len() - 1], c.last()), (text.as_bytes(), Some(&0)));
            assert_eq!(Mailbox::from(text.to_owned()), mailbox);
        }
        assert!(Mailbox::from(short.as_str()).0.is_inline());
        assert!(!Mailbox::from(long.as_str()).0.is_inline());
        assert_ne!(Mailbox::from("a"), Mailbox::from("b"));
    }

    #[test]
    fn a_recipient_mailbox_keeps_its_address_as_recipients_are_added() {
        let mut message = Message::default();
        message.recipients.push(Recipient::new("first@example.org"));
        let first = message.recipients[0].mailbox.as_bytes_with_nul().as_ptr();
        for i in 0..1000 {
            message
                .recipients
                .push(Recipient::new(format!("r{i}@example.org")));
        }
        assert_eq!(
            message.recipients[0].mailbox.as_bytes_with_nul().as_ptr(),
            first
        );
    }
}
