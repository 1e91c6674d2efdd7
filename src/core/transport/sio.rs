//! Buffered, timed reads and writes over the connection (plain or TLS),
//! feeding the monitor.
//!
//! * Commands accumulate in the write buffer and go out when the protocol
//!   must wait, or, like libESMTP's 2048-byte buffer, when the next command
//!   would not fit in 2048 bytes: the monitor and the server see the same
//!   command batches as with libESMTP.
//! * Message content goes through the same buffer but is written in large
//!   blocks (64 KiB); the terminator leaves with the last data.
//! * Every wait (read or write) uses the current timeout, in milliseconds.
//! * Writes never raise SIGPIPE: std's `TcpStream` sends with
//!   `MSG_NOSIGNAL` on Linux, and the TLS stream writes through it.
//! * Write errors are remembered and the bytes dropped (as libESMTP); the
//!   failure surfaces as a failed read.

use std::io::{self, IoSlice, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use openssl::ssl::SslStream;

use crate::core::events::{MonitorKind, SessionHooks};
use crate::core::reply::ReadFailure;
use crate::core::spare;
use crate::sys::mem::memchr;
use crate::sys::net;

/// libESMTP's buffer size: command batches are split at this size.
pub const COMMAND_BATCH: usize = 2048;
/// Content is written in blocks of this size.
pub const CONTENT_BLOCK: usize = 64 * 1024;
/// Content at least this large is written straight from the caller's
/// buffer instead of being copied into the write buffer (BDAT chunks).
const ZERO_COPY_MIN: usize = 16 * 1024;
/// Bytes of a directly written content run kept in the buffer to go out
/// with what follows.
const HOLD_BACK: usize = 2048;
/// Bytes asked for per read (libESMTP's read buffer).
const READ_CHUNK: usize = 2048;

/// Unread input beyond which draining stops: replies are processed before
/// more is taken in, so a server that floods replies cannot grow the
/// buffer without bound.
const DRAIN_LIMIT: usize = 64 * 1024;

/// The byte stream under the SMTP session.
#[derive(Debug)]
pub enum Stream {
    Plain(TcpStream),
    Tls(Box<SslStream<TcpStream>>),
}

impl Stream {
    /// The socket under the stream.
    pub fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(s) => s.get_ref(),
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

/// One SMTP connection: stream, buffers, current timeout, monitor switch.
#[derive(Debug)]
pub struct Connection {
    stream: Option<Stream>,
    /// Initialised storage that only grows (zero-filled once, not per
    /// read); the unread input is `read_buf[read_pos..read_end]`.
    read_buf: Vec<u8>,
    read_pos: usize,
    read_end: usize,
    write_buf: Vec<u8>,
    timeout_ms: i64,
    /// Timeouts last set on the socket (`SO_RCVTIMEO`, `SO_SNDTIMEO`):
    /// each is set only before a wait that needs it, and only when it
    /// changed, so the common exchange costs no `setsockopt` at all.
    applied_read: Option<Duration>,
    applied_write: Option<Duration>,
    monitor_configured: bool,
    monitor_attached: bool,
    /// Leading bytes of `write_buf` queued while the monitor was detached:
    /// never shown to it, even when written after it is attached again.
    write_hidden: usize,
    write_failed: bool,
    /// Commands interleaved with content (BDAT): batch by content size.
    bulk: bool,
    /// `TCP_NODELAY` is on. It is set only before a write that Nagle's
    /// algorithm could hold back (see [`Connection::prepare_write`]).
    nodelay: bool,
    /// Bytes were written whose replies have not all been read yet.
    replies_owed: bool,
    /// Input arrived from the socket since the last write.
    input_after_write: bool,
}

/// A connection's buffers, kept from one connection to the next.
struct Buffers {
    read: Vec<u8>,
    write: Vec<u8>,
}

/// Largest buffers kept for reuse: the usual ones (a longer reply or a
/// bigger write grows them; those are freed rather than kept).
const SPARE_READ_MAX: usize = 4 * READ_CHUNK;
const SPARE_WRITE_MAX: usize = CONTENT_BLOCK + COMMAND_BATCH;

thread_local! {
    /// The buffers of the connection this thread closed last. A session
    /// of one small message would otherwise allocate and free 66 KiB
    /// each time, down malloc's slow path for large blocks (whose free
    /// also sweeps the small-block bins).
    static SPARE_BUFFERS: std::cell::Cell<Option<Buffers>> =
        const { std::cell::Cell::new(None) };
}

fn take_spare_buffers() -> Buffers {
    match spare::take(&SPARE_BUFFERS) {
        Some(mut buffers) => {
            buffers.write.clear();
            buffers
        }
        None => Buffers {
            read: Vec::new(),
            write: Vec::with_capacity(CONTENT_BLOCK + COMMAND_BATCH),
        },
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        if self.read_buf.capacity() > SPARE_READ_MAX || self.write_buf.capacity() > SPARE_WRITE_MAX
        {
            return;
        }
        let buffers = Buffers {
            read: std::mem::take(&mut self.read_buf),
            write: std::mem::take(&mut self.write_buf),
        };
        spare::keep(&SPARE_BUFFERS, buffers);
    }
}

impl Connection {
    /// Wraps a connected socket; `monitor` says whether a monitor callback
    /// was set when the connection was made.
    pub fn new(stream: TcpStream, monitor: bool, timeout_ms: i64) -> Connection {
        let buffers = take_spare_buffers();
        Connection {
            stream: Some(Stream::Plain(stream)),
            // Bytes left from an earlier connection are never read:
            // only `read_buf[read_pos..read_end]` holds input.
            read_buf: buffers.read,
            read_pos: 0,
            read_end: 0,
            write_buf: buffers.write,
            timeout_ms,
            applied_read: None,
            applied_write: None,
            monitor_configured: monitor,
            monitor_attached: monitor,
            write_hidden: 0,
            write_failed: false,
            bulk: false,
            nodelay: false,
            replies_owed: false,
            input_after_write: false,
        }
    }

    /// Records that every command written so far has been answered: the
    /// last reply left the server after all our bytes had reached it, so
    /// its segment acknowledged them all. A reply that was already buffered
    /// before the last write (an unsolicited extra one) proves nothing.
    pub fn replies_caught_up(&mut self) {
        if self.write_buf.is_empty() && self.input_after_write {
            self.replies_owed = false;
        }
    }

    /// Turns `TCP_NODELAY` on before a write of `len` bytes that Nagle's
    /// algorithm could hold back: one sent while earlier bytes may still be
    /// unacknowledged (pipelined batches, content blocks, a TLS handshake),
    /// or a large one. The usual exchange, one write answered by the reply
    /// read before the next, is never held back, and a short session saves
    /// the system call.
    fn prepare_write(&mut self, len: usize) {
        if self.replies_owed || len > COMMAND_BATCH {
            self.ensure_nodelay();
        }
        self.replies_owed = true;
        self.input_after_write = false;
    }

    fn ensure_nodelay(&mut self) {
        if !self.nodelay {
            if let Some(stream) = &self.stream {
                let _ = stream.tcp().set_nodelay(true);
            }
            self.nodelay = true;
        }
    }

    /// Records the socket's send timeout as connecting left it (`None`:
    /// not set), so it is not set again for the same value.
    pub fn send_timeout_is(&mut self, timeout: Option<Duration>) {
        self.applied_write = timeout;
    }

    /// Replaces the current timeout (milliseconds).
    pub fn set_timeout(&mut self, timeout_ms: i64) {
        self.timeout_ms = timeout_ms;
    }

    pub fn timeout_ms(&self) -> i64 {
        self.timeout_ms
    }

    /// Hides what follows from the monitor (message content).
    pub fn detach_monitor(&mut self) {
        self.monitor_attached = false;
    }

    /// Shows what follows to the monitor again, if one was set at connect.
    /// Content still buffered stays hidden, so a command can follow it in
    /// the same write.
    pub fn attach_monitor(&mut self) {
        if !self.monitor_attached {
            self.write_hidden = self.write_buf.len();
        }
        self.monitor_attached = self.monitor_configured;
    }

    pub fn monitor_attached(&self) -> bool {
        self.monitor_attached
    }

    /// Whether a write has failed on this connection.
    pub fn write_failed(&self) -> bool {
        self.write_failed
    }

    pub fn is_tls(&self) -> bool {
        matches!(self.stream, Some(Stream::Tls(_)))
    }

    pub fn stream(&self) -> Option<&Stream> {
        self.stream.as_ref()
    }

    /// Sets both socket timeouts (TLS: the handshake library waits inside).
    fn apply_timeout(&mut self) {
        if let Some(stream) = &self.stream {
            let tcp = stream.tcp();
            set_timeout(tcp, &mut self.applied_read, self.timeout_ms, Dir::Read);
            set_timeout(tcp, &mut self.applied_write, self.timeout_ms, Dir::Write);
        }
    }

    /// While on, commands go into the buffer like content (BDAT chunk
    /// headers between chunk bytes) instead of being batched at 2048 bytes.
    pub fn set_bulk(&mut self, on: bool) {
        self.bulk = on;
    }

    /// Queues one command; first writes what is buffered if the command
    /// would not fit in a libESMTP-sized batch.
    pub fn queue_command(&mut self, command: &[u8], hooks: &mut dyn SessionHooks) {
        let limit = if self.bulk {
            CONTENT_BLOCK
        } else {
            COMMAND_BATCH
        };
        if !self.write_buf.is_empty() && self.write_buf.len() + command.len() > limit {
            self.flush(hooks);
        }
        self.write_buf.extend_from_slice(command);
    }

    /// Queues content bytes (never shown to the monitor's Writing view when
    /// the monitor is detached); writes in large blocks.
    pub fn queue_content(&mut self, data: &[u8], hooks: &mut dyn SessionHooks) {
        self.write_buf.extend_from_slice(data);
        if self.write_buf.len() >= CONTENT_BLOCK {
            self.flush(hooks);
        }
    }

    /// Bytes waiting in the write buffer.
    pub fn pending_output(&self) -> usize {
        self.write_buf.len()
    }

    /// Writes the buffer, showing it to the monitor first when attached.
    pub fn flush(&mut self, hooks: &mut dyn SessionHooks) {
        if self.write_buf.is_empty() {
            return;
        }
        if self.monitor_attached && self.write_buf.len() > self.write_hidden {
            hooks.monitor(&self.write_buf[self.write_hidden..], MonitorKind::Writing);
        }
        self.write_raw();
    }

    fn write_raw(&mut self) {
        self.write_out(&[]);
    }

    /// Writes the buffer and then `tail` (not copied: one `sendmsg` on a
    /// plain socket) and empties the buffer. A plain socket is first written
    /// without waiting; the write timeout is set only if it has to wait.
    fn write_out(&mut self, tail: &[u8]) {
        if !self.write_failed {
            self.prepare_write(self.write_buf.len() + tail.len());
            let ok = match &mut self.stream {
                Some(Stream::Plain(tcp)) => send_all(
                    tcp,
                    &self.write_buf,
                    tail,
                    &mut self.applied_write,
                    self.timeout_ms,
                ),
                Some(Stream::Tls(tls)) => {
                    let tcp = tls.get_ref();
                    set_timeout(tcp, &mut self.applied_read, self.timeout_ms, Dir::Read);
                    set_timeout(tcp, &mut self.applied_write, self.timeout_ms, Dir::Write);
                    tls.write_all(&self.write_buf)
                        .and_then(|_| tls.write_all(tail))
                        .and_then(|_| tls.flush())
                        .is_ok()
                }
                None => false,
            };
            if !ok {
                self.write_failed = true;
            }
        }
        self.write_buf.clear();
        self.write_hidden = 0;
    }

    /// Queues a command, then content that is written straight from `data`
    /// (no copy) when it is large: BDAT chunks.
    pub fn queue_chunk(&mut self, data: &[u8], hooks: &mut dyn SessionHooks) {
        if data.len() < ZERO_COPY_MIN || self.monitor_attached {
            self.queue_content(data, hooks);
            return;
        }
        self.write_out(data);
    }

    /// A writer for message content: no monitor, large blocks.
    pub fn content_writer(&mut self) -> ContentWriter<'_> {
        ContentWriter { conn: self }
    }

    /// Bytes read from the server and not consumed yet.
    pub fn buffered_input(&self) -> usize {
        self.read_end - self.read_pos
    }

    /// Writes one line that may carry credentials (AUTH) straight to the
    /// stream, showing the monitor `view` (a redacted copy) instead; the
    /// line never sits in the long-lived write buffer.
    pub fn write_line_showing(&mut self, line: &[u8], view: &[u8], hooks: &mut dyn SessionHooks) {
        self.flush(hooks);
        if self.monitor_attached {
            hooks.monitor(view, MonitorKind::Writing);
        }
        self.apply_timeout();
        if self.write_failed {
            return;
        }
        self.prepare_write(line.len());
        match &mut self.stream {
            Some(stream) => {
                if stream.write_all(line).and_then(|_| stream.flush()).is_err() {
                    self.write_failed = true;
                }
            }
            None => self.write_failed = true,
        }
    }

    /// Drops unread input (after STARTTLS: nothing that arrived in clear may
    /// be taken as a reply sent over TLS).
    pub fn discard_input(&mut self) {
        self.read_pos = 0;
        self.read_end = 0;
    }

    /// Reads once into the buffer. `Ok(0)` is end of stream.
    fn fill(&mut self, hooks: &mut dyn SessionHooks) -> Result<usize, ReadFailure> {
        if !self.write_buf.is_empty() {
            // Never block on input with output still unsent.
            self.flush(hooks);
        }
        let old = self.reserve_read();
        let result = loop {
            let buf = &mut self.read_buf[old..old + READ_CHUNK];
            let r = match &mut self.stream {
                None => return Err(ReadFailure::Closed),
                Some(Stream::Plain(tcp)) => {
                    recv_waiting(tcp, buf, &mut self.applied_read, self.timeout_ms)
                }
                Some(Stream::Tls(tls)) => {
                    let tcp = tls.get_ref();
                    set_timeout(tcp, &mut self.applied_read, self.timeout_ms, Dir::Read);
                    set_timeout(tcp, &mut self.applied_write, self.timeout_ms, Dir::Write);
                    tls.read(buf)
                }
            };
            match r {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other,
            }
        };
        match result {
            Ok(n) => {
                self.read_end = old + n;
                self.input_after_write |= n > 0;
                if n > 0 && self.monitor_attached {
                    hooks.monitor(&self.read_buf[old..old + n], MonitorKind::Reading);
                }
                Ok(n)
            }
            Err(e) => {
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) {
                    Err(ReadFailure::Timeout)
                } else {
                    Err(ReadFailure::Closed)
                }
            }
        }
    }

    /// Makes room for one read of [`READ_CHUNK`] bytes after the unread
    /// input (moved to the front first) and returns where it starts.
    fn reserve_read(&mut self) -> usize {
        if self.read_pos > 0 {
            self.read_buf.copy_within(self.read_pos..self.read_end, 0);
            self.read_end -= self.read_pos;
            self.read_pos = 0;
        }
        if self.read_buf.len() < self.read_end + READ_CHUNK {
            self.read_buf.resize(self.read_end + READ_CHUNK, 0);
        }
        self.read_end
    }

    /// Reads one line (up to and including LF) of at most `max` bytes.
    /// End of stream, a read error or a timeout inside a line returns the
    /// partial line. Unlike libESMTP, which takes whatever one read gave as
    /// the line, a line split across segments is waited for.
    pub fn read_line(
        &mut self,
        max: usize,
        hooks: &mut dyn SessionHooks,
    ) -> Result<Vec<u8>, ReadFailure> {
        self.read_line_ref(max, hooks).map(<[u8]>::to_vec)
    }

    /// [`Connection::read_line`] without copying: the line stays in the
    /// read buffer until the next read.
    pub fn read_line_ref(
        &mut self,
        max: usize,
        hooks: &mut dyn SessionHooks,
    ) -> Result<&[u8], ReadFailure> {
        let mut searched = 0;
        loop {
            let unread = &self.read_buf[self.read_pos..self.read_end];
            if let Some(p) = memchr(b'\n', &unread[searched..]) {
                let end = searched + p + 1;
                if end > max {
                    return Err(ReadFailure::TooLong);
                }
                let start = self.read_pos;
                self.read_pos += end;
                return Ok(&self.read_buf[start..start + end]);
            }
            searched = unread.len();
            if searched > max {
                return Err(ReadFailure::TooLong);
            }
            match self.fill(hooks) {
                Ok(_) if self.read_end - self.read_pos > searched => {}
                Ok(_) | Err(ReadFailure::Closed) if searched == 0 => {
                    return Err(ReadFailure::Closed)
                }
                Err(ReadFailure::Timeout) if searched == 0 => return Err(ReadFailure::Timeout),
                _ => {
                    // End of stream or a stall inside a line: the partial
                    // line is used as it is (libESMTP does the same, so an
                    // unterminated continuation gives UNTERMINATED_RESPONSE).
                    let start = self.read_pos;
                    self.read_pos = self.read_end;
                    return Ok(&self.read_buf[start..self.read_end]);
                }
            }
        }
    }

    /// Reads whatever input has already arrived, without waiting.
    pub fn drain_available(&mut self, hooks: &mut dyn SessionHooks) {
        match &self.stream {
            None => {}
            Some(Stream::Plain(_)) => loop {
                if self.buffered_input() >= DRAIN_LIMIT {
                    return;
                }
                let old = self.reserve_read();
                let Some(Stream::Plain(tcp)) = &self.stream else {
                    return;
                };
                match net::recv_nowait(tcp, &mut self.read_buf[old..old + READ_CHUNK]) {
                    Ok(n) if n > 0 => {
                        self.read_end = old + n;
                        self.input_after_write = true;
                        if self.monitor_attached {
                            hooks.monitor(&self.read_buf[old..old + n], MonitorKind::Reading);
                        }
                        if n < READ_CHUNK {
                            // A short read: what had arrived is taken.
                            return;
                        }
                    }
                    _ => return,
                }
            },
            Some(Stream::Tls(tls)) => {
                if tls.get_ref().set_nonblocking(true).is_err() {
                    return;
                }
                while let Ok(n) = self.fill_nonblocking(hooks) {
                    if n == 0 || self.buffered_input() >= DRAIN_LIMIT {
                        break;
                    }
                }
                if let Some(stream) = &self.stream {
                    let _ = stream.tcp().set_nonblocking(false);
                }
            }
        }
    }

    fn fill_nonblocking(&mut self, hooks: &mut dyn SessionHooks) -> Result<usize, ReadFailure> {
        let old = self.reserve_read();
        let Some(stream) = &mut self.stream else {
            return Err(ReadFailure::Closed);
        };
        match stream.read(&mut self.read_buf[old..old + READ_CHUNK]) {
            Ok(n) => {
                self.read_end = old + n;
                self.input_after_write |= n > 0;
                if self.monitor_attached && n > 0 {
                    hooks.monitor(&self.read_buf[old..old + n], MonitorKind::Reading);
                }
                Ok(n)
            }
            Err(_) => Err(ReadFailure::Timeout),
        }
    }

    /// Whether the buffered input holds at least one complete reply (a
    /// complete line whose code is followed by something other than `-`).
    pub fn has_complete_reply(&self) -> bool {
        let mut rest = &self.read_buf[self.read_pos..self.read_end];
        while let Some(p) = rest.iter().position(|&b| b == b'\n') {
            let line = &rest[..=p];
            let digits = line.iter().take_while(|b| b.is_ascii_digit()).count();
            if line.get(digits) != Some(&b'-') {
                return true;
            }
            rest = &rest[p + 1..];
        }
        false
    }

    /// Takes the plain socket out for a TLS handshake (STARTTLS). Pending
    /// input is discarded. `None` if the stream is already TLS or gone.
    pub fn take_plain(&mut self, hooks: &mut dyn SessionHooks) -> Option<TcpStream> {
        self.flush(hooks);
        self.discard_input();
        // The handshake and TLS records are written back to back.
        self.ensure_nodelay();
        match self.stream.take() {
            Some(Stream::Plain(tcp)) => Some(tcp),
            other => {
                self.stream = other;
                None
            }
        }
    }

    /// Installs the TLS stream produced by the handshake.
    pub fn upgrade(&mut self, tls: SslStream<TcpStream>) {
        self.stream = Some(Stream::Tls(Box::new(tls)));
        self.applied_read = None;
        self.applied_write = None;
    }

    /// Closes the connection (TLS close-notify first). Closing the socket
    /// sends the FIN; no separate `shutdown` call is needed.
    pub fn close(&mut self) {
        if let Some(Stream::Tls(tls)) = &mut self.stream {
            let _ = tls.shutdown();
        }
        self.stream = None;
    }

    /// Drops buffered output and closes without a word (client errors).
    pub fn abort(&mut self) {
        self.write_buf.clear();
        self.write_hidden = 0;
        self.close();
    }
}

