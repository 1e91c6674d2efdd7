//! The BDAT path (RFC 3030, spec 12.6): a [`ChunkSink`] that frames each
//! chunk as `BDAT <n>` / `BDAT <n> LAST`, pipelines them when allowed, and
//! processes their replies in order.
//!
//! Deviations from libESMTP, both to avoid losing mail:
//! * Q-BDATFAIL: once a chunk reply is not 2xx no further chunk is queued
//!   and the message fails, whatever the later replies say; the transfer
//!   status still holds the last reply read;
//! * a LAST chunk whose reply never comes (timeout, dropped connection) is
//!   not delivered: no MESSAGESENT, recipients stay pending.
//!
//! The data path needs `&mut dyn SessionHooks` while the sink processes
//! replies (which raise events): both reach the application's hooks
//! through one `RefCell`, never at the same time. Message content comes
//! from the hooks' detached source when they have one, so that a block can
//! be sent while replies are processed; otherwise it is copied.

use std::cell::RefCell;

use super::engine::{Engine, Expect, Stop};
use super::transaction::{finish_message, now, transfer_stop};
use crate::core::commands;
use crate::core::error::Error;
use crate::core::events::{Event, MessageBlock, MessageSource, MonitorKind, SessionHooks};
use crate::core::extensions::ExtSet;
use crate::core::message::transfer::{self, ChunkSink, TransferContext, TransferError};
use crate::core::transport::sio::CONTENT_BLOCK;

type SharedHooks<'a, 'h> = &'a RefCell<&'h mut dyn SessionHooks>;

/// Hooks handed to the data path, forwarding to the shared ones.
struct HooksProxy<'a, 'h> {
    hooks: SharedHooks<'a, 'h>,
    /// The message content read apart from the hooks, when they give such
    /// a source: its blocks go to the connection as they are.
    source: Option<Box<dyn MessageSource>>,
    /// Otherwise a copy of the last message block (the original borrow
    /// cannot outlive the `RefCell` guard).
    block: Vec<u8>,
}

impl SessionHooks for HooksProxy<'_, '_> {
    fn event(&mut self, event: Event<'_>, out: Option<&mut i32>) {
        if let Ok(mut hooks) = self.hooks.try_borrow_mut() {
            hooks.event(event, out);
        }
    }

    fn has_event_callback(&self) -> bool {
        self.hooks
            .try_borrow()
            .is_ok_and(|h| h.has_event_callback())
    }

    fn monitor(&mut self, data: &[u8], kind: MonitorKind) {
        if let Ok(mut hooks) = self.hooks.try_borrow_mut() {
            hooks.monitor(data, kind);
        }
    }

    fn has_monitor(&self) -> bool {
        self.hooks.try_borrow().is_ok_and(|h| h.has_monitor())
    }

    fn message_rewind(&mut self, message: usize) {
        if let Some(source) = &mut self.source {
            source.message_rewind(message);
        } else if let Ok(mut hooks) = self.hooks.try_borrow_mut() {
            hooks.message_rewind(message);
        }
    }

    fn message_read(&mut self, message: usize) -> MessageBlock<'_> {
        if let Some(source) = &mut self.source {
            return source.message_read(message);
        }
        let errno = match self.hooks.try_borrow_mut() {
            Ok(mut hooks) => {
                let block = hooks.message_read(message);
                self.block.clear();
                self.block.extend_from_slice(block.data);
                block.errno
            }
            Err(_) => {
                self.block.clear();
                libc::EIO
            }
        };
        MessageBlock {
            data: &self.block,
            errno,
        }
    }
}

/// Frames chunks and deals with their replies.
struct BdatSink<'e, 's, 'a, 'h> {
    engine: &'e mut Engine<'s>,
    hooks: SharedHooks<'a, 'h>,
    message: usize,
    /// Set when reading a reply stopped the session.
    stop: Option<Stop>,
    last_sent: bool,
}

