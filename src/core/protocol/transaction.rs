//! ETRN and the mail transactions: RSET, XUSR, MAIL, RCPT, DATA and the
//! message content, with libESMTP's pipelining points (spec 7.2; MAIL and
//! the last QUIT are pipelined further, see docs/compat.md) and outcomes
//! (spec 9).

use std::time::{SystemTime, UNIX_EPOCH};

use super::bdat;
use super::engine::{Attempt, Engine, Expect, Stop};
use crate::core::commands::{self, MailParams};
use crate::core::error::Error;
use crate::core::events::{Event, SessionHooks};
use crate::core::extensions::ExtSet;
use crate::core::message::transfer::{self, TransferContext, TransferError};
use crate::core::model::{Mailbox, Message, BODY_NOTSET, BY_NOTSET, NOTIFY_NOTSET, RET_NOTSET};

/// Index of the first message at or after `from` that has a pending recipient.
fn next_pending(e: &Engine<'_>, from: usize) -> Option<usize> {
    (from..e.session.messages.len()).find(|&m| e.session.messages[m].has_incomplete_recipient())
}

/// Seconds since the epoch, for the header engine.
pub(crate) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Maps a failed transfer to how the session goes on.
pub(crate) fn transfer_stop(err: TransferError) -> Option<Stop> {
    match err {
        TransferError::Callback { errno } => Some(Stop::Abort(Error::Os(errno))),
        TransferError::Header(fault) => Some(Stop::Abort(Error::Os(fault.errno))),
        // Write errors are ignored like libESMTP does; they show up when
        // the reply is read. A stop asked for by the sink is handled by it.
        TransferError::Io(_) | TransferError::Stopped => None,
    }
}

/// ETRN, then every pending message, then QUIT.
pub(crate) fn run(e: &mut Engine<'_>, hooks: &mut dyn SessionHooks) -> Result<(), Stop> {
    if e.has(ExtSet::ETRN) {
        for (node, etrn) in e.session.etrn_nodes.iter().enumerate() {
            let command = commands::etrn(etrn.option, &etrn.domain).map_err(Stop::Abort)?;
            e.send(&command, Expect::Etrn(node), hooks);
            if !e.pipelining() {
                e.wait_all(hooks)?;
            }
        }
    }
    let mut current = next_pending(e, 0);
    let mut need_rset = false;
    while let Some(message) = current {
        if need_rset {
            e.send(commands::rset(), Expect::Rset, hooks);
            if !e.pipelining() {
                e.wait_all(hooks)?;
            }
        }
        let clean = transaction(e, hooks, message)?;
        if e.quit_queued {
            break;
        }
        need_rset = !clean;
        current = next_pending(e, message + 1);
    }
    if !e.quit_queued {
        e.send(commands::quit(), Expect::Quit, hooks);
    }
    e.wait_all(hooks)
}

fn mail_params<'m>(e: &Engine<'_>, msg: &'m Message, by_time: i64) -> MailParams<'m> {
    let dsn = e.has(ExtSet::DSN);
    MailParams {
        size: (e.has(ExtSet::SIZE) && msg.size_estimate > 0).then_some(msg.size_estimate),
        ret: (dsn && msg.dsn_ret != RET_NOTSET).then_some(msg.dsn_ret),
        envid: if dsn { msg.dsn_envid.as_deref() } else { None },
        body: (msg.body != BODY_NOTSET
            && (e.has(ExtSet::EIGHTBITMIME) || e.has(ExtSet::BINARYMIME)))
        .then_some(msg.body),
        by: match msg.deliver_by {
            Some(by) if e.has(ExtSet::DELIVERBY) && by.mode != BY_NOTSET => {
                Some((by_time, by.mode, by.trace))
            }
            _ => None,
        },
    }
}

/// The by-time to send, after SMTP_EV_DELIVERBY_EXPIRED (spec 12.5).
fn deliver_by_time(e: &Engine<'_>, hooks: &mut dyn SessionHooks, msg: &Message) -> i64 {
    let Some(by) = msg.deliver_by else { return 0 };
    if !e.has(ExtSet::DELIVERBY) || by.mode == BY_NOTSET {
        return by.time;
    }
    let minimum = e.ehlo.deliverby_min;
    if minimum > 0 && by.time < minimum {
        let mut adjust = 0;
        hooks.event(
            Event::DeliverByExpired {
                shortfall: minimum - by.time,
            },
            Some(&mut adjust),
        );
        if adjust > 0 {
            return minimum + i64::from(adjust);
        }
    }
    by.time
}

