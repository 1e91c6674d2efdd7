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
//!
//! On `Err(TransferError::Callback)` whatever was written to `out` (or
//! given to the sink) for this message must not be sent: libESMTP drops the
//! connection at once, discarding its buffer (protocol.md 14.1).
//!
//! How it stays fast and small: the bytes of a block are never copied on
//! the DATA body path. A block borrows the hooks, so the MESSAGEDATA events
//! (and header monitor calls) for what a block completes are queued while
//! it is processed and raised as soon as it is released — always before the
//! next callback call, so the order of events and callback calls is
//! libESMTP's; only their order relative to bytes entering `out`, which the
//! application cannot see, differs. Per-line events are queued run-length
//! encoded (one entry for consecutive lines of equal length).
//!
//! The `errno` rule (api.md 7.8 item 6, observed against libESMTP 1.1.0):
//! the `errno` left by a callback call stays "pending" until libESMTP next
//! clears it — after each header unit is processed (kept, replaced or
//! dropped) and after each DATA body line. It is checked when the header
//! block ends (empty line or end of input) and when the DATA body reaches
//! the end of input; on the BDAT body every call is checked.

use std::io::Write;

use super::dotstuff::Stuffer;
use super::headers::{HeaderAction, HeaderContext, HeaderFault, HeaderProcessor};
use super::reader::{HeaderAssembler, LineCounter, Step, UNIT_CAP};
use crate::core::events::{Event, MonitorKind, SessionHooks};
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

impl From<HeaderFault> for TransferError {
    fn from(fault: HeaderFault) -> Self {
        TransferError::Header(fault)
    }
}

/// Receives BDAT chunks in order; the last one is empty with `last == true`
/// (libESMTP ends with `BDAT 0 LAST`).
pub trait ChunkSink {
    fn chunk(&mut self, data: &[u8], last: bool) -> Result<(), TransferError>;
}

/// libESMTP refuses to write a header without a LF (headers.md 10.1, H-7).
const ERANGE: i32 = 34;

/// BDAT: blocks up to this size are copied so that their MESSAGEDATA event
/// can be raised before the chunk goes to the sink, as libESMTP does.
/// Larger ones are handed over first (the event follows at once).
const COPY_LIMIT: usize = 64 * 1024;

/// MESSAGEDATA events and header monitor calls waiting for the current
/// block to be released.
#[derive(Debug)]
struct Pending {
    notes: Vec<Note>,
    /// Header text for the monitor, when it wants headers.
    text: Vec<u8>,
    monitor: bool,
}

#[derive(Debug)]
enum Note {
    /// A header unit: its MESSAGEDATA, then (if shown) the monitor call
    /// with `text[start..end]`.
    Unit {
        len: usize,
        shown: Option<(usize, usize)>,
    },
    /// `count` body lines (or chunks) of `len` bytes each.
    Data { len: usize, count: usize },
}

impl Pending {
    fn new(ctx: &TransferContext<'_>, hooks: &dyn SessionHooks) -> Pending {
        Pending {
            notes: Vec::new(),
            text: Vec::new(),
            monitor: ctx.session.monitor_headers && hooks.has_monitor(),
        }
    }

    fn unit(&mut self, len: usize, shown: &[u8]) {
        let shown = if self.monitor {
            let start = self.text.len();
            self.text.extend_from_slice(shown);
            Some((start, self.text.len()))
        } else {
            None
        };
        self.notes.push(Note::Unit { len, shown });
    }

    #[inline]
    fn data(&mut self, len: usize) {
        if let Some(Note::Data { len: l, count }) = self.notes.last_mut() {
            if *l == len {
                *count += 1;
                return;
            }
        }
        self.notes.push(Note::Data { len, count: 1 });
    }

    fn flush(&mut self, hooks: &mut dyn SessionHooks, message: usize) {
        for note in self.notes.drain(..) {
            match note {
                Note::Unit { len, shown } => {
                    hooks.event(Event::MessageData { message, len }, None);
                    if let Some((start, end)) = shown {
                        if let Some(text) = self.text.get(start..end) {
                            hooks.monitor(text, MonitorKind::Headers);
                        }
                    }
                }
                Note::Data { len, count } => {
                    for _ in 0..count {
                        hooks.event(Event::MessageData { message, len }, None);
                    }
                }
            }
        }
        self.text.clear();
    }
}