impl BdatSink<'_, '_, '_, '_> {
    fn with_hooks(
        &mut self,
        f: impl FnOnce(&mut Engine<'_>, &mut dyn SessionHooks) -> Result<(), Stop>,
    ) {
        let result = match self.hooks.try_borrow_mut() {
            Ok(mut hooks) => f(self.engine, &mut **hooks),
            Err(_) => Err(Stop::Abort(Error::ClientError)),
        };
        if let Err(stop) = result {
            self.stop = Some(stop);
        }
    }

    fn failed(&self) -> bool {
        self.stop.is_some() || self.engine.attempt.bdat_failure.is_some()
    }
}

impl ChunkSink for BdatSink<'_, '_, '_, '_> {
    fn chunk(&mut self, data: &[u8], last: bool) -> Result<(), TransferError> {
        if self.failed() {
            return Err(TransferError::Stopped);
        }
        let message = self.message;
        let xexch50 = last && data.is_empty() && self.engine.has(ExtSet::XEXCH50);
        let pipelining = self.engine.pipelining();
        if last {
            let data2 = self.engine.session.timeouts.data2;
            self.engine.conn.set_timeout(data2);
        }
        self.with_hooks(|e, hooks| {
            if xexch50 {
                e.send(b"BDAT 2 LAST\r\n", Expect::Bdat(message), hooks);
                e.conn.queue_content(b"\r\n", hooks);
            } else {
                e.send(
                    &commands::bdat(data.len(), last),
                    Expect::Bdat(message),
                    hooks,
                );
                e.conn.queue_chunk(data, hooks);
            }
            if last {
                e.pipeline_quit_after(message, hooks);
                e.wait_before_quit(hooks)
            } else if !pipelining {
                e.wait_all(hooks)
            } else if e.conn.pending_output() == 0 || e.expect.len() >= 64 {
                // The buffer went out: take in replies that have arrived.
                e.process_available(hooks)
            } else {
                Ok(())
            }
        });
        if last {
            self.last_sent = true;
        }
        if self.failed() {
            return Err(TransferError::Stopped);
        }
        Ok(())
    }
}

/// Sends one message with BDAT and decides its outcome. `Ok(true)` when
/// the transaction ended cleanly.
pub(crate) fn transfer(
    e: &mut Engine<'_>,
    hooks: &mut dyn SessionHooks,
    message: usize,
) -> Result<bool, Stop> {
    let session = e.session;
    e.conn.set_timeout(session.timeouts.transfer);
    // Quirk Q-BDATMON kept: not re-attached for the rest of the connection.
    e.conn.detach_monitor();
    e.attempt.bdat_failure = None;
    let ctx = TransferContext {
        session,
        message,
        hostname: e.hostname,
        now: now(),
    };
    let source = hooks.detached_source();
    let shared = RefCell::new(hooks);
    let (result, stop, last_sent) = {
        let mut sink = BdatSink {
            engine: e,
            hooks: &shared,
            message,
            stop: None,
            last_sent: false,
        };
        let mut proxy = HooksProxy {
            hooks: &shared,
            block: if source.is_some() {
                Vec::new()
            } else {
                Vec::with_capacity(CONTENT_BLOCK)
            },
            source,
        };
        sink.engine.conn.set_bulk(true);
        let result = transfer::send_bdat(&mut proxy, &ctx, &mut sink);
        sink.engine.conn.set_bulk(false);
        (result, sink.stop, sink.last_sent)
    };
    let hooks = shared.into_inner();
    if let Err(err) = result {
        if let Some(stop) = transfer_stop(err) {
            return Err(stop);
        }
    }
    if let Some(stop) = stop {
        return Err(stop);
    }
    // Replies to chunks queued before a failure was seen.
    e.wait_before_quit(hooks)?;
    match e.attempt.bdat_failure {
        Some(code) if code / 100 == 4 || code / 100 == 5 => {
            finish_message(e, hooks, message, code / 100);
            Ok(false)
        }
        Some(_) => {
            e.error = Some(Error::InvalidResponseStatus);
            finish_message(e, hooks, message, 0);
            Err(Stop::Quit)
        }
        None if last_sent => {
            finish_message(e, hooks, message, 2);
            Ok(true)
        }
        None => {
            // The data path ended without its last chunk (write failure).
            e.error = Some(Error::DroppedConnection);
            Err(Stop::Quit)
        }
    }
}
