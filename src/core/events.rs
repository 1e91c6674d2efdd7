//! What the protocol engine tells the application, and what it asks of it:
//! events (libESMTP's `SMTP_EV_*`), the protocol monitor, and the message
//! source. The C layer implements these traits over the application's
//! callbacks; tests implement them in Rust.

use openssl::ssl::SslRef;

/// One event, with the data libESMTP passes as the callback's trailing
/// arguments. Objects are named by index: `message` into
/// `Session::messages`, `recipient` into that message's `recipients`,
/// `node` into `Session::etrn_nodes`.
#[derive(Debug)]
pub enum Event<'a> {
    Connect,
    MailStatus {
        message: usize,
    },
    RcptStatus {
        message: usize,
        recipient: usize,
    },
    MessageData {
        message: usize,
        len: usize,
    },
    MessageSent {
        message: usize,
    },
    Disconnect,
    /// Out-parameter `quit_now`, preset 0.
    SyntaxWarning,
    EtrnStatus {
        node: usize,
    },
    /// Out-parameter `quit_now`, preset 0.
    ExtnaDsn,
    /// No out-parameter: the session always quits.
    Extna8bitmime,
    /// One NULL pointer argument.
    ExtnaStarttls,
    /// Out-parameter `quit_now`, preset 1.
    ExtnaEtrn,
    /// Out-parameter `quit_now`, preset 0.
    ExtnaChunking,
    /// No out-parameter: the session always quits.
    ExtnaBinarymime,
    /// `long shortfall`; out-parameter `adjust`, preset 0.
    DeliverByExpired {
        shortfall: i64,
    },
    /// `int bits`; out-parameter `ok`.
    WeakCipher {
        bits: i32,
    },
    StarttlsOk {
        ssl: &'a SslRef,
        cipher: &'a str,
        bits: i32,
    },
    /// `long verify_result`, out-parameter `ok`, `SSL *`.
    InvalidPeerCertificate {
        verify_result: i64,
        ssl: &'a SslRef,
    },
    /// Out-parameter `ok`.
    NoPeerCertificate,
    /// Out-parameter `ok`, `const char *name_in_cert`, `SSL *`.
    WrongPeerCertificate {
        name_in_cert: &'a str,
        ssl: &'a SslRef,
    },
    /// Out-parameter `ok`.
    NoClientCertificate,
    /// One NULL pointer argument.
    UnusableClientCertificate,
    /// One NULL pointer argument.
    UnusableCaList,
}

impl Event<'_> {
    /// libESMTP's event number.
    pub fn number(&self) -> i32 {
        match self {
            Event::Connect => 0,
            Event::MailStatus { .. } => 1,
            Event::RcptStatus { .. } => 2,
            Event::MessageData { .. } => 3,
            Event::MessageSent { .. } => 4,
            Event::Disconnect => 5,
            Event::SyntaxWarning => 6,
            Event::EtrnStatus { .. } => 1000,
            Event::ExtnaDsn => 2000,
            Event::Extna8bitmime => 2001,
            Event::ExtnaStarttls => 2002,
            Event::ExtnaEtrn => 2003,
            Event::ExtnaChunking => 2004,
            Event::ExtnaBinarymime => 2005,
            Event::DeliverByExpired { .. } => 3000,
            Event::WeakCipher { .. } => 3100,
            Event::StarttlsOk { .. } => 3101,
            Event::InvalidPeerCertificate { .. } => 3102,
            Event::NoPeerCertificate => 3103,
            Event::WrongPeerCertificate { .. } => 3104,
            Event::NoClientCertificate => 3105,
            Event::UnusableClientCertificate => 3106,
            Event::UnusableCaList => 3107,
        }
    }
}

/// What the monitor callback is shown (`SMTP_CB_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MonitorKind {
    Reading = 0,
    Writing = 1,
    Headers = 2,
}

/// One block handed out by the application's message callback.
#[derive(Debug)]
pub struct MessageBlock<'a> {
    /// The bytes; empty means end of message.
    pub data: &'a [u8],
    /// `errno` as the callback left it (0 when it left none).
    pub errno: i32,
}

/// The application side of a session run.
pub trait SessionHooks {
    /// Delivers `event`. `out` is the event's out-parameter (`quit_now`,
    /// `ok`, `adjust`) preset by the engine; the hook stores back the value
    /// the application left in it. Events without one get `None`.
    fn event(&mut self, event: Event<'_>, out: Option<&mut i32>);

    /// Whether an event callback is installed (some decisions depend on it).
    fn has_event_callback(&self) -> bool;

    /// Protocol monitor; `None` callback makes this a no-op.
    fn monitor(&mut self, data: &[u8], kind: MonitorKind);

    /// Whether a monitor callback is installed.
    fn has_monitor(&self) -> bool;

    /// Starts a transfer of `message`: release the previous context and make
    /// the rewind call.
    fn message_rewind(&mut self, message: usize);

    /// The next block of `message`'s content.
    fn message_read(&mut self, message: usize) -> MessageBlock<'_>;

    /// A reader of message content that is a separate object from the
    /// hooks, when they can make one: the BDAT path then hands each block
    /// on to the connection without copying it, while replies raise events
    /// through the hooks. The source reads the same content as
    /// [`SessionHooks::message_read`] and is used only while the session
    /// runs.
    fn detached_source(&mut self) -> Option<Box<dyn MessageSource>> {
        None
    }
}

/// Message content, read apart from the rest of the hooks
/// ([`SessionHooks::detached_source`]).
pub trait MessageSource {
    /// As [`SessionHooks::message_rewind`].
    fn message_rewind(&mut self, message: usize);

    /// As [`SessionHooks::message_read`].
    fn message_read(&mut self, message: usize) -> MessageBlock<'_>;
}
