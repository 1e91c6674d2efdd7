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
//!
//! Where this differs from libESMTP on purpose (for docs/compat.md):
//! * dot-stuffing also doubles a `.` after a bare LF or bare CR in the body
//!   (Q-BARELF, SMTP smuggling; see `dotstuff.rs`). Input whose CRs and LFs
//!   all come as CRLF gets byte-identical output.
//! * A header unit over [`UNIT_CAP`] (1 MiB) is not held in memory: the
//!   header engine decides on its first 1 MiB, the rest streams through or
//!   is skipped; its MESSAGEDATA event still carries the full length, but
//!   the header monitor is shown only the first 1 MiB. libESMTP buffers any
//!   size (a message with Unix line ends is one such unit).
//! * BDAT: a header block over 1 MiB goes out as several chunks instead of
//!   one; a callback block over 64 KiB is handed to the sink just before
//!   (not after) its MESSAGEDATA event, to avoid copying it.

use std::io::Write;

use super::dotstuff::Stuffer;
use super::headers::{HeaderAction, HeaderContext, HeaderFault, HeaderProcessor};
use super::reader::{whole_header_block, HeaderAssembler, LineCounter, Step, UNIT_CAP};
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
    /// An event callback is set: without one, per-line MESSAGEDATA events
    /// would reach nobody and are not queued at all.
    events: bool,
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
            events: hooks.has_event_callback(),
        }
    }

    fn unit(&mut self, len: usize, shown: &[u8]) {
        if !self.events && !self.monitor {
            // Its event would reach nobody and nobody wants the text.
            return;
        }
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
        if !self.events {
            return;
        }
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

/// What to do with a header unit larger than [`UNIT_CAP`]: the header
/// engine decides on its first [`UNIT_CAP`] bytes (its name is in there);
/// the rest streams through (kept) or is skipped (dropped, replaced). The
/// MESSAGEDATA event (full length) and the monitor call (with the first
/// [`UNIT_CAP`] bytes only) come when the unit is complete, as for any unit.
#[derive(Debug, PartialEq, Eq)]
enum Overflow {
    None,
    Keep,
    Drop,
    Replace(Vec<u8>),
}

/// The header engine as the header phase uses it (a trait so that tests can
/// stand in for it).
trait UnitFilter {
    fn process(&mut self, unit: &[u8]) -> Result<HeaderAction, HeaderFault>;
    fn finish(&mut self) -> Result<Vec<Vec<u8>>, HeaderFault>;
}

impl UnitFilter for HeaderProcessor<'_> {
    fn process(&mut self, unit: &[u8]) -> Result<HeaderAction, HeaderFault> {
        HeaderProcessor::process(self, unit)
    }

    fn finish(&mut self) -> Result<Vec<Vec<u8>>, HeaderFault> {
        HeaderProcessor::finish(self)
    }
}

/// Most header units [`HeaderPhase::whole_block`] takes in one block.
const WHOLE_BLOCK_UNITS: usize = 32;

/// The header phase of one transfer.
struct HeaderPhase<F: UnitFilter> {
    asm: HeaderAssembler,
    filter: F,
    overflow: Overflow,
    /// Monitor text of an oversized kept unit: its first [`UNIT_CAP`] bytes.
    overflow_shown: Vec<u8>,
    errno: i32,
    /// Kept units of the current block not written yet: `data[start..end]`.
    /// Consecutive kept units go out in one write (same bytes, one pass
    /// through the stuffer instead of one per header).
    kept: Option<(usize, usize)>,
}

/// How the header phase left a block.
enum HeaderEnd {
    NeedMore,
    /// The header block ended; body bytes start at the given offset.
    Done,
}

/// The header engine's processor for this transfer.
fn processor<'p>(ctx: &TransferContext<'p>) -> Result<HeaderProcessor<'p>, TransferError> {
    let message = ctx
        .session
        .messages
        .get(ctx.message)
        .ok_or(TransferError::Stopped)?;
    Ok(message.headers.start(HeaderContext {
        message,
        hostname: ctx.hostname,
        now: ctx.now,
    }))
}

