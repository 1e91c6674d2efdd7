//! The RFC 5322 header engine (libESMTP's headers.c behaviour).
//!
//! Interface contract (used by the data path in `transfer.rs`):
//! `HeaderTable::start` begins one transfer; each header unit of the
//! application's message (one header with its continuation lines, every
//! line with its CRLF) goes through `HeaderProcessor::process`; at the end
//! of the header block `finish` returns the headers the library adds.
//!
//! The API side (`smtp_set_header`, `smtp_set_header_option`) is
//! [`HeaderTable::set`] and [`HeaderTable::set_option`]; the C layer asks
//! [`HeaderTable::arg_shape`] which variable arguments to read.

mod render;
mod set;
mod table;
#[cfg(test)]
mod tests;

use crate::core::model::Message;
use crate::sys::time::LocalTime;

pub use table::ArgShape;
use table::{Class, Table};

/// `enum header_option` values.
pub const HDR_OVERRIDE: i32 = 0;
pub const HDR_PROHIBIT: i32 = 1;

/// Per-message header settings made through `smtp_set_header` and
/// `smtp_set_header_option`.
#[derive(Debug, Default, Clone)]
pub struct HeaderTable {
    table: Table,
}

/// A value given to `smtp_set_header`, by argument shape. `None` stands for
/// a NULL pointer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderValue<'a> {
    /// Date: the `time_t` the pointer points to.
    Time(Option<i64>),
    /// Message-Id or a generic header.
    Text(Option<&'a [u8]>),
    /// From, Sender, To, Cc, Bcc, Reply-To, Disposition-Notification-To.
    Mailbox {
        phrase: Option<&'a [u8]>,
        mailbox: Option<&'a [u8]>,
    },
}

/// Why `smtp_set_header` / `smtp_set_header_option` return 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderSetError {
    /// `SMTP_ERR_INVAL`.
    Invalid,
    /// `-ENOMEM`: libESMTP's answer to an empty name (quirk H-10).
    EmptyName,
}

/// What a successful `smtp_set_header` did (both return 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOutcome {
    Stored,
    /// Accepted but nothing stored (quirk H-1).
    Ignored,
}

/// What one transfer needs to know to generate headers.
#[derive(Debug, Clone, Copy)]
pub struct HeaderContext<'a> {
    pub message: &'a Message,
    /// Local host name (right-hand side of a generated Message-Id).
    pub hostname: &'a str,
    /// Seconds since the epoch, for a generated Date.
    pub now: i64,
}

/// The system services a generated header reads; replaced in tests.
#[derive(Debug, Clone, Copy)]
pub struct Environment {
    /// Broken-down local time for the Date header (`localtime_r`).
    pub local_time: fn(i64) -> Option<LocalTime>,
    /// Seconds and microseconds for a generated Message-Id
    /// (`gettimeofday`), `None` if the clock is unusable.
    pub message_id_clock: fn() -> Option<(i64, u32)>,
    /// Process id for a generated Message-Id.
    pub pid: u32,
}

fn system_clock() -> Option<(i64, u32)> {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    Some((i64::try_from(since.as_secs()).ok()?, since.subsec_micros()))
}

impl Environment {
    /// The real clock, time zone and process id.
    pub fn system() -> Environment {
        Environment {
            local_time: crate::sys::time::local,
            message_id_clock: system_clock,
            pid: std::process::id(),
        }
    }
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
    table: &'a Table,
    ctx: HeaderContext<'a>,
    env: Environment,
    /// Per table entry: the name occurred in this message.
    seen: Vec<bool>,
}

impl HeaderTable {
    /// Begins one transfer with the system clock, zone and pid.
    pub fn start<'a>(&'a self, ctx: HeaderContext<'a>) -> HeaderProcessor<'a> {
        self.start_with(ctx, Environment::system())
    }

    /// Begins one transfer with explicit system services.
    pub fn start_with<'a>(
        &'a self,
        ctx: HeaderContext<'a>,
        env: Environment,
    ) -> HeaderProcessor<'a> {
        HeaderProcessor {
            table: &self.table,
            ctx,
            env,
            seen: vec![false; self.table.entries.len()],
        }
    }
}

impl HeaderProcessor<'_> {
    /// Decides about one header unit of the application's message
    /// (headers.md §7.3).
    pub fn process(&mut self, unit: &[u8]) -> Result<HeaderAction, HeaderFault> {
        let Some(colon) = unit.iter().position(|&b| b == b':') else {
            return Ok(HeaderAction::Keep);
        };
        let Some(idx) = self.table.lookup(&unit[..colon]) else {
            return Ok(HeaderAction::Keep);
        };
        let Some(entry) = self.table.entries.get(idx) else {
            return Ok(HeaderAction::Keep);
        };
        let class = entry.kind.class();
        let already_seen = self.seen.get(idx).copied().unwrap_or(false);
        if let Some(seen) = self.seen.get_mut(idx) {
            *seen = true;
        }
        if class == Class::Preserved {
            return Ok(HeaderAction::Keep);
        }
        if already_seen || class == Class::Prohibited || entry.prohibit {
            return Ok(HeaderAction::Drop);
        }
        if entry.override_ {
            // Without a rendering libESMTP aborts (H-6); we keep the
            // message's header instead.
            if let Some(bytes) = render::header(entry, &self.ctx, &self.env) {
                return Ok(HeaderAction::Replace(bytes));
            }
        }
        Ok(HeaderAction::Keep)
    }

    /// The headers to add after the message's own, in output order, each a
    /// complete unit ending in CRLF (headers.md §7.4).
    pub fn finish(&mut self) -> Result<Vec<Vec<u8>>, HeaderFault> {
        let mut out = Vec::new();
        for &idx in &self.table.list {
            if self.seen.get(idx).copied().unwrap_or(false) {
                continue;
            }
            if let Some(entry) = self.table.entries.get(idx) {
                if let Some(bytes) = render::header(entry, &self.ctx, &self.env) {
                    out.push(bytes);
                }
            }
        }
        Ok(out)
    }
}
