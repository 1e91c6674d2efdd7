//! The RFC 5322 header engine (libESMTP's headers.c behaviour).
//!
//! Interface contract (used by the data path in `transfer.rs`):
//! `HeaderTable::start` begins one transfer; each header unit of the
//! application's message (one header with its continuation lines, every
//! line with its CRLF) goes through `HeaderProcessor::process`; at the end
//! of the header block `finish` returns the headers the library adds.

use crate::core::model::Message;

/// Per-message header settings made through `smtp_set_header` and
/// `smtp_set_header_option`.
#[derive(Debug, Default)]
pub struct HeaderTable {}

/// What one transfer needs to know to generate headers.
#[derive(Debug, Clone, Copy)]
pub struct HeaderContext<'a> {
    pub message: &'a Message,
    /// Local host name (right-hand side of a generated Message-Id).
    pub hostname: &'a str,
    /// Seconds since the epoch, for a generated Date.
    pub now: i64,
}

/// A malformed generated header (libESMTP drops the connection with this errno).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderFault {
    pub errno: i32,
}

/// What to do with one header unit from the message.
#[derive(Debug, PartialEq, Eq)]
pub enum HeaderAction {
    Keep,
    Drop,
    Replace(Vec<u8>),
}

/// Header processing state for one transfer of one message.
#[derive(Debug)]
pub struct HeaderProcessor<'a> {
    ctx: HeaderContext<'a>,
}

impl HeaderTable {
    pub fn start<'a>(&'a self, ctx: HeaderContext<'a>) -> HeaderProcessor<'a> {
        HeaderProcessor { ctx }
    }
}

impl HeaderProcessor<'_> {
    /// Decides about one header unit of the application's message.
    pub fn process(&mut self, _unit: &[u8]) -> Result<HeaderAction, HeaderFault> {
        Ok(HeaderAction::Keep)
    }

    /// The headers to add after the message's own, in output order, each a
    /// complete unit ending in CRLF.
    pub fn finish(&mut self) -> Result<Vec<Vec<u8>>, HeaderFault> {
        let _ = self.ctx;
        Ok(Vec::new())
    }
}