/// One transaction. `Ok(true)` when it ended cleanly (no RSET needed).
fn transaction(
    e: &mut Engine<'_>,
    hooks: &mut dyn SessionHooks,
    message: usize,
) -> Result<bool, Stop> {
    let session = e.session;
    let msg = &session.messages[message];
    if e.has(ExtSet::XUSR) {
        e.send(commands::xusr(), Expect::Xusr, hooks);
        e.wait_all(hooks)?;
    }
    let by_time = deliver_by_time(e, hooks, msg);
    let params = mail_params(e, msg, by_time);
    // One command buffer for the whole session: no allocation per command.
    let mut command = std::mem::take(&mut e.command_buf);
    command.clear();
    commands::mail_into(
        &mut command,
        msg.reverse_path.as_ref().map(Mailbox::as_bytes),
        &params,
    )
    .map_err(Stop::Abort)?;
    e.conn.set_timeout(session.timeouts.envelope);
    e.attempt = Attempt::default();
    e.send(&command, Expect::Mail(message), hooks);
    // With PIPELINING the RCPTs and DATA follow MAIL in the same write
    // (RFC 2920 3.1); libESMTP waits for the MAIL reply first. The bytes
    // are the same when MAIL is accepted; when it is refused, the replies
    // to the followers are dropped (Engine::discard_after_refused_mail)
    // and the session goes on as libESMTP's does. BDAT keeps libESMTP's
    // wait: a chunk's bytes are not sent behind an unanswered MAIL.
    if !e.pipelining() || e.has(ExtSet::CHUNKING) {
        e.wait_all(hooks)?;
    }
    if e.mail_refused() {
        // Given up for this session: no RSET, no MESSAGESENT (spec 9.1).
        e.command_buf = command;
        return Ok(true);
    }

    let dsn = e.has(ExtSet::DSN);
    let mut behind_mail = 0;
    // Recipients complete before this attempt are skipped. One that
    // completes during the loop (a 5xx) has already had its RCPT sent, so
    // walking the list directly sends exactly the pending ones.
    for (r, rcpt) in msg.recipients.iter().enumerate() {
        if rcpt.complete.get() {
            continue;
        }
        if !e.attempt.mail_answered && behind_mail == RCPTS_BEHIND_UNANSWERED_MAIL {
            // Bound what a refused MAIL wastes (and the errors a server
            // counts against the client): wait for its reply here.
            e.wait_all(hooks)?;
        }
        if e.mail_refused() {
            break;
        }
        let orcpt = rcpt.orcpt.as_deref().map(|(t, a)| (t.as_str(), a.as_str()));
        let notify = if dsn { rcpt.notify } else { NOTIFY_NOTSET };
        command.clear();
        commands::rcpt_into(&mut command, rcpt.mailbox.as_bytes(), notify, orcpt, dsn)
            .map_err(Stop::Abort)?;
        e.send(&command, Expect::Rcpt(message, r), hooks);
        behind_mail += 1;
        if !e.pipelining() {
            e.wait_all(hooks)?;
        } else if e.expect.len().is_multiple_of(32) {
            // A long pipeline: take in the replies that have arrived.
            e.process_available(hooks)?;
        }
    }
    e.command_buf = command;
    if !e.pipelining() || session.require_all_recipients || e.mail_refused() {
        e.wait_all(hooks)?;
        if e.mail_refused() {
            return Ok(true);
        }
        if session.require_all_recipients && e.attempt.failed > 0 {
            // Require-all abort (spec 9.2).
            msg.transfer_status.reset();
            return Ok(false);
        }
    }
    if e.has(ExtSet::CHUNKING) {
        return bdat::transfer(e, hooks, message);
    }
    data(e, hooks, message)
}

/// At most this many RCPTs are pipelined behind a MAIL whose reply has not
/// been read: fewer than the errors after which common servers slow down
/// or drop a client (Postfix: 10 and 20).
const RCPTS_BEHIND_UNANSWERED_MAIL: usize = 8;

/// DATA, the content and the final reply (spec 9.3, 9.4).
fn data(e: &mut Engine<'_>, hooks: &mut dyn SessionHooks, message: usize) -> Result<bool, Stop> {
    let session = e.session;
    e.send(commands::data(), Expect::Data(message), hooks);
    // The MAIL reply, if still outstanding, is waited for as libESMTP
    // waits for it: under the envelope timeout.
    e.wait_for_mail_reply(hooks)?;
    e.conn.set_timeout(session.timeouts.data);
    e.wait_all(hooks)?;
    if e.mail_refused() {
        if e.attempt.data_code / 100 == 3 {
            // A server that opened DATA without a transaction: close it
            // empty, and drop its reply too.
            e.send(b".\r\n", Expect::DataEnd(message), hooks);
            e.wait_all(hooks)?;
        }
        return Ok(true);
    }
    match e.attempt.data_code / 100 {
        3 => {}
        4 | 5 => {
            hooks.event(Event::MessageSent { message }, None);
            return Ok(false);
        }
        _ => {
            e.error = Some(Error::InvalidResponseStatus);
            hooks.event(Event::MessageSent { message }, None);
            return Err(Stop::Quit);
        }
    }
    if e.attempt.accepted == 0 {
        // Nobody to send to: the terminator alone, monitor still attached.
        e.conn.queue_command(b".\r\n", hooks);
    } else {
        e.conn.set_timeout(session.timeouts.transfer);
        e.conn.detach_monitor();
        let ctx = TransferContext {
            session,
            message,
            hostname: e.hostname,
            now: now(),
        };
        let result = transfer::send_data(&mut e.conn.content_writer(), hooks, &ctx);
        if let Err(err) = result {
            if let Some(stop) = transfer_stop(err) {
                return Err(stop);
            }
        }
        e.conn.set_timeout(session.timeouts.data2);
        // The end of the content stays buffered (hidden from the monitor)
        // so that a pipelined QUIT leaves in the same write.
        e.conn.attach_monitor();
    }
    e.send(&[], Expect::DataEnd(message), hooks);
    e.pipeline_quit_after(message, hooks);
    e.wait_before_quit(hooks)?;
    let class = e.attempt.final_code / 100;
    finish_message(e, hooks, message, class);
    Ok(class == 2)
}

/// Marks recipients complete by the final outcome and reports MESSAGESENT
/// (spec 9.4 steps 3–6, 12.6).
pub(crate) fn finish_message(
    e: &mut Engine<'_>,
    hooks: &mut dyn SessionHooks,
    message: usize,
    class: i32,
) {
    let msg = &e.session.messages[message];
    match class {
        2 => {
            for r in &msg.recipients {
                if !r.complete.get() && r.status.code() / 100 == 2 {
                    r.complete.set(true);
                }
            }
        }
        5 => {
            for r in &msg.recipients {
                r.complete.set(true);
            }
        }
        _ => {}
    }
    hooks.event(Event::MessageSent { message }, None);
}