impl<F: UnitFilter> HeaderPhase<F> {
    fn new(filter: F) -> HeaderPhase<F> {
        HeaderPhase {
            asm: HeaderAssembler::new(),
            filter,
            overflow: Overflow::None,
            overflow_shown: Vec::new(),
            errno: 0,
            kept: None,
        }
    }

    /// Writes the kept units held back from `data`.
    fn flush_kept(&mut self, data: &[u8], out: &mut dyn HeaderOut) -> Result<(), TransferError> {
        match self.kept.take() {
            Some((start, end)) => out.put(data.get(start..end).unwrap_or_default()),
            None => Ok(()),
        }
    }

    /// Writes a kept unit of the application's message, or holds it back
    /// when it lies whole in `data`.
    fn keep(&mut self, data: &[u8], out: &mut dyn HeaderOut) -> Result<(), TransferError> {
        match self.asm.span() {
            Some(span) => self.hold(data, span, out),
            None => {
                self.flush_kept(data, out)?;
                out.put(self.asm.unit(data))
            }
        }
    }

    /// Holds back the kept unit at `data[start..end]`, joined to the held
    /// back ones when it follows them (the others go out first).
    fn hold(
        &mut self,
        data: &[u8],
        (start, end): (usize, usize),
        out: &mut dyn HeaderOut,
    ) -> Result<(), TransferError> {
        match self.kept {
            Some((first, held_end)) if held_end == start => self.kept = Some((first, end)),
            _ => {
                self.flush_kept(data, out)?;
                self.kept = Some((start, end));
            }
        }
        Ok(())
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
        data: &[u8],
        out: &mut dyn HeaderOut,
        monitor: bool,
    ) -> Result<(), TransferError> {
        self.flush_kept(data, out)?;
        if self.overflow == Overflow::None {
            self.overflow = match self.filter.process(self.asm.unit(data))? {
                HeaderAction::Keep => {
                    if monitor {
                        self.overflow_shown = self.asm.unit(data).to_vec();
                    }
                    Overflow::Keep
                }
                HeaderAction::Drop => Overflow::Drop,
                HeaderAction::Replace(new) => Overflow::Replace(new),
            };
        }
        if self.overflow == Overflow::Keep {
            out.put(self.asm.unit(data))?;
        }
        self.asm.drain();
        Ok(())
    }

    /// A complete unit of the application's message.
    fn unit(
        &mut self,
        data: &[u8],
        out: &mut dyn HeaderOut,
        pending: &mut Pending,
    ) -> Result<(), TransferError> {
        match std::mem::replace(&mut self.overflow, Overflow::None) {
            Overflow::None => match self.filter.process(self.asm.unit(data))? {
                HeaderAction::Keep => {
                    pending.unit(self.asm.total(), self.asm.unit(data));
                    self.keep(data, out)?;
                }
                HeaderAction::Drop => {}
                HeaderAction::Replace(new) => {
                    self.flush_kept(data, out)?;
                    Self::emit(out, pending, &new)?;
                }
            },
            Overflow::Keep => {
                pending.unit(self.asm.total(), &self.overflow_shown);
                self.flush_kept(data, out)?;
                out.put(self.asm.unit(data))?;
                self.overflow_shown = Vec::new();
            }
            Overflow::Drop => {}
            Overflow::Replace(new) => {
                self.flush_kept(data, out)?;
                Self::emit(out, pending, &new)?;
            }
        }
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
        if *pos == 0 && errno == 0 && self.is_fresh() && !pending.events && !pending.monitor {
            let mut units = [(0, 0); WHOLE_BLOCK_UNITS];
            if let Some((count, body)) = whole_header_block(data, &mut units) {
                let units = units.get(..count).unwrap_or_default();
                let done = self.whole_block(data, units, out, pending);
                // As below: held-back units go out whatever the outcome.
                self.flush_kept(data, out)?;
                done?;
                *pos = body;
                return Ok(HeaderEnd::Done);
            }
        }
        let end = self.feed_units(data, errno, pos, out, pending);
        // Held-back units point into `data`, which the next block replaces;
        // they go out whatever the outcome, as if written one by one.
        self.flush_kept(data, out)?;
        end
    }