#[derive(Clone, Copy)]
enum Dir {
    Read,
    Write,
}

/// Sets one socket timeout to `timeout_ms` (at least 1 ms) unless it is
/// already set to that.
/// The shortest receive timeout that [`recv_waiting`] keeps on the socket
/// for a longer wait (a shorter one is only left over from the last step of
/// a wait that timed out).
const MIN_READ_STEP: Duration = Duration::from_secs(1);

/// One blocking read that waits at most `timeout_ms` for data.
///
/// Each exchange switches between timeouts (envelope, DATA, final reply),
/// and setting `SO_RCVTIMEO` is a system call. So a receive timeout already
/// on the socket that is shorter than the wait wanted is kept, and waited
/// out as many times as needed, the last time for what is left: the wait is
/// the same, and the common exchange makes no `setsockopt` at all.
///
/// A socket with no receive timeout yet is first read without waiting:
/// the reply has often arrived already (on loopback, the greeting nearly
/// always), and a session whose reads never have to wait sets no receive
/// timeout at all.
fn recv_waiting(
    tcp: &TcpStream,
    buf: &mut [u8],
    applied: &mut Option<Duration>,
    timeout_ms: i64,
) -> io::Result<usize> {
    recv_waiting_in_steps(tcp, buf, applied, timeout_ms, MIN_READ_STEP)
}

