//! The engine's state for one connection: the connection, what the current
//! EHLO said, the replies still outstanding (first in, first out), and how
//! each reply is recorded and reported (spec 7.4, 8.5, 9).

use std::collections::VecDeque;

use crate::core::error::Error;
use crate::core::events::{Event, SessionHooks};
use crate::core::extensions::{EhloInfo, ExtSet};
use crate::core::model::Session;
use crate::core::reply::{self, LineSource, ReadFailure, ReplyFailure, ReplyOptions};
use crate::core::spare;
use crate::core::status::{Status, StatusCell};
use crate::core::transport::sio::Connection;

/// Why the normal sequence stopped, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stop {
    /// QUIT (or take the next outstanding reply as its reply), then end.
    Quit,
    /// QUIT, then try the next address.
    QuitThenNextAddress,
    /// Close without QUIT, then try the next address.
    CloseThenNextAddress,
    /// Close at once (a timeout waiting for a reply to start).
    EndNow,
    /// Drop the connection at once, with this error (client errors).
    Abort(Error),
}

/// A command whose reply has not been processed yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expect {
    Etrn(usize),
    Rset,
    Xusr,
    Mail(usize),
    Rcpt(usize, usize),
    Data(usize),
    DataEnd(usize),
    Bdat(usize),
    Quit,
}

/// Initial capacity of [`Engine::command_buf`].
const COMMAND_BUF_START: usize = 256;

/// A command of the transaction that MAIL opened.
fn is_mail_follower(expect: Expect) -> bool {
    matches!(
        expect,
        Expect::Rcpt(..) | Expect::Data(_) | Expect::DataEnd(_) | Expect::Bdat(_)
    )
}

/// What one message's current attempt has gathered so far.
#[derive(Debug, Default, Clone)]
pub(crate) struct Attempt {
    /// The MAIL reply has been processed (RCPTs and DATA may be pipelined
    /// behind it before it arrives).
    pub mail_answered: bool,
    pub mail_code: i32,
    pub accepted: usize,
    pub failed: usize,
    pub data_code: i32,
    pub final_code: i32,
    /// Code of the first non-2xx BDAT reply.
    pub bdat_failure: Option<i32>,
}

/// Per-connection engine state.
pub(crate) struct Engine<'s> {
    pub session: &'s Session,
    pub hostname: &'s str,
    pub conn: Connection,
    pub ehlo: EhloInfo,
    pub expect: VecDeque<Expect>,
    pub attempt: Attempt,
    pub tls_active: bool,
    pub authenticated: bool,
    /// What smtp_errno becomes (the last failure recorded in the run).
    pub error: Option<Error>,
    /// Scratch space for composing MAIL and RCPT commands.
    pub command_buf: Vec<u8>,
    /// QUIT already went out with the last message's content.
    pub quit_queued: bool,
}

/// Lines from the connection, SYNTAXWARNING to the application.
struct ReplySource<'a> {
    conn: &'a mut Connection,
    hooks: &'a mut dyn SessionHooks,
}

impl LineSource for ReplySource<'_> {
    fn next_line(&mut self, max: usize) -> Result<&[u8], ReadFailure> {
        self.conn.read_line_ref(max, self.hooks)
    }

    fn syntax_warning(&mut self) -> bool {
        let mut quit = 0;
        self.hooks.event(Event::SyntaxWarning, Some(&mut quit));
        quit != 0
    }
}

/// An engine's queues, kept from one session to the next on this thread
/// (as the connection keeps its buffers), so that a session of one small
/// message allocates neither.
struct Queues {
    expect: VecDeque<Expect>,
    command_buf: Vec<u8>,
}

/// Largest queues kept for reuse.
const SPARE_EXPECT_MAX: usize = 64;
const SPARE_COMMAND_MAX: usize = 4 * COMMAND_BUF_START;

thread_local! {
    static SPARE_QUEUES: std::cell::Cell<Option<Queues>> = const { std::cell::Cell::new(None) };
}

fn take_spare_queues() -> Queues {
    match spare::take(&SPARE_QUEUES) {
        Some(mut queues) => {
            queues.expect.clear();
            queues.command_buf.clear();
            queues
        }
        None => Queues {
            expect: VecDeque::new(),
            // Room for a typical MAIL or RCPT: no growth step per session.
            command_buf: Vec::with_capacity(COMMAND_BUF_START),
        },
    }
}

