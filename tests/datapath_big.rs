//! Throughput and memory of the DATA path on big messages (ignored by
//! default; run in release):
//!
//! `cargo test --release --test datapath_big -- --ignored --nocapture`
//!
//! `DATAPATH_BIG_MIB` sets the size of the main run (default 1024).
//! Peak RSS (VmHWM) must stay well under 32 MiB: nothing is buffered per
//! message, only per header unit (capped) and per block (queued events).

use std::io::{self, Write};
use std::time::Instant;

use esmtp::core::events::{Event, MessageBlock, MonitorKind, SessionHooks};
use esmtp::core::message::transfer::{send_data, TransferContext};
use esmtp::core::model::{Message, Session};

/// Hands out `header` once, then `block` until `total` body bytes went out.
struct Generator {
    header: Vec<u8>,
    block: Vec<u8>,
    total: u64,
    sent: u64,
    header_done: bool,
    events: u64,
    event_bytes: u64,
}

impl SessionHooks for Generator {
    fn event(&mut self, event: Event<'_>, _out: Option<&mut i32>) {
        if let Event::MessageData { len, .. } = event {
            self.events += 1;
            self.event_bytes += len as u64;
        }
    }
    fn has_event_callback(&self) -> bool {
        true
    }
    fn monitor(&mut self, _data: &[u8], _kind: MonitorKind) {}
    fn has_monitor(&self) -> bool {
        false
    }
    fn message_rewind(&mut self, _message: usize) {
        self.sent = 0;
        self.header_done = false;
    }
    fn message_read(&mut self, _message: usize) -> MessageBlock<'_> {
        if !self.header_done {
            self.header_done = true;
            return MessageBlock {
                data: &self.header,
                errno: 0,
            };
        }
        if self.sent >= self.total {
            return MessageBlock {
                data: &[],
                errno: 0,
            };
        }
        self.sent += self.block.len() as u64;
        MessageBlock {
            data: &self.block,
            errno: 0,
        }
    }
}

/// Stands for the engine's output buffer: copies what the transfer writes
/// into a 64 KiB buffer that is "flushed" (dropped) when full, counts it,
/// and keeps the last bytes to check the terminator.
struct CountingSink {
    bytes: u64,
    buf: Vec<u8>,
}

impl Default for CountingSink {
    fn default() -> Self {
        CountingSink {
            bytes: 0,
            buf: Vec::with_capacity(64 * 1024),
        }
    }
}

impl CountingSink {
    fn ends_with(&self, tail: &[u8]) -> bool {
        self.buf.ends_with(tail)
    }
}

impl Write for CountingSink {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.bytes += data.len() as u64;
        if self.buf.len() + data.len() > self.buf.capacity() {
            // Keep a few bytes so the terminator check still works.
            let keep = self.buf.len().min(8);
            let from = self.buf.len() - keep;
            self.buf.copy_within(from.., 0);
            self.buf.truncate(keep);
        }
        if data.len() > self.buf.capacity() - self.buf.len() {
            self.buf.clear();
            self.buf
                .extend_from_slice(&data[data.len() - 8.min(data.len())..]);
        } else {
            self.buf.extend_from_slice(data);
        }
        Ok(data.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn vm_hwm_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Prose-like lines of 76 bytes: words, one sentence-ending dot per line,
/// every 16th line starting with a dot (to be stuffed).
fn text_block(size: usize) -> Vec<u8> {
    const WORDS: &[&[u8]] = &[
        b"the", b"quick", b"brown", b"fox", b"jumps", b"over", b"a", b"lazy", b"dog",
    ];
    let mut v = Vec::with_capacity(size);
    let mut i = 0usize;
    while v.len() + 78 <= size {
        let start = v.len();
        if i.is_multiple_of(16) {
            v.push(b'.');
        }
        let mut w = i;
        while v.len() - start < 74 {
            v.extend_from_slice(WORDS[w % WORDS.len()]);
            v.push(b' ');
            w += 7;
        }
        v.truncate(start + 74);
        v.extend_from_slice(b".\r\n");
        i += 1;
    }
    v
}

/// Base64-like lines of 76 bytes (no dots at all).
fn base64_block(size: usize) -> Vec<u8> {
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut v = Vec::with_capacity(size);
    let mut i = 0usize;
    while v.len() + 78 <= size {
        for _ in 0..76 {
            v.push(B64[(i * 37 + 11) % 64]);
            i += 1;
        }
        v.extend_from_slice(b"\r\n");
    }
    v
}

fn run(label: &str, header: Vec<u8>, block: Vec<u8>, total: u64) -> (f64, u64) {
    // DATAPATH_BIG_ONLY=<label prefix> runs just one scenario (profiling).
    if let Ok(only) = std::env::var("DATAPATH_BIG_ONLY") {
        if !label.starts_with(&only) {
            return (0.0, 0);
        }
    }
    let session = Session {
        messages: vec![Message::default()],
        ..Session::default()
    };
    let ctx = TransferContext {
        session: &session,
        message: 0,
        hostname: "client.example",
        now: 0,
    };
    let mut hooks = Generator {
        header,
        block,
        total,
        sent: 0,
        header_done: false,
        events: 0,
        event_bytes: 0,
    };
    let mut sink = CountingSink::default();
    let start = Instant::now();
    send_data(&mut sink, &mut hooks, &ctx).expect("transfer");
    let secs = start.elapsed().as_secs_f64();
    let mib = hooks.sent as f64 / (1024.0 * 1024.0);
    assert!(sink.ends_with(b"\r\n.\r\n"));
    println!(
        "{label}: {mib:.0} MiB in {secs:.3} s = {:.0} MiB/s; {} MESSAGEDATA events; {} bytes out; VmHWM {} KiB",
        mib / secs,
        hooks.events,
        sink.bytes,
        vm_hwm_kib()
    );
    (mib / secs, hooks.events)
}

#[test]
#[ignore = "1 GiB; run in release with --ignored --nocapture"]
fn gigabyte_through_data_in_bounded_memory() {
    let mib: u64 = std::env::var("DATAPATH_BIG_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    let total = mib << 20;
    let header = b"From: a@example.org\r\nTo: b@example.org\r\nSubject: big\r\n\r\n".to_vec();

    // 8 KiB blocks, as smtp_set_message_fp hands them out.
    run(
        "prose, 8 KiB blocks",
        header.clone(),
        text_block(8 * 1024),
        total,
    );
    run(
        "base64, 8 KiB blocks",
        header.clone(),
        base64_block(8 * 1024),
        total,
    );
    // 1 MiB blocks: many lines per block, events queued.
    run(
        "prose, 1 MiB blocks",
        header.clone(),
        text_block(1 << 20),
        total / 4,
    );
    // One endless body line (bare LFs only): streamed, never accumulated.
    let mut lf = text_block(1 << 20);
    lf.retain(|&b| b != b'\r');
    run("LF-only body, 1 MiB blocks", header, lf.clone(), total / 4);
    // No CRLF at all: the whole message is one header unit (libESMTP would
    // buffer all of it); past the cap it streams.
    run("LF-only message, 1 MiB blocks", Vec::new(), lf, total / 4);

    let hwm = vm_hwm_kib();
    println!("peak RSS (VmHWM): {hwm} KiB");
    assert!(hwm > 0 && hwm < 32 * 1024, "VmHWM {hwm} KiB");
}