/// Where processed header bytes go: DATA stuffs them into the stream, BDAT
/// collects them for the first chunk.
trait HeaderOut {
    fn put(&mut self, bytes: &[u8]) -> Result<(), TransferError>;
}

struct DataOut<'w, W: Write + ?Sized> {
    out: &'w mut W,
    stuffer: Stuffer,
}

impl<W: Write + ?Sized> HeaderOut for DataOut<'_, W> {
    fn put(&mut self, bytes: &[u8]) -> Result<(), TransferError> {
        Ok(self.stuffer.write(self.out, bytes)?)
    }
}

/// Collects the BDAT header chunk. A header block larger than [`UNIT_CAP`]
/// is sent as several chunks instead of one (libESMTP would hold all of it
/// in memory); the bytes are the same.
struct BdatOut<'s> {
    sink: &'s mut dyn ChunkSink,
    buf: Vec<u8>,
}

impl HeaderOut for BdatOut<'_> {
    fn put(&mut self, bytes: &[u8]) -> Result<(), TransferError> {
        self.buf.extend_from_slice(bytes);
        if self.buf.len() >= UNIT_CAP {
            self.sink.chunk(&self.buf, false)?;
            self.buf.clear();
        }
        Ok(())
    }
}

/// What to do with the rest of a header unit larger than [`UNIT_CAP`]; the
/// header engine decided on its first [`UNIT_CAP`] bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Overflow {
    None,
    Keep,
    Discard,
}

/// The header phase of one transfer.
struct HeaderPhase<'p> {
    asm: HeaderAssembler,
    proc: HeaderProcessor<'p>,
    overflow: Overflow,
    /// Monitor text of an oversized kept unit: its first [`UNIT_CAP`] bytes.
    overflow_shown: Vec<u8>,
    errno: i32,
}

/// How the header phase left a block.
enum HeaderEnd {
    NeedMore,
    /// The header block ended; body bytes start at the given offset.
    Done,
}

