//! C ABI: the application's callbacks, and the bridge that lets the core's
//! protocol engine call them (`SessionHooks` over C function pointers).

use std::ffi::{c_char, c_int, c_long, c_void};

use super::handles::{smtp_message, smtp_recipient, smtp_session};
use crate::core::events::{Event, MessageBlock, MessageSource, MonitorKind, SessionHooks};

/// `smtp_eventcb_t`: `void (*)(smtp_session_t, int event_no, void *arg, ...)`.
pub type EventFn = unsafe extern "C" fn(*mut smtp_session, c_int, *mut c_void, ...);
/// `smtp_monitorcb_t`.
pub type MonitorFn = unsafe extern "C" fn(*const c_char, c_int, c_int, *mut c_void);
/// `smtp_messagecb_t`.
pub type MessageFn =
    unsafe extern "C" fn(*mut *mut c_void, *mut c_int, *mut c_void) -> *const c_char;

#[derive(Debug, Clone, Copy)]
pub struct EventCallback {
    pub func: EventFn,
    pub arg: *mut c_void,
}

#[derive(Debug, Clone, Copy)]
pub struct MonitorCallback {
    pub func: MonitorFn,
    pub arg: *mut c_void,
    pub headers: bool,
}

#[derive(Debug, Clone, Copy)]
pub struct MessageCallback {
    pub func: MessageFn,
    pub arg: *mut c_void,
}

fn set_c_errno(value: c_int) {
    // SAFETY: __errno_location returns this thread's errno slot.
    unsafe { *libc::__errno_location() = value };
}

fn c_errno() -> c_int {
    // SAFETY: as above.
    unsafe { *libc::__errno_location() }
}

/// Releases the message callback's context the way libESMTP does (libc
/// `free`), leaving the slot NULL.
pub fn free_message_ctx(session: &smtp_session) {
    let ctx = session.message_ctx.replace(std::ptr::null_mut());
    if !ctx.is_null() {
        // SAFETY: the message callback contract says *ctx is NULL or malloc'd.
        unsafe { libc::free(ctx) };
    }
}

/// `SessionHooks` over a session handle's C callbacks.
///
/// Holds a raw handle, not a reference: the callbacks may re-enter the API
/// with the same handle, which then creates its own short-lived references.
pub struct CHooks {
    session: *mut smtp_session,
}

impl CHooks {
    /// # Safety
    /// `session` is a valid handle that outlives the hooks.
    pub unsafe fn new(session: *mut smtp_session) -> CHooks {
        CHooks { session }
    }

    fn session(&self) -> &smtp_session {
        // SAFETY: valid for the hooks' life (constructor contract); only
        // shared references are ever made while a session runs.
        unsafe { &*self.session }
    }

    fn message_ptr(&self, message: usize) -> *mut smtp_message {
        self.session()
            .messages
            .get(message)
            .map_or(std::ptr::null_mut(), |m| {
                m as *const smtp_message as *mut smtp_message
            })
    }

    fn recipient_ptr(&self, message: usize, recipient: usize) -> *mut smtp_recipient {
        self.session()
            .messages
            .get(message)
            .and_then(|m| m.recipients.get(recipient))
            .map_or(std::ptr::null_mut(), |r| {
                r as *const smtp_recipient as *mut smtp_recipient
            })
    }

    /// Refreshes the C status mirrors an event is about to expose.
    fn sync_statuses(&self, event: &Event<'_>) {
        let session = self.session();
        if !session.statuses_handed_out.get() {
            return;
        }
        match *event {
            Event::MailStatus { message } | Event::MessageSent { message } => {
                if let Some(m) = session.messages.get(message) {
                    m.refresh_statuses();
                }
            }
            Event::RcptStatus { message, recipient } => {
                if let Some(r) = session
                    .messages
                    .get(message)
                    .and_then(|m| m.recipients.get(recipient))
                {
                    r.refresh_status();
                }
            }
            Event::EtrnStatus { node } => {
                if let Some(n) = session.etrn_nodes.get(node) {
                    n.refresh_status();
                }
            }
            _ => {}
        }
    }
}