    /// Nothing of the message taken yet, and nothing pending.
    fn is_fresh(&self) -> bool {
        self.asm.is_fresh()
            && self.overflow == Overflow::None
            && self.kept.is_none()
            && self.errno == 0
    }

    /// The units of a header block that lies whole in one block, when no
    /// MESSAGEDATA event or header monitor call is wanted: what
    /// [`HeaderPhase::unit`] does for each, without the assembler's
    /// line-by-line state (the usual message, handed out in one piece).
    fn whole_block(
        &mut self,
        data: &[u8],
        units: &[(usize, usize)],
        out: &mut dyn HeaderOut,
        pending: &mut Pending,
    ) -> Result<(), TransferError> {
        for &(start, end) in units {
            match self
                .filter
                .process(data.get(start..end).unwrap_or_default())?
            {
                HeaderAction::Keep => self.hold(data, (start, end), out)?,
                HeaderAction::Drop => {}
                HeaderAction::Replace(new) => {
                    self.flush_kept(data, out)?;
                    Self::emit(out, pending, &new)?;
                }
            }
        }
        Ok(())
    }

    fn feed_units(
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
                Step::Full => self.overflow(data, out, pending.monitor)?,
                Step::Unit => {
                    self.unit(data, out, pending)?;
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
        for unit in self.filter.finish()? {
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
        if !pending.events {
            // Nobody wants the line lengths: stuff, and only note whether a
            // line ended (for the errno rule) and how the last one stands.
            out.stuffer.write(out.out, data)?;
            if self.lines.skim(data) {
                // libESMTP clears errno after each body line.
                self.errno = 0;
            }
            return Ok(());
        }
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
    let filter = processor(ctx)?;
    data_with(out, hooks, ctx, filter)
}

fn data_with<W: Write + ?Sized, F: UnitFilter>(
    out: &mut W,
    hooks: &mut dyn SessionHooks,
    ctx: &TransferContext<'_>,
    filter: F,
) -> Result<(), TransferError> {
    let mut pending = Pending::new(ctx, hooks);
    let mut headers = HeaderPhase::new(filter);
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
    let filter = processor(ctx)?;
    bdat_with(hooks, ctx, sink, filter)
}

fn bdat_with<F: UnitFilter>(
    hooks: &mut dyn SessionHooks,
    ctx: &TransferContext<'_>,
    sink: &mut dyn ChunkSink,
    filter: F,
) -> Result<(), TransferError> {
    let mut pending = Pending::new(ctx, hooks);
    let mut headers = HeaderPhase::new(filter);
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
        if rest.len() <= COPY_LIMIT && (pending.events || pending.monitor) {
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
        if len <= COPY_LIMIT && pending.events {
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

#[cfg(test)]
mod tests {
    //! The header-phase paths the pass-through stub engine cannot reach:
    //! dropped, replaced and generated headers, oversized units, refused
    //! generated headers. (Wire-level behaviour with the real `HeaderTable`
    //! is covered by `tests/datapath_transfer.rs`.)
    use super::*;
    use crate::core::events::MessageBlock;
    use crate::core::model::{Message, Session};

    /// Stands in for the header engine: decides by the header's first bytes.
    struct Fake {
        generated: Vec<Vec<u8>>,
        seen: Vec<usize>,
    }

    impl UnitFilter for Fake {
        fn process(&mut self, unit: &[u8]) -> Result<HeaderAction, HeaderFault> {
            self.seen.push(unit.len());
            Ok(if unit.starts_with(b"Drop:") {
                HeaderAction::Drop
            } else if unit.starts_with(b"Repl:") {
                HeaderAction::Replace(b"Repl: new\r\n".to_vec())
            } else if unit.starts_with(b"Bad:") {
                HeaderAction::Replace(b"Bad: no line feed".to_vec())
            } else if unit.starts_with(b"Empty:") {
                HeaderAction::Replace(Vec::new())
            } else {
                HeaderAction::Keep
            })
        }

        fn finish(&mut self) -> Result<Vec<Vec<u8>>, HeaderFault> {
            Ok(std::mem::take(&mut self.generated))
        }
    }

    impl UnitFilter for &mut Fake {
        fn process(&mut self, unit: &[u8]) -> Result<HeaderAction, HeaderFault> {
            (**self).process(unit)
        }

        fn finish(&mut self) -> Result<Vec<Vec<u8>>, HeaderFault> {
            (**self).finish()
        }
    }

    fn fake(generated: &[&[u8]]) -> Fake {
        Fake {
            generated: generated.iter().map(|g| g.to_vec()).collect(),
            seen: Vec::new(),
        }
    }

    struct Hooks {
        blocks: Vec<Vec<u8>>,
        next: usize,
        errno_at: Option<(usize, i32)>,
        calls: usize,
        log: Vec<String>,
        shown: Vec<Vec<u8>>,
        lens: Vec<usize>,
        /// No event callback and no monitor.
        quiet: bool,
    }

    impl Hooks {
        fn new(input: &[u8], piece: usize) -> Hooks {
            Hooks {
                blocks: input.chunks(piece.max(1)).map(<[u8]>::to_vec).collect(),
                next: 0,
                errno_at: None,
                calls: 0,
                log: Vec::new(),
                shown: Vec::new(),
                lens: Vec::new(),
                quiet: false,
            }
        }

        fn quiet(input: &[u8], piece: usize) -> Hooks {
            Hooks {
                quiet: true,
                ..Hooks::new(input, piece)
            }
        }
    }

    impl SessionHooks for Hooks {
        fn event(&mut self, event: Event<'_>, _out: Option<&mut i32>) {
            if let Event::MessageData { len, .. } = event {
                self.log.push(format!("ev{len}"));
                self.lens.push(len);
            }
        }
        fn has_event_callback(&self) -> bool {
            !self.quiet
        }
        fn monitor(&mut self, data: &[u8], kind: MonitorKind) {
            assert_eq!(kind, MonitorKind::Headers);
            self.log.push("H".into());
            self.shown.push(data.to_vec());
        }
        fn has_monitor(&self) -> bool {
            !self.quiet
        }
        fn message_rewind(&mut self, _message: usize) {
            self.next = 0;
            self.log.push("rewind".into());
        }
        fn message_read(&mut self, _message: usize) -> MessageBlock<'_> {
            self.calls += 1;
            let errno = match self.errno_at {
                Some((call, e)) if call == self.calls => e,
                _ => 0,
            };
            let data: &[u8] = match self.blocks.get(self.next) {
                Some(b) => {
                    self.next += 1;
                    b
                }
                None => &[],
            };
            self.log.push(format!("r{}", data.len()));
            MessageBlock { data, errno }
        }
    }

    fn session() -> Session {
        Session {
            messages: vec![Message::default()],
            monitor_headers: true,
            ..Session::default()
        }
    }

    fn ctx(s: &Session) -> TransferContext<'_> {
        TransferContext {
            session: s,
            message: 0,
            hostname: "h",
            now: 0,
        }
    }

    fn run_data(hooks: &mut Hooks, filter: Fake) -> (Result<(), TransferError>, Vec<u8>) {
        let s = session();
        let mut out = Vec::new();
        let r = data_with(&mut out, hooks, &ctx(&s), filter);
        (r, out)
    }

    #[derive(Default)]
    struct Chunks(Vec<Vec<u8>>);

    impl ChunkSink for Chunks {
        fn chunk(&mut self, data: &[u8], _last: bool) -> Result<(), TransferError> {
            self.0.push(data.to_vec());
            Ok(())
        }
    }

    const INPUT: &[u8] =
        b"A: 1\r\nDrop: x\r\n folded\r\nRepl: old\r\nEmpty: e\r\n.B: 2\r\n\r\nbody\r\n";

    #[test]
    fn dropped_replaced_and_generated_headers() {
        let mut h = Hooks::new(INPUT, 5);
        let f = fake(&[b"Date: d\r\n", b"", b".Gen: g\r\n"]);
        let (r, out) = run_data(&mut h, f);
        assert!(r.is_ok());
        assert_eq!(
            out,
            b"A: 1\r\nRepl: new\r\n..B: 2\r\nDate: d\r\n..Gen: g\r\n\r\nbody\r\n.\r\n"
        );
        // Events before monitor calls, monitor text unstuffed; none for the
        // dropped, the empty replacement, the empty generated header.
        assert_eq!(h.lens, vec![6, 11, 7, 9, 9, 6]);
        assert_eq!(
            h.shown,
            vec![
                b"A: 1\r\n".to_vec(),
                b"Repl: new\r\n".to_vec(),
                b".B: 2\r\n".to_vec(),
                b"Date: d\r\n".to_vec(),
                b".Gen: g\r\n".to_vec(),
            ]
        );
        assert!(h.log.windows(2).all(|w| w[0] != "H" || w[1] != "H"));
    }

    #[test]
    fn bdat_headers_are_processed_but_not_stuffed() {
        let mut h = Hooks::new(INPUT, 7);
        let s = session();
        let mut chunks = Chunks::default();
        let r = bdat_with(&mut h, &ctx(&s), &mut chunks, fake(&[b".Gen: g\r\n"]));
        assert!(r.is_ok());
        assert_eq!(
            chunks.0[0],
            b"A: 1\r\nRepl: new\r\n.B: 2\r\n.Gen: g\r\n\r\n"
        );
        let body: Vec<u8> = chunks.0[1..].concat();
        assert_eq!(body, b"body\r\n");
        assert_eq!(chunks.0.last().map(Vec::len), Some(0));
    }

    #[test]
    fn a_dropped_header_clears_errno_too() {
        // Separator read from the block that completed the dropped unit's
        // look-ahead: cleared (libESMTP observed with Return-Path).
        let input = b"Drop: x\r\n\r\nb\r\n";
        let mut h = Hooks::new(input, 9);
        h.errno_at = Some((2, 5));
        assert!(run_data(&mut h, fake(&[])).0.is_ok());
        let mut h = Hooks::new(input, 10);
        h.errno_at = Some((2, 5));
        let (r, _) = run_data(&mut h, fake(&[]));
        assert!(matches!(r, Err(TransferError::Callback { errno: 5 })));
    }

    #[test]
    fn header_without_line_feed_is_refused() {
        let mut h = Hooks::new(b"Bad: x\r\n\r\n", 100);
        let (r, _) = run_data(&mut h, fake(&[]));
        assert!(matches!(
            r,
            Err(TransferError::Header(HeaderFault { errno: 34 }))
        ));
        let mut h = Hooks::new(b"A: x\r\n\r\n", 100);
        let (r, _) = run_data(&mut h, fake(&[b"Gen: no lf"]));
        assert!(matches!(
            r,
            Err(TransferError::Header(HeaderFault { errno: 34 }))
        ));
    }

    fn big_unit(name: &[u8], len: usize) -> Vec<u8> {
        let mut v = name.to_vec();
        while v.len() < len - 2 {
            v.extend_from_slice(b"0123456789\r\n .");
        }
        v.truncate(len - 2);
        v.extend_from_slice(b"\r\n");
        v
    }

    #[test]
    fn oversized_units_stream_in_bounded_memory() {
        let keep = big_unit(b"Big: ", 3 * UNIT_CAP + 123);
        let drop = big_unit(b"Drop: ", 2 * UNIT_CAP + 7);
        let repl = big_unit(b"Repl: ", UNIT_CAP + 1);
        let mut input = Vec::new();
        for part in [&b"A: 1\r\n"[..], &keep, &drop, &repl, b"\r\n.body\r\n"] {
            input.extend_from_slice(part);
        }
        let mut h = Hooks::new(&input, 100_000);
        let (r, out) = run_data(&mut h, fake(&[]));
        assert!(r.is_ok());
        let mut want = b"A: 1\r\n".to_vec();
        want.extend_from_slice(&super::super::dotstuff::stuff(&keep));
        want.extend_from_slice(b"Repl: new\r\n\r\n..body\r\n.\r\n");
        assert_eq!(out.len(), want.len());
        assert!(out == want);
        assert_eq!(h.lens, vec![6, keep.len(), 11, 7]);
        // The monitor gets the first UNIT_CAP bytes of the oversized unit.
        assert_eq!(h.shown[1].len(), UNIT_CAP);
        assert!(keep.starts_with(&h.shown[1]));

        // BDAT: same header bytes, unstuffed, in chunks of about UNIT_CAP.
        let mut h = Hooks::new(&input, 100_000);
        let s = session();
        let mut chunks = Chunks::default();
        assert!(bdat_with(&mut h, &ctx(&s), &mut chunks, fake(&[])).is_ok());
        let all = chunks.0.concat();
        let mut want = b"A: 1\r\n".to_vec();
        want.extend_from_slice(&keep);
        want.extend_from_slice(b"Repl: new\r\n\r\n.body\r\n");
        assert!(all == want);
        assert!(chunks.0.iter().all(|c| c.len() <= 2 * UNIT_CAP));
    }

    /// A header block handed out whole, with nobody listening, takes the
    /// one-scan path; in pieces it goes through the assembler. Both must
    /// write the same bytes, read the same blocks and fail the same way.
    #[test]
    fn whole_header_block_path_matches_the_assembler() {
        const LINES: [&[u8]; 14] = [
            b"A: 1\r\n",
            b"Drop: x\r\n",
            b"Repl: old\r\n",
            b"Empty: e\r\n",
            b".B: 2\r\n",
            b" folded\r\n",
            b"\tfolded\r\n",
            b"C: bare\nlf\r\n",
            b"D: bare\rcr\r\n",
            b"E: \r\r\n",
            b"Bad: x\r\n",
            b"no colon\r\n",
            b"\r\n",
            b"F: x",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let mut fast_taken = 0;
        for _ in 0..20_000 {
            let mut input = Vec::new();
            for _ in 0..next(9) {
                input.extend_from_slice(LINES[next(LINES.len())]);
            }
            if next(4) > 0 {
                input.extend_from_slice(b"\r\n.body\r\n");
            }
            let mut whole = Hooks::quiet(&input, input.len().max(1));
            let mut whole_filter = fake(&[b"Gen: g\r\n"]);
            let s = session();
            let mut out_whole = Vec::new();
            let r_whole = data_with(&mut out_whole, &mut whole, &ctx(&s), &mut whole_filter);
            let piece = 1 + next(7);
            let mut split = Hooks::quiet(&input, piece);
            let mut split_filter = fake(&[b"Gen: g\r\n"]);
            let mut out_split = Vec::new();
            let r_split = data_with(&mut out_split, &mut split, &ctx(&s), &mut split_filter);
            assert_eq!(format!("{r_whole:?}"), format!("{r_split:?}"), "{input:?}");
            if r_whole.is_ok() {
                assert_eq!(out_whole, out_split, "{input:?}");
            }
            assert_eq!(whole_filter.seen, split_filter.seen, "{input:?}");
            // The callback is called as often, with events on (which keeps
            // the assembler's path) as without.
            let mut heard = Hooks::new(&input, input.len().max(1));
            let mut heard_filter = fake(&[b"Gen: g\r\n"]);
            let mut out_heard = Vec::new();
            let r_heard = data_with(&mut out_heard, &mut heard, &ctx(&s), &mut heard_filter);
            assert_eq!(format!("{r_whole:?}"), format!("{r_heard:?}"), "{input:?}");
            let reads = |h: &Hooks| -> Vec<String> {
                h.log
                    .iter()
                    .filter(|l| l.starts_with('r'))
                    .cloned()
                    .collect()
            };
            assert_eq!(reads(&whole), reads(&heard), "{input:?}");
            let mut units = [(0, 0); WHOLE_BLOCK_UNITS];
            if whole_header_block(&input, &mut units).is_some() {
                fast_taken += 1;
            }
        }
        assert!(fast_taken > 5_000, "{fast_taken}");
    }
}