fn recv_waiting_in_steps(
    tcp: &TcpStream,
    buf: &mut [u8],
    applied: &mut Option<Duration>,
    timeout_ms: i64,
    min_step: Duration,
) -> io::Result<usize> {
    let wanted = Duration::from_millis(u64::try_from(timeout_ms.max(1)).unwrap_or(1));
    if applied.is_none() {
        match net::recv_nowait(tcp, buf) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            other => return other,
        }
    }
    let mut step = match *applied {
        Some(step) if step <= wanted && (step >= min_step || step == wanted) => step,
        _ => {
            let _ = tcp.set_read_timeout(Some(wanted));
            *applied = Some(wanted);
            wanted
        }
    };
    let mut waited = Duration::ZERO;
    let mut reader = tcp;
    loop {
        match reader.read(buf) {
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                waited += step;
                let Some(left) = wanted.checked_sub(waited).filter(|l| !l.is_zero()) else {
                    return Err(e);
                };
                if left < step {
                    let _ = tcp.set_read_timeout(Some(left));
                    *applied = Some(left);
                    step = left;
                }
            }
            other => return other,
        }
    }
}

fn set_timeout(tcp: &TcpStream, applied: &mut Option<Duration>, timeout_ms: i64, dir: Dir) {
    let ms = u64::try_from(timeout_ms.max(1)).unwrap_or(1);
    let wanted = Some(Duration::from_millis(ms));
    if *applied != wanted {
        let _ = match dir {
            Dir::Read => tcp.set_read_timeout(wanted),
            Dir::Write => tcp.set_write_timeout(wanted),
        };
        *applied = wanted;
    }
}