impl<'p> HeaderPhase<'p> {
    fn new(ctx: &TransferContext<'p>) -> Result<HeaderPhase<'p>, TransferError> {
        let message = ctx
            .session
            .messages
            .get(ctx.message)
            .ok_or(TransferError::Stopped)?;
        let proc = message.headers.start(HeaderContext {
            message,
            hostname: ctx.hostname,
            now: ctx.now,
        });
        Ok(HeaderPhase {
            asm: HeaderAssembler::new(),
            proc,
            overflow: Overflow::None,
            overflow_shown: Vec::new(),
            errno: 0,
        })
    }

    /// Writes one processed unit (event + monitor queued first).
    fn emit(
        out: &mut dyn HeaderOut,
        pending: &mut Pending,
        unit: &[u8],
    ) -> Result<(), TransferError> {
        if unit.is_empty() {
            return Ok(());
        }
        if !unit.contains(&b'\n') {
            return Err(TransferError::Header(HeaderFault { errno: ERANGE }));
        }
        pending.unit(unit.len(), unit);
        out.put(unit)
    }

    /// The buffered part of an oversized unit.
    fn overflow(
        &mut self,
        out: &mut dyn HeaderOut,
        pending: &mut Pending,
    ) -> Result<(), TransferError> {
        if self.overflow == Overflow::None {
            self.overflow = match self.proc.process(self.asm.unit())? {
                HeaderAction::Keep => {
                    if pending.monitor {
                        self.overflow_shown = self.asm.unit().to_vec();
                    }
                    Overflow::Keep
                }
                HeaderAction::Drop => Overflow::Discard,
                HeaderAction::Replace(new) => {
                    Self::emit(out, pending, &new)?;
                    Overflow::Discard
                }
            };
        }
        if self.overflow == Overflow::Keep {
            out.put(self.asm.unit())?;
        }
        self.asm.drain();
        Ok(())
    }

    /// A complete unit of the application's message.
    fn unit(
        &mut self,
        out: &mut dyn HeaderOut,
        pending: &mut Pending,
    ) -> Result<(), TransferError> {
        match self.overflow {
            Overflow::None => match self.proc.process(self.asm.unit())? {
                HeaderAction::Keep => {
                    pending.unit(self.asm.total(), self.asm.unit());
                    out.put(self.asm.unit())?;
                }
                HeaderAction::Drop => {}
                HeaderAction::Replace(new) => Self::emit(out, pending, &new)?,
            },
            Overflow::Keep => {
                out.put(self.asm.unit())?;
                pending.unit(self.asm.total(), &self.overflow_shown);
                self.overflow_shown = Vec::new();
            }
            Overflow::Discard => {}
        }
        self.overflow = Overflow::None;
        self.asm.next_unit();
        // libESMTP clears errno after each header it has handled.
        self.errno = 0;
        Ok(())
    }

    /// Consumes one block (`data` empty: end of input) from `*pos`.
    fn feed(
        &mut self,
        data: &[u8],
        errno: i32,
        pos: &mut usize,
        out: &mut dyn HeaderOut,
        pending: &mut Pending,
    ) -> Result<HeaderEnd, TransferError> {
        if errno != 0 {
            self.errno = errno;
        }
        loop {
            let step = if data.is_empty() {
                self.asm.feed_eof()
            } else {
                self.asm.feed(data, pos)
            };
            match step {
                Step::NeedMore => return Ok(HeaderEnd::NeedMore),
                Step::Full => self.overflow(out, pending)?,
                Step::Unit => {
                    self.unit(out, pending)?;
                    if data.is_empty() {
                        // libESMTP reads again after the end of input.
                        return Ok(HeaderEnd::NeedMore);
                    }
                }
                Step::End { .. } => {
                    self.asm.next_unit();
                    if self.errno != 0 {
                        return Err(TransferError::Callback { errno: self.errno });
                    }
                    return Ok(HeaderEnd::Done);
                }
            }
        }
    }

    /// The headers the library adds, then the empty line.
    fn finish(
        &mut self,
        out: &mut dyn HeaderOut,
        pending: &mut Pending,
    ) -> Result<(), TransferError> {
        for unit in self.proc.finish()? {
            Self::emit(out, pending, &unit)?;
        }
        out.put(b"\r\n")
    }
}

/// The DATA body after the header block.
struct Body {
    lines: LineCounter,
    errno: i32,
}

impl Body {
    #[inline]
    fn block<W: Write + ?Sized>(
        &mut self,
        data: &[u8],
        out: &mut DataOut<'_, W>,
        pending: &mut Pending,
    ) -> Result<(), TransferError> {
        // One pass: dot-stuff into the output and measure the lines.
        let lines = &mut self.lines;
        let mut any = false;
        lines.begin();
        out.stuffer.write_with_lf(out.out, data, |lf| {
            if let Some(len) = lines.lf(data, lf) {
                pending.data(len);
                any = true;
            }
        })?;
        lines.end(data);
        if any {
            // libESMTP clears errno after each body line.
            self.errno = 0;
        }
        Ok(())
    }
}

/// Writes the DATA payload of one message (after the 354), ending with
/// `.` CRLF.
pub fn send_data<W: Write + ?Sized>(
    out: &mut W,
    hooks: &mut dyn SessionHooks,
    ctx: &TransferContext<'_>,
) -> Result<(), TransferError> {
    let mut pending = Pending::new(ctx, hooks);
    let mut headers = HeaderPhase::new(ctx)?;
    let mut out = DataOut {
        out,
        stuffer: Stuffer::new(),
    };
    let mut body = Body {
        lines: LineCounter::new(),
        errno: 0,
    };
    hooks.message_rewind(ctx.message);
    let message = ctx.message;

    // Header phase; the body starts in the block that ends it.
    loop {
        let block = hooks.message_read(message);
        let (data, errno) = (block.data, block.errno);
        let mut pos = 0;
        let step = headers.feed(data, errno, &mut pos, &mut out, &mut pending);
        let done = match step {
            Ok(HeaderEnd::NeedMore) => Ok(false),
            Ok(HeaderEnd::Done) => headers
                .finish(&mut out, &mut pending)
                .and_then(|()| {
                    body.block(data.get(pos..).unwrap_or_default(), &mut out, &mut pending)
                })
                .map(|()| true),
            Err(e) => Err(e),
        };
        pending.flush(hooks, message);
        if done? {
            break;
        }
    }

    // Body phase.
    loop {
        let block = hooks.message_read(message);
        let (data, errno) = (block.data, block.errno);
        if errno != 0 {
            body.errno = errno;
        }
        if data.is_empty() {
            if let Some((tail, len)) = body.lines.finish() {
                // The last line lacked CRLF: complete it, then libESMTP
                // reads once more.
                out.put(tail)?;
                pending.data(len);
                body.errno = 0;
                pending.flush(hooks, message);
                continue;
            }
            if body.errno != 0 {
                return Err(TransferError::Callback { errno: body.errno });
            }
            break;
        }
        let result = body.block(data, &mut out, &mut pending);
        pending.flush(hooks, message);
        result?;
    }
    out.out.write_all(b".\r\n")?;
    Ok(())
}

/// Produces the BDAT chunks of one message: first the headers, then each
/// block of the body as the callback hands it out, then the empty last chunk.
pub fn send_bdat(
    hooks: &mut dyn SessionHooks,
    ctx: &TransferContext<'_>,
    sink: &mut dyn ChunkSink,
) -> Result<(), TransferError> {
    let mut pending = Pending::new(ctx, hooks);
    let mut headers = HeaderPhase::new(ctx)?;
    let mut out = BdatOut {
        sink,
        buf: Vec::new(),
    };
    let mut copy: Vec<u8> = Vec::new();
    hooks.message_rewind(ctx.message);
    let message = ctx.message;

    // Header phase. The rest of the block that ends it is the first body
    // chunk.
    loop {
        let block = hooks.message_read(message);
        let (data, errno) = (block.data, block.errno);
        let mut pos = 0;
        let step = headers.feed(data, errno, &mut pos, &mut out, &mut pending);
        let step = match step {
            Ok(HeaderEnd::Done) => headers.finish(&mut out, &mut pending).map(|()| true),
            Ok(HeaderEnd::NeedMore) => Ok(false),
            Err(e) => Err(e),
        };
        let done = match step {
            Ok(done) => done,
            Err(e) => {
                pending.flush(hooks, message);
                return Err(e);
            }
        };
        if !done {
            pending.flush(hooks, message);
            continue;
        }
        let rest = data.get(pos..).unwrap_or_default();
        if rest.len() <= COPY_LIMIT {
            copy.clear();
            copy.extend_from_slice(rest);
            pending.flush(hooks, message);
            out.sink.chunk(&out.buf, false)?;
            if !copy.is_empty() {
                hooks.event(
                    Event::MessageData {
                        message,
                        len: copy.len(),
                    },
                    None,
                );
                out.sink.chunk(&copy, false)?;
            }
        } else {
            let len = rest.len();
            let sent = out
                .sink
                .chunk(&out.buf, false)
                .and_then(|()| out.sink.chunk(rest, false));
            pending.flush(hooks, message);
            hooks.event(Event::MessageData { message, len }, None);
            sent?;
        }
        break;
    }
    let sink = out.sink;

    // Body: one chunk per callback block, raw.
    loop {
        let block = hooks.message_read(message);
        let (data, errno) = (block.data, block.errno);
        let len = data.len();
        if len == 0 {
            if errno != 0 {
                return Err(TransferError::Callback { errno });
            }
            break;
        }
        if errno != 0 {
            hooks.event(Event::MessageData { message, len }, None);
            return Err(TransferError::Callback { errno });
        }
        if len <= COPY_LIMIT {
            copy.clear();
            copy.extend_from_slice(data);
            hooks.event(Event::MessageData { message, len }, None);
            sink.chunk(&copy, false)?;
        } else {
            let sent = sink.chunk(data, false);
            hooks.event(Event::MessageData { message, len }, None);
            sent?;
        }
    }
    sink.chunk(&[], true)
}