impl Drop for Engine<'_> {
    fn drop(&mut self) {
        if self.expect.capacity() > SPARE_EXPECT_MAX
            || self.command_buf.capacity() > SPARE_COMMAND_MAX
        {
            return;
        }
        let queues = Queues {
            expect: std::mem::take(&mut self.expect),
            command_buf: std::mem::take(&mut self.command_buf),
        };
        spare::keep(&SPARE_QUEUES, queues);
    }
}

impl<'s> Engine<'s> {
    pub fn new(session: &'s Session, hostname: &'s str, conn: Connection) -> Engine<'s> {
        let queues = take_spare_queues();
        Engine {
            session,
            hostname,
            conn,
            ehlo: EhloInfo::default(),
            expect: queues.expect,
            attempt: Attempt::default(),
            tls_active: false,
            authenticated: false,
            error: None,
            command_buf: queues.command_buf,
            quit_queued: false,
        }
    }

    pub fn has(&self, ext: ExtSet) -> bool {
        self.ehlo.has(ext)
    }

    pub fn pipelining(&self) -> bool {
        self.has(ExtSet::PIPELINING)
    }

    /// The current attempt's MAIL was answered with anything but 2xx.
    pub fn mail_refused(&self) -> bool {
        self.attempt.mail_answered && self.attempt.mail_code / 100 != 2
    }

    /// Reads one reply. `ehlo` receives EHLO continuation lines (and turns
    /// enhanced codes off for that reply, as the extension set was cleared).
    pub fn read_reply(
        &mut self,
        hooks: &mut dyn SessionHooks,
        ehlo: Option<&mut EhloInfo>,
    ) -> Result<Status, ReplyFailure> {
        let options = ReplyOptions {
            enhanced: ehlo.is_none() && self.has(ExtSet::ENHANCEDSTATUSCODES),
            ehlo: ehlo.is_some(),
        };
        let mut source = ReplySource {
            conn: &mut self.conn,
            hooks,
        };
        let read = match ehlo {
            Some(info) => {
                reply::read_reply(&mut source, options, &mut |line| info.parse_line(line))
            }
            None => reply::read_reply(&mut source, options, &mut |_| {}),
        };
        // Replies come in the order of the commands: with none outstanding
        // behind this one, it answers the last command written.
        if read.is_ok() && self.expect.is_empty() {
            self.conn.replies_caught_up();
        }
        read
    }

    /// Reads a reply into `slot` (cleared first); a failure records the
    /// error and says how the session goes on.
    pub fn read_into(
        &mut self,
        hooks: &mut dyn SessionHooks,
        slot: Option<&StatusCell>,
    ) -> Result<Status, Stop> {
        let status = self.read_status(hooks, slot)?;
        if let Some(slot) = slot {
            slot.set(status.clone());
        }
        Ok(status)
    }

    /// [`Engine::read_into`] for callers that only need the code: the
    /// status moves into `slot` without a copy.
    pub fn read_code_into(
        &mut self,
        hooks: &mut dyn SessionHooks,
        slot: Option<&StatusCell>,
    ) -> Result<i32, Stop> {
        let status = self.read_status(hooks, slot)?;
        let code = status.code;
        if let Some(slot) = slot {
            slot.set(status);
        }
        Ok(code)
    }

    /// Clears `slot` and reads a reply; on failure `slot` keeps what was
    /// parsed and the error is recorded.
    fn read_status(
        &mut self,
        hooks: &mut dyn SessionHooks,
        slot: Option<&StatusCell>,
    ) -> Result<Status, Stop> {
        if let Some(slot) = slot {
            slot.reset();
        }
        match self.read_reply(hooks, None) {
            Ok(status) => Ok(status),
            Err(failure) => {
                if let Some(slot) = slot {
                    slot.set(failure.partial);
                }
                self.error = Some(failure.error);
                Err(if failure.timeout_at_start {
                    Stop::EndNow
                } else {
                    Stop::Quit
                })
            }
        }
    }

    /// Queues a command whose reply will be processed in order.
    pub fn send(&mut self, command: &[u8], expect: Expect, hooks: &mut dyn SessionHooks) {
        self.conn.queue_command(command, hooks);
        self.expect.push_back(expect);
    }

    /// Flushes and processes every outstanding reply.
    pub fn wait_all(&mut self, hooks: &mut dyn SessionHooks) -> Result<(), Stop> {
        self.wait_until(hooks, |_| false)
    }

    /// Flushes and processes the outstanding replies up to and including
    /// the current attempt's MAIL reply.
    pub fn wait_for_mail_reply(&mut self, hooks: &mut dyn SessionHooks) -> Result<(), Stop> {
        if self.attempt.mail_answered {
            return Ok(());
        }
        self.wait_until(hooks, |e| e.attempt.mail_answered)
    }

    /// Flushes, then processes outstanding replies in order until `done`
    /// holds or none is left.
    fn wait_until(
        &mut self,
        hooks: &mut dyn SessionHooks,
        done: impl Fn(&Engine<'_>) -> bool,
    ) -> Result<(), Stop> {
        self.conn.flush(hooks);
        while !done(self) {
            let Some(expect) = self.expect.pop_front() else {
                break;
            };
            self.process(expect, hooks)?;
        }
        Ok(())
    }

    /// Queues QUIT behind the last message's content when the server
    /// pipelines (RFC 2920 lets content open a group and QUIT close it).
    /// libESMTP waits for the final reply first, but whatever that reply
    /// is, its next command is QUIT: the bytes on the wire are the same and
    /// the session saves a round trip.
    pub fn pipeline_quit_after(&mut self, message: usize, hooks: &mut dyn SessionHooks) {
        let messages = &self.session.messages;
        let last = !(message + 1..messages.len()).any(|m| messages[m].has_incomplete_recipient());
        if last && self.pipelining() && !self.quit_queued {
            self.send(crate::core::commands::quit(), Expect::Quit, hooks);
            self.quit_queued = true;
        }
    }

    /// Flushes and processes every outstanding reply up to a pipelined
    /// QUIT, whose reply is left for after MESSAGESENT (events keep the
    /// order of the commands).
    pub fn wait_before_quit(&mut self, hooks: &mut dyn SessionHooks) -> Result<(), Stop> {
        self.wait_until(hooks, |e| e.expect.front() == Some(&Expect::Quit))
    }

    /// Processes the replies that have already arrived, without waiting
    /// (spec 7.3); used inside long pipelines.
    pub fn process_available(&mut self, hooks: &mut dyn SessionHooks) -> Result<(), Stop> {
        self.conn.drain_available(hooks);
        while !self.expect.is_empty() && self.conn.has_complete_reply() {
            if let Some(expect) = self.expect.pop_front() {
                self.process(expect, hooks)?;
            }
        }
        Ok(())
    }

    fn slot(&self, expect: Expect) -> Option<&'s StatusCell> {
        let session = self.session;
        match expect {
            Expect::Etrn(n) => session.etrn_nodes.get(n).map(|n| &n.status),
            Expect::Mail(m) => session.messages.get(m).map(|m| &m.reverse_path_status),
            Expect::Rcpt(m, r) => session
                .messages
                .get(m)
                .and_then(|m| m.recipients.get(r))
                .map(|r| &r.status),
            Expect::Data(m) | Expect::DataEnd(m) | Expect::Bdat(m) => {
                session.messages.get(m).map(|m| &m.transfer_status)
            }
            Expect::Rset | Expect::Xusr | Expect::Quit => None,
        }
    }

    /// Reads and handles the reply to `expect` (spec 9).
    fn process(&mut self, expect: Expect, hooks: &mut dyn SessionHooks) -> Result<(), Stop> {
        if expect == Expect::Quit {
            // The session ends whatever the QUIT reply is.
            if let Err(failure) = self.read_reply(hooks, None) {
                self.error = Some(failure.error);
            }
            self.expect.clear();
            return Ok(());
        }
        if expect == Expect::Rset {
            // libESMTP reads and discards the RSET reply whatever it is,
            // even an unreadable one (protocol.md 9.6; observed: garbage to
            // RSET, smtp_errno 4, the next message is still sent). Only a
            // timeout at its start or a lost connection end the session.
            if let Err(failure) = self.read_reply(hooks, None) {
                self.error = Some(failure.error.clone());
                if failure.timeout_at_start {
                    return Err(Stop::EndNow);
                }
                if matches!(failure.error, Error::DroppedConnection) {
                    return Err(Stop::Quit);
                }
            }
            return Ok(());
        }
        if self.mail_refused() && is_mail_follower(expect) {
            return self.discard_after_refused_mail(expect, hooks);
        }
        let code = match self.read_code_into(hooks, self.slot(expect)) {
            Ok(code) => code,
            Err(stop) => {
                if let Expect::Mail(_) = expect {
                    // libESMTP had nothing behind MAIL, so it writes QUIT.
                    self.forget_mail_followers();
                }
                // libESMTP reports an unreadable reply to BDAT as an
                // impossible status, not a syntax error (observed: 6, not 4).
                if matches!(expect, Expect::Bdat(_))
                    && self.error == Some(Error::InvalidResponseSyntax)
                {
                    self.error = Some(Error::InvalidResponseStatus);
                }
                return Err(stop);
            }
        };
        let class = code / 100;
        match expect {
            Expect::Etrn(node) => hooks.event(Event::EtrnStatus { node }, None),
            Expect::Rset | Expect::Xusr | Expect::Quit => {}
            Expect::Mail(message) => {
                self.attempt.mail_answered = true;
                self.attempt.mail_code = code;
                if class == 2 {
                    self.attempt.accepted = 0;
                    self.attempt.failed = 0;
                }
                hooks.event(Event::MailStatus { message }, None);
            }
            Expect::Rcpt(message, recipient) => {
                if class == 2 {
                    self.attempt.accepted += 1;
                } else {
                    self.attempt.failed += 1;
                    if class == 5 {
                        if let Some(r) = self.recipient(message, recipient) {
                            r.complete.set(true);
                        }
                    }
                }
                hooks.event(Event::RcptStatus { message, recipient }, None);
            }
            Expect::Data(_) => self.attempt.data_code = code,
            Expect::DataEnd(_) => self.attempt.final_code = code,
            Expect::Bdat(_) => {
                if class != 2 && self.attempt.bdat_failure.is_none() {
                    self.attempt.bdat_failure = Some(code);
                }
                self.attempt.final_code = code;
            }
        }
        Ok(())
    }

    /// The reply to a command pipelined behind a MAIL that was refused.
    /// libESMTP never sends such a command (it waits for the MAIL reply),
    /// so the reply is read and dropped: no event, no status. A failure
    /// to read it ends the session as the next MAIL's failure would have
    /// done there: the other followers are forgotten, so QUIT is written.
    fn discard_after_refused_mail(
        &mut self,
        expect: Expect,
        hooks: &mut dyn SessionHooks,
    ) -> Result<(), Stop> {
        match self.read_reply(hooks, None) {
            Ok(status) => {
                if let Expect::Data(_) = expect {
                    self.attempt.data_code = status.code;
                }
                Ok(())
            }
            Err(failure) => {
                self.error = Some(failure.error);
                self.forget_mail_followers();
                Err(if failure.timeout_at_start {
                    Stop::EndNow
                } else {
                    Stop::Quit
                })
            }
        }
    }

    /// Drops the outstanding replies to commands pipelined behind MAIL.
    fn forget_mail_followers(&mut self) {
        self.expect.retain(|x| !is_mail_follower(*x));
    }

    fn recipient(
        &self,
        message: usize,
        recipient: usize,
    ) -> Option<&'s crate::core::model::Recipient> {
        self.session
            .messages
            .get(message)
            .and_then(|m| m.recipients.get(recipient))
    }

    /// Ends the session politely (spec 9.8): with replies still outstanding
    /// the next one read is taken as the QUIT reply and QUIT is not sent.
    pub fn quit(&mut self, hooks: &mut dyn SessionHooks) {
        if self.expect.is_empty() {
            self.conn
                .queue_command(crate::core::commands::quit(), hooks);
        }
        self.conn.flush(hooks);
        if let Err(failure) = self.read_reply(hooks, None) {
            self.error = Some(failure.error);
        }
        self.expect.clear();
    }
}