/// Writes `head` then `tail` to a plain socket: without waiting first, then
/// (when the socket is full) waiting up to the write timeout. False when
/// the write failed.
fn send_all(
    tcp: &TcpStream,
    head: &[u8],
    tail: &[u8],
    applied: &mut Option<Duration>,
    timeout_ms: i64,
) -> bool {
    let mut bufs = [IoSlice::new(head), IoSlice::new(tail)];
    let mut slices: &mut [IoSlice<'_>] = if tail.is_empty() {
        &mut bufs[..1]
    } else {
        &mut bufs
    };
    IoSlice::advance_slices(&mut slices, 0);
    let mut nowait = true;
    while !slices.is_empty() {
        let sent = if slices.len() == 1 {
            if nowait {
                net::send_nowait(tcp, &slices[0])
            } else {
                let mut writer: &TcpStream = tcp;
                writer.write(&slices[0])
            }
        } else {
            net::send_vectored(tcp, slices, nowait)
        };
        match sent {
            Ok(0) => return false,
            Ok(n) => IoSlice::advance_slices(&mut slices, n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if nowait && e.kind() == io::ErrorKind::WouldBlock => {
                set_timeout(tcp, applied, timeout_ms, Dir::Write);
                nowait = false;
            }
            Err(_) => return false,
        }
    }
    true
}

/// Writes message content into the connection's buffer.
pub struct ContentWriter<'a> {
    conn: &'a mut Connection,
}