impl SessionHooks for CHooks {
    fn event(&mut self, event: Event<'_>, out: Option<&mut i32>) {
        self.sync_statuses(&event);
        let Some(cb) = self.session().event_cb.get() else {
            return;
        };
        let (f, s, arg, n) = (cb.func, self.session, cb.arg, event.number());
        let out: *mut c_int = out.map_or(std::ptr::null_mut(), |o| o as *mut i32);
        let null: *mut c_void = std::ptr::null_mut();
        // SAFETY: `f` is the application's event callback, called with the
        // trailing arguments libESMTP documents for each event (api.md 7.9,
        // protocol.md 10.2), in C's promoted types. Pointers handed out
        // (handles, strings, `out`) stay valid for the duration of the call.
        unsafe {
            match event {
                Event::Connect
                | Event::Disconnect
                | Event::Extna8bitmime
                | Event::ExtnaBinarymime => f(s, n, arg),
                Event::MailStatus { message } => {
                    let m = self.message_ptr(message);
                    let rp = self
                        .session()
                        .core
                        .messages
                        .get(message)
                        .and_then(|m| m.reverse_path.as_ref())
                        .map_or(std::ptr::null(), |c| {
                            c.as_bytes_with_nul().as_ptr().cast::<c_char>()
                        });
                    f(s, n, arg, rp, m)
                }
                Event::RcptStatus { message, recipient } => {
                    let r = self.recipient_ptr(message, recipient);
                    let mailbox = r.as_ref().map_or(std::ptr::null(), |r| r.mailbox_ptr());
                    f(s, n, arg, mailbox, r)
                }
                Event::MessageData { message, len } => {
                    let len = c_int::try_from(len).unwrap_or(c_int::MAX);
                    f(s, n, arg, self.message_ptr(message), len)
                }
                Event::MessageSent { message } => f(s, n, arg, self.message_ptr(message)),
                Event::SyntaxWarning
                | Event::ExtnaDsn
                | Event::ExtnaEtrn
                | Event::ExtnaChunking
                | Event::NoPeerCertificate
                | Event::NoClientCertificate => f(s, n, arg, out),
                Event::ExtnaStarttls | Event::UnusableClientCertificate | Event::UnusableCaList => {
                    f(s, n, arg, null)
                }
                Event::EtrnStatus { node } => {
                    let (option, domain) = self
                        .session()
                        .etrn_nodes
                        .get(node)
                        .map_or((0, std::ptr::null()), |n| {
                            (n.core().option, n.domain_c.as_ptr())
                        });
                    f(s, n, arg, option as c_int, domain)
                }
                Event::DeliverByExpired { shortfall } => f(s, n, arg, shortfall as c_long, out),
                Event::WeakCipher { bits } => f(s, n, arg, bits as c_int, out),
                Event::StarttlsOk { ssl, cipher, bits } => {
                    let cipher = std::ffi::CString::new(cipher).unwrap_or_default();
                    f(
                        s,
                        n,
                        arg,
                        foreign_types_shared::ForeignTypeRef::as_ptr(ssl),
                        cipher.as_ptr(),
                        bits as c_int,
                    )
                }
                Event::InvalidPeerCertificate { verify_result, ssl } => f(
                    s,
                    n,
                    arg,
                    verify_result as c_long,
                    out,
                    foreign_types_shared::ForeignTypeRef::as_ptr(ssl),
                ),
                Event::WrongPeerCertificate { name_in_cert, ssl } => {
                    let name = std::ffi::CString::new(name_in_cert).unwrap_or_default();
                    f(
                        s,
                        n,
                        arg,
                        out,
                        name.as_ptr(),
                        foreign_types_shared::ForeignTypeRef::as_ptr(ssl),
                    )
                }
            }
        }
    }

    fn has_event_callback(&self) -> bool {
        self.session().event_cb.get().is_some()
    }

    fn monitor(&mut self, data: &[u8], kind: MonitorKind) {
        let Some(cb) = self.session().monitor_cb.get() else {
            return;
        };
        if kind == MonitorKind::Headers && !cb.headers {
            return;
        }
        for piece in data.chunks(c_int::MAX as usize) {
            // SAFETY: the application's monitor callback; `piece` is valid for
            // the call and its length fits in an int.
            unsafe {
                (cb.func)(
                    piece.as_ptr().cast(),
                    piece.len() as c_int,
                    kind as c_int,
                    cb.arg,
                )
            };
        }
    }

    fn has_monitor(&self) -> bool {
        self.session().monitor_cb.get().is_some()
    }

    fn message_rewind(&mut self, message: usize) {
        message_rewind(self.session(), message);
    }

    fn message_read(&mut self, message: usize) -> MessageBlock<'_> {
        message_read(self.session(), message)
    }

    fn detached_source(&mut self) -> Option<Box<dyn MessageSource>> {
        Some(Box::new(CMessageSource {
            session: self.session,
        }))
    }
}

/// The message callback apart from the other hooks (BDAT's data path).
/// Holds the same raw handle as [`CHooks`], under the same contract: it is
/// made and dropped while the session runs.
struct CMessageSource {
    session: *mut smtp_session,
}

impl MessageSource for CMessageSource {
    fn message_rewind(&mut self, message: usize) {
        // SAFETY: the handle outlives this source (see the type's contract);
        // only shared references are made while a session runs.
        message_rewind(unsafe { &*self.session }, message);
    }

    fn message_read(&mut self, message: usize) -> MessageBlock<'_> {
        // SAFETY: as above.
        message_read(unsafe { &*self.session }, message)
    }
}

/// The rewind call of `message`'s callback, after releasing the context.
fn message_rewind(session: &smtp_session, message: usize) {
    free_message_ctx(session);
    let Some(cb) = session
        .messages
        .get(message)
        .and_then(|m| m.message_cb.get())
    else {
        return;
    };
    let ctx = session.message_ctx.as_ptr();
    // SAFETY: the application's message callback, rewind form (len NULL);
    // `ctx` is the session's context slot, valid for the call.
    unsafe { (cb.func)(ctx, std::ptr::null_mut(), cb.arg) };
}

/// The next block from `message`'s callback. The block borrows the caller
/// (hooks or source) mutably: the callback's buffer stays valid until its
/// next call, which needs that borrow again.
fn message_read<'a>(session: &smtp_session, message: usize) -> MessageBlock<'a> {
    let Some(cb) = session
        .messages
        .get(message)
        .and_then(|m| m.message_cb.get())
    else {
        return MessageBlock {
            data: &[],
            errno: 0,
        };
    };
    let ctx = session.message_ctx.as_ptr();
    let mut len: c_int = 0;
    set_c_errno(0);
    // SAFETY: the application's message callback, read form.
    let ptr = unsafe { (cb.func)(ctx, &mut len, cb.arg) };
    let errno = c_errno();
    let data: &[u8] = if len <= 0 || ptr.is_null() {
        &[]
    } else {
        // SAFETY: the callback contract: `ptr` points to `len` bytes that
        // stay valid until the next call, which needs the caller's mutable
        // borrow (of the hooks or of the source) again.
        unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len as usize) }
    };
    MessageBlock { data, errno }
}
