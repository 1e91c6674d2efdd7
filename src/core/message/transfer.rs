//! Sending one message's content: DATA (headers, body, dot-stuffing,
//! terminator) and the chunks of BDAT.
//!
//! Interface contract between the protocol engine and the data path:
//! * after a 354 the engine calls [`send_data`], which reads the message
//!   through the hooks, runs the header engine, raises MESSAGEDATA events and
//!   header monitor calls, and writes the dot-stuffed payload including the
//!   final `.` CRLF to `out` (the engine flushes afterwards);
//! * on the BDAT path the engine calls [`send_bdat`] with a [`ChunkSink`]
//!   that frames each chunk as `BDAT <n>` / `BDAT <n> LAST` and deals with
//!   the replies.

use std::io::Write;

use crate::core::events::SessionHooks;
use crate::core::message::headers::HeaderFault;
use crate::core::model::Session;

/// What one transfer of one message needs.
#[derive(Debug, Clone, Copy)]
pub struct TransferContext<'a> {
    pub session: &'a Session,
    /// Index into `session.messages`.
    pub message: usize,
    /// Local host name (for a generated Message-Id).
    pub hostname: &'a str,
    /// Seconds since the epoch (for a generated Date).
    pub now: i64,
}

/// Why a transfer stopped.
#[derive(Debug)]
pub enum TransferError {
    /// Writing to the connection failed.
    Io(std::io::Error),
    /// The message callback left `errno` set where libESMTP checks it.
    Callback { errno: i32 },
    /// The header engine refused a generated header.
    Header(HeaderFault),
    /// The chunk sink asked to stop (BDAT refused, connection lost).
    Stopped,
}

impl From<std::io::Error> for TransferError {
    fn from(err: std::io::Error) -> Self {
        TransferError::Io(err)
    }
}

/// Receives BDAT chunks in order; the last one is empty with `last == true`
/// (libESMTP ends with `BDAT 0 LAST`).
pub trait ChunkSink {
    fn chunk(&mut self, data: &[u8], last: bool) -> Result<(), TransferError>;
}

/// Writes the DATA payload of one message (after the 354), ending with
/// `.` CRLF.
pub fn send_data<W: Write + ?Sized>(
    out: &mut W,
    hooks: &mut dyn SessionHooks,
    ctx: &TransferContext<'_>,
) -> Result<(), TransferError> {
    hooks.message_rewind(ctx.message);
    loop {
        let block = hooks.message_read(ctx.message);
        if block.data.is_empty() {
            break;
        }
        out.write_all(block.data)?;
    }
    out.write_all(b".\r\n")?;
    Ok(())
}

/// Produces the BDAT chunks of one message: first the headers, then each
/// block of the body as the callback hands it out, then the empty last chunk.
pub fn send_bdat(
    hooks: &mut dyn SessionHooks,
    ctx: &TransferContext<'_>,
    sink: &mut dyn ChunkSink,
) -> Result<(), TransferError> {
    hooks.message_rewind(ctx.message);
    loop {
        let block = hooks.message_read(ctx.message);
        if block.data.is_empty() {
            break;
        }
        sink.chunk(block.data, false)?;
    }
    sink.chunk(&[], true)
}