impl Write for ContentWriter<'_> {
    #[inline]
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        // `write` always takes everything.
        self.write(buf).map(|_| ())
    }

    #[inline]
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.len() >= ZERO_COPY_MIN && !self.conn.monitor_attached {
            // A long run: written straight from the caller's buffer, after
            // what is buffered; its last bytes are kept back so that the
            // terminator (or whatever follows) never goes out alone.
            let split = buf.len() - HOLD_BACK;
            self.conn.write_out(&buf[..split]);
            self.conn.write_buf.extend_from_slice(&buf[split..]);
            return Ok(buf.len());
        }
        self.conn.write_buf.extend_from_slice(buf);
        if self.conn.write_buf.len() >= CONTENT_BLOCK {
            self.conn.write_raw();
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::events::{Event, MessageBlock};
    use std::net::TcpListener;

    #[derive(Default)]
    struct Monitor(Vec<(MonitorKind, Vec<u8>)>);

    impl SessionHooks for Monitor {
        fn event(&mut self, _event: Event<'_>, _out: Option<&mut i32>) {}
        fn has_event_callback(&self) -> bool {
            false
        }
        fn monitor(&mut self, data: &[u8], kind: MonitorKind) {
            self.0.push((kind, data.to_vec()));
        }
        fn has_monitor(&self) -> bool {
            true
        }
        fn message_rewind(&mut self, _message: usize) {}
        fn message_read(&mut self, _message: usize) -> MessageBlock<'_> {
            MessageBlock {
                data: &[],
                errno: 0,
            }
        }
    }

    fn pair() -> Option<(Connection, TcpStream)> {
        let listener = TcpListener::bind("127.0.0.1:0").ok()?;
        let client = TcpStream::connect(listener.local_addr().ok()?).ok()?;
        let (server, _) = listener.accept().ok()?;
        Some((Connection::new(client, true, 500), server))
    }

    #[test]
    fn draining_stops_at_its_limit_and_loses_nothing() {
        let Some((mut conn, server)) = pair() else {
            return;
        };
        let mut hooks = Monitor::default();
        let line = b"250 2.1.5 ok\r\n";
        let count = 3 * DRAIN_LIMIT / line.len();
        let writer = std::thread::spawn(move || {
            let mut server = server;
            for _ in 0..count {
                if server.write_all(line).is_err() {
                    break;
                }
            }
        });
        // Bounded wait for the flood to arrive.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let mut seen = 0;
        while seen < count && std::time::Instant::now() < deadline {
            conn.drain_available(&mut hooks);
            assert!(conn.buffered_input() < DRAIN_LIMIT + READ_CHUNK);
            while conn.has_complete_reply() {
                assert_eq!(conn.read_line(100, &mut hooks), Ok(line.to_vec()));
                seen += 1;
            }
        }
        let _ = writer.join();
        assert_eq!(seen, count);
    }

    fn nodelay(conn: &Connection) -> Option<bool> {
        conn.stream().and_then(|s| s.tcp().nodelay().ok())
    }

    /// Reads `n` bytes on the server side (waiting at most 5 s), so that
    /// the writes are known to have arrived.
    fn receive(server: &mut TcpStream, n: usize) -> bool {
        let _ = server.set_read_timeout(Some(Duration::from_secs(5)));
        let mut buf = vec![0u8; n];
        server.read_exact(&mut buf).is_ok()
    }

    #[test]
    fn nodelay_is_set_before_a_write_behind_unanswered_bytes() {
        let Some((mut conn, mut server)) = pair() else {
            return;
        };
        let mut hooks = Monitor::default();
        conn.queue_command(b"EHLO a\r\n", &mut hooks);
        conn.flush(&mut hooks);
        assert_eq!(nodelay(&conn), Some(false));
        // A second write with the first one unanswered (pipelining).
        conn.queue_command(b"NOOP\r\n", &mut hooks);
        conn.flush(&mut hooks);
        assert_eq!(nodelay(&conn), Some(true));
        assert!(receive(&mut server, 14));
    }

    #[test]
    fn an_answered_exchange_keeps_nagle_and_a_large_write_does_not() {
        let Some((mut conn, mut server)) = pair() else {
            return;
        };
        let mut hooks = Monitor::default();
        let mut answered = |conn: &mut Connection, server: &mut TcpStream, sent: usize| {
            assert!(receive(server, sent));
            let _ = server.write_all(b"250 ok\r\n");
            assert_eq!(conn.read_line(100, &mut hooks), Ok(b"250 ok\r\n".to_vec()));
            conn.replies_caught_up();
        };
        for _ in 0..3 {
            conn.queue_command(b"NOOP\r\n", &mut Monitor::default());
            conn.flush(&mut Monitor::default());
            answered(&mut conn, &mut server, 6);
        }
        assert_eq!(nodelay(&conn), Some(false));
        // A line that may carry credentials goes the same way.
        conn.write_line_showing(b"AUTH x\r\n", b"AUTH x\r\n", &mut Monitor::default());
        assert_eq!(nodelay(&conn), Some(false));
        answered(&mut conn, &mut server, 8);
        let block = vec![b'x'; COMMAND_BATCH + 1];
        conn.queue_content(&block, &mut hooks);
        conn.flush(&mut hooks);
        assert_eq!(nodelay(&conn), Some(true));
        assert!(receive(&mut server, block.len()));
    }

    #[test]
    fn a_reply_buffered_before_the_write_does_not_answer_it() {
        let Some((mut conn, mut server)) = pair() else {
            return;
        };
        let mut hooks = Monitor::default();
        conn.queue_command(b"MAIL FROM:<>\r\n", &mut hooks);
        conn.flush(&mut hooks);
        assert!(receive(&mut server, 14));
        // The reply and an unsolicited extra one, in one segment.
        let _ = server.write_all(b"250 ok\r\n250 extra\r\n");
        assert_eq!(conn.read_line(100, &mut hooks), Ok(b"250 ok\r\n".to_vec()));
        conn.replies_caught_up();
        conn.queue_command(b"RCPT TO:<a@b>\r\n", &mut hooks);
        conn.flush(&mut hooks);
        assert_eq!(nodelay(&conn), Some(false));
        // Taken from the buffer as the RCPT reply: it left before RCPT came.
        assert_eq!(
            conn.read_line(100, &mut hooks),
            Ok(b"250 extra\r\n".to_vec())
        );
        conn.replies_caught_up();
        conn.queue_command(b"DATA\r\n", &mut hooks);
        conn.flush(&mut hooks);
        assert_eq!(nodelay(&conn), Some(true));
    }

    #[test]
    fn caught_up_is_ignored_while_output_is_queued() {
        let Some((mut conn, _server)) = pair() else {
            return;
        };
        let mut hooks = Monitor::default();
        conn.queue_command(b"MAIL FROM:<>\r\n", &mut hooks);
        conn.flush(&mut hooks);
        conn.queue_command(b"RCPT TO:<a@b>\r\n", &mut hooks);
        conn.replies_caught_up();
        conn.flush(&mut hooks);
        assert_eq!(nodelay(&conn), Some(true));
    }

    #[test]
    fn the_plain_socket_taken_for_tls_has_nodelay() {
        let Some((mut conn, _server)) = pair() else {
            return;
        };
        let mut hooks = Monitor::default();
        let tcp = conn.take_plain(&mut hooks);
        assert_eq!(tcp.and_then(|t| t.nodelay().ok()), Some(true));
    }

    #[test]
    fn lines_partial_lines_and_end_of_stream() {
        let Some((mut conn, mut server)) = pair() else {
            return;
        };
        let mut hooks = Monitor::default();
        let _ = server.write_all(b"250-a\r\n250 b\r\n354 partial");
        drop(server);
        assert_eq!(conn.read_line(100, &mut hooks), Ok(b"250-a\r\n".to_vec()));
        assert!(conn.has_complete_reply());
        assert_eq!(conn.read_line(100, &mut hooks), Ok(b"250 b\r\n".to_vec()));
        assert_eq!(conn.read_line(100, &mut hooks), Ok(b"354 partial".to_vec()));
        assert_eq!(conn.read_line(100, &mut hooks), Err(ReadFailure::Closed));
        let reads: Vec<&(MonitorKind, Vec<u8>)> = hooks
            .0
            .iter()
            .filter(|(k, _)| *k == MonitorKind::Reading)
            .collect();
        assert!(!reads.is_empty());
    }

    #[test]
    fn timeout_and_too_long() {
        let Some((mut conn, mut server)) = pair() else {
            return;
        };
        let mut hooks = Monitor::default();
        conn.set_timeout(50);
        assert_eq!(conn.read_line(100, &mut hooks), Err(ReadFailure::Timeout));
        let _ = server.write_all(&[b'x'; 300]);
        assert_eq!(conn.read_line(100, &mut hooks), Err(ReadFailure::TooLong));
    }

    #[test]
    fn monitor_sees_flushes_but_not_detached_content() {
        let Some((mut conn, mut server)) = pair() else {
            return;
        };
        let mut hooks = Monitor::default();
        conn.queue_command(b"RCPT TO:<a@x>\r\n", &mut hooks);
        conn.queue_command(b"DATA\r\n", &mut hooks);
        conn.flush(&mut hooks);
        conn.detach_monitor();
        let _ = conn.content_writer().write_all(b"body\r\n.\r\n");
        conn.flush(&mut hooks);
        conn.attach_monitor();
        assert_eq!(
            hooks.0,
            vec![(MonitorKind::Writing, b"RCPT TO:<a@x>\r\nDATA\r\n".to_vec())]
        );
        let mut got = [0u8; 64];
        let _ = server.set_read_timeout(Some(Duration::from_secs(2)));
        let mut total = 0;
        while total < 30 {
            match server.read(&mut got[total..]) {
                Ok(0) | Err(_) => break,
                Ok(n) => total += n,
            }
        }
        assert_eq!(&got[..total], b"RCPT TO:<a@x>\r\nDATA\r\nbody\r\n.\r\n");
    }

    #[test]
    fn a_shorter_receive_timeout_is_waited_out_in_steps() {
        let Some((conn, _server)) = pair() else {
            return;
        };
        let Some(Stream::Plain(tcp)) = &conn.stream else {
            return;
        };
        let _ = tcp.set_read_timeout(Some(Duration::from_millis(40)));
        let mut applied = Some(Duration::from_millis(40));
        let mut buf = [0u8; 16];
        let started = std::time::Instant::now();
        let r = recv_waiting_in_steps(tcp, &mut buf, &mut applied, 100, Duration::from_millis(10));
        let took = started.elapsed();
        assert!(r.is_err());
        // 40 + 40 + the 20 left: the whole wait, not one step of it.
        assert!(took >= Duration::from_millis(95), "{took:?}");
        assert!(took < Duration::from_secs(2), "{took:?}");
        assert_eq!(applied, Some(Duration::from_millis(20)));
        // A leftover below the minimum step is replaced for the next wait.
        let r = recv_waiting_in_steps(tcp, &mut buf, &mut applied, 30, Duration::from_millis(25));
        assert!(r.is_err());
        assert_eq!(applied, Some(Duration::from_millis(30)));
    }

    #[test]
    fn a_read_that_need_not_wait_sets_no_timeout() {
        let Some((conn, mut server)) = pair() else {
            return;
        };
        let Some(Stream::Plain(tcp)) = &conn.stream else {
            return;
        };
        let mut applied = None;
        let mut buf = [0u8; 16];
        let _ = server.write_all(b"220 hi\r\n");
        // Bounded wait for the bytes to be readable.
        let _ = tcp.set_nonblocking(true);
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        let mut peek = [0u8; 1];
        while tcp.peek(&mut peek).is_err() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        let _ = tcp.set_nonblocking(false);
        let r = recv_waiting_in_steps(tcp, &mut buf, &mut applied, 1000, MIN_READ_STEP);
        assert_eq!(r.ok(), Some(8));
        assert_eq!(applied, None);
        assert_eq!(tcp.read_timeout().ok().flatten(), None);
        // Nothing there: the timeout is set and waited out.
        let r = recv_waiting_in_steps(tcp, &mut buf, &mut applied, 50, MIN_READ_STEP);
        assert!(r.is_err());
        assert_eq!(applied, Some(Duration::from_millis(50)));
        // (The kernel keeps it in clock ticks: 50 ms may read back as 52.)
        assert!(tcp.read_timeout().ok().flatten().is_some());
    }

    #[test]
    fn data_arriving_between_steps_is_read() {
        let Some((conn, mut server)) = pair() else {
            return;
        };
        let Some(Stream::Plain(tcp)) = &conn.stream else {
            return;
        };
        let _ = tcp.set_read_timeout(Some(Duration::from_millis(30)));
        let mut applied = Some(Duration::from_millis(30));
        let writer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(80));
            let _ = server.write_all(b"250 ok\r\n");
            server
        });
        let mut buf = [0u8; 16];
        let r = recv_waiting_in_steps(tcp, &mut buf, &mut applied, 2000, Duration::from_millis(10));
        let _ = writer.join();
        assert_eq!(r.ok(), Some(8));
        assert_eq!(&buf[..8], b"250 ok\r\n");
        // The shorter timeout stayed: no setsockopt for this wait.
        assert_eq!(applied, Some(Duration::from_millis(30)));
    }

    #[test]
    fn content_left_buffered_stays_hidden_after_attach() {
        let Some((mut conn, mut server)) = pair() else {
            return;
        };
        let mut hooks = Monitor::default();
        conn.detach_monitor();
        let _ = conn.content_writer().write_all(b"body\r\n.\r\n");
        conn.attach_monitor();
        conn.queue_command(b"QUIT\r\n", &mut hooks);
        conn.flush(&mut hooks);
        assert_eq!(hooks.0, vec![(MonitorKind::Writing, b"QUIT\r\n".to_vec())]);
        let mut got = [0u8; 64];
        let _ = server.set_read_timeout(Some(Duration::from_secs(2)));
        let mut total = 0;
        while total < 15 {
            match server.read(&mut got[total..]) {
                Ok(0) | Err(_) => break,
                Ok(n) => total += n,
            }
        }
        assert_eq!(&got[..total], b"body\r\n.\r\nQUIT\r\n");
    }

    #[test]
    fn commands_are_batched_at_2048_bytes() {
        let Some((mut conn, _server)) = pair() else {
            return;
        };
        let mut hooks = Monitor::default();
        for _ in 0..100 {
            conn.queue_command(&[b'x'; 30], &mut hooks);
        }
        conn.flush(&mut hooks);
        let sizes: Vec<usize> = hooks.0.iter().map(|(_, d)| d.len()).collect();
        assert_eq!(sizes, vec![2040, 960]);
    }
}
