//! C ABI: the opaque handle types and the only ways a handle pointer
//! becomes a Rust reference.
//!
//! A session owns its messages (and they their recipients) in stable lists
//! ([`StableVec`]), so a handle's address never changes while the session
//! lives. Settings live in the core model inside the session; what only C
//! needs (application data, callbacks, C string copies, status mirrors)
//! lives in the handles.
//!
//! While `smtp_start_session` runs, the engine holds `&Session`, and the
//! application's callbacks may call back into the API. Read-only getters and
//! application data (cells) are fine then; every function that would change
//! a setting gets `None` from the `*_core_mut` accessors and fails with
//! SMTP_ERR_INVAL instead of aliasing the engine's borrow.

use std::cell::Cell;
use std::ffi::{c_char, c_int, c_void, CString};

use super::appdata::AppData;
use super::callbacks::{EventCallback, MessageCallback, MonitorCallback};
use super::status::StatusMirror;
use crate::core::model;
use crate::core::stable_vec::StableVec;

/// `struct smtp_session`.
///
/// Children live in [`StableVec`]s: a handle given to C must keep its
/// address when more are added.
pub struct smtp_session {
    pub(crate) core: model::Session,
    pub(crate) running: Cell<bool>,
    pub(crate) app: AppData,
    pub(crate) messages: StableVec<smtp_message>,
    pub(crate) etrn_nodes: StableVec<smtp_etrn_node>,
    pub(crate) event_cb: Cell<Option<EventCallback>>,
    pub(crate) monitor_cb: Cell<Option<MonitorCallback>>,
    /// C copy of what `smtp_get_server_name` returns: made when first
    /// asked for (most applications never ask); unset, it is the host part
    /// of the server.
    pub(crate) server_name_c: std::cell::OnceCell<Option<CString>>,
    /// The message callback's `*ctx` slot, released with libc `free()`.
    pub(crate) message_ctx: Cell<*mut c_void>,
    /// Some status pointer of this session was handed to the application:
    /// until then no mirror can be seen, so none is refreshed (a session of
    /// 100,000 recipients would otherwise look each one up per reply).
    pub(crate) statuses_handed_out: Cell<bool>,
    /// `auth_context_t` set by `smtp_auth_set_context` (not owned).
    #[allow(dead_code)]
    pub(crate) auth_context: Cell<*mut c_void>,
}

/// `struct smtp_message`.
pub struct smtp_message {
    pub(crate) session: *mut smtp_session,
    pub(crate) index: usize,
    pub(crate) app: AppData,
    pub(crate) recipients: StableVec<smtp_recipient>,
    pub(crate) message_cb: Cell<Option<MessageCallback>>,
    pub(crate) reverse_path_status: StatusMirror,
    pub(crate) transfer_status: StatusMirror,
}

/// `struct smtp_recipient`.
pub struct smtp_recipient {
    pub(crate) message: *mut smtp_message,
    pub(crate) index: usize,
    pub(crate) app: AppData,
    pub(crate) status: StatusMirror,
}

/// `struct smtp_etrn_node`.
pub struct smtp_etrn_node {
    pub(crate) session: *mut smtp_session,
    pub(crate) index: usize,
    pub(crate) app: AppData,
    pub(crate) domain_c: CString,
    pub(crate) status: StatusMirror,
}

impl smtp_session {
    pub(crate) fn new() -> smtp_session {
        smtp_session {
            core: model::Session::default(),
            running: Cell::new(false),
            app: AppData::default(),
            messages: StableVec::default(),
            etrn_nodes: StableVec::default(),
            event_cb: Cell::new(None),
            monitor_cb: Cell::new(None),
            server_name_c: std::cell::OnceCell::new(),
            statuses_handed_out: Cell::new(false),
            message_ctx: Cell::new(std::ptr::null_mut()),
            auth_context: Cell::new(std::ptr::null_mut()),
        }
    }
}

impl smtp_message {
    /// The session this message belongs to.
    pub(crate) fn session(&self) -> &smtp_session {
        // SAFETY: a message is created by its session with a pointer to the
        // session's box and is destroyed with it, so the pointer is valid
        // for as long as the message is.
        unsafe { &*self.session }
    }

    pub(crate) fn core(&self) -> &model::Message {
        &self.session().core.messages[self.index]
    }
}

impl smtp_recipient {
    pub(crate) fn message(&self) -> &smtp_message {
        // SAFETY: recipients are owned by their message (in a stable list), which
        // outlives them; see `smtp_message::session`.
        unsafe { &*self.message }
    }

    pub(crate) fn core(&self) -> &model::Recipient {
        &self.message().core().recipients[self.index]
    }

    /// The mailbox as a C string, owned by the core model (stored once,
    /// NUL-terminated; its heap buffer never moves while the recipient lives).
    pub(crate) fn mailbox_ptr(&self) -> *const c_char {
        self.core()
            .mailbox
            .as_bytes_with_nul()
            .as_ptr()
            .cast::<c_char>()
    }
}

impl smtp_etrn_node {
    pub(crate) fn session(&self) -> &smtp_session {
        // SAFETY: as for `smtp_message::session`.
        unsafe { &*self.session }
    }

    pub(crate) fn core(&self) -> &model::EtrnNode {
        &self.session().core.etrn_nodes[self.index]
    }
}

/// Shared access to a session handle; `None` for NULL.
///
/// # Safety
/// `ptr` is NULL or a handle from `smtp_create_session` not yet destroyed.
pub unsafe fn session_ref<'a>(ptr: *mut smtp_session) -> Option<&'a smtp_session> {
    // SAFETY: the caller guarantees a valid handle or NULL.
    unsafe { ptr.as_ref() }
}

/// Exclusive access to a session handle; `None` for NULL or while the
/// session runs (a callback calling a setter).
///
/// # Safety
/// As `session_ref`.
pub unsafe fn session_mut<'a>(ptr: *mut smtp_session) -> Option<&'a mut smtp_session> {
    // SAFETY: the caller guarantees a valid handle or NULL.
    let running = unsafe { ptr.as_ref() }?.running.get();
    if running {
        return None;
    }
    // SAFETY: valid handle (above) and not running, so the engine holds no
    // borrow of it; C code is single-threaded per session.
    unsafe { ptr.as_mut() }
}

/// The core session of a handle, for changing settings (see `session_mut`).
///
/// # Safety
/// As `session_ref`.
pub unsafe fn session_core_mut<'a>(ptr: *mut smtp_session) -> Option<&'a mut model::Session> {
    // SAFETY: forwarded contract.
    unsafe { session_mut(ptr) }.map(|s| &mut s.core)
}

/// Shared access to a message handle; `None` for NULL.
///
/// # Safety
/// `ptr` is NULL or a handle from `smtp_add_message` whose session lives.
pub unsafe fn message_ref<'a>(ptr: *mut smtp_message) -> Option<&'a smtp_message> {
    // SAFETY: the caller guarantees a valid handle or NULL.
    unsafe { ptr.as_ref() }
}

/// Exclusive access to a message handle; `None` for NULL or while its
/// session runs.
///
/// # Safety
/// As `message_ref`.
pub unsafe fn message_mut<'a>(ptr: *mut smtp_message) -> Option<&'a mut smtp_message> {
    // SAFETY: the caller guarantees a valid handle or NULL.
    let msg = unsafe { ptr.as_ref() }?;
    if msg.session().running.get() {
        return None;
    }
    // SAFETY: valid and not running: no other Rust borrow of it exists.
    unsafe { ptr.as_mut() }
}

/// The core message of a handle, for changing settings; `None` for NULL or
/// while its session runs.
///
/// # Safety
/// As `message_ref`.
pub unsafe fn message_core_mut<'a>(ptr: *mut smtp_message) -> Option<&'a mut model::Message> {
    // SAFETY: the caller guarantees a valid handle or NULL.
    let msg = unsafe { message_mut(ptr) }?;
    let (session, index) = (msg.session, msg.index);
    // SAFETY: the session outlives its messages and is not running (checked
    // by `message_mut`), so nothing else borrows its core.
    let session = unsafe { &mut *session };
    session.core.messages.get_mut(index)
}

/// Shared access to a recipient handle; `None` for NULL.
///
/// # Safety
/// `ptr` is NULL or a handle from `smtp_add_recipient` whose session lives.
pub unsafe fn recipient_ref<'a>(ptr: *mut smtp_recipient) -> Option<&'a smtp_recipient> {
    // SAFETY: the caller guarantees a valid handle or NULL.
    unsafe { ptr.as_ref() }
}

/// The core recipient of a handle, for changing settings; `None` for NULL
/// or while its session runs.
///
/// # Safety
/// As `recipient_ref`.
pub unsafe fn recipient_core_mut<'a>(ptr: *mut smtp_recipient) -> Option<&'a mut model::Recipient> {
    // SAFETY: the caller guarantees a valid handle or NULL.
    let rcpt = unsafe { ptr.as_ref() }?;
    let index = rcpt.index;
    // SAFETY: the message outlives its recipients.
    let message = unsafe { message_core_mut(rcpt.message) }?;
    message.recipients.get_mut(index)
}

/// Shared access to an ETRN node handle; `None` for NULL.
///
/// # Safety
/// `ptr` is NULL or a handle from `smtp_etrn_add_node` whose session lives.
pub unsafe fn etrn_ref<'a>(ptr: *mut smtp_etrn_node) -> Option<&'a smtp_etrn_node> {
    // SAFETY: the caller guarantees a valid handle or NULL.
    unsafe { ptr.as_ref() }
}

/// Borrows a C string argument (valid for the call). `None` for NULL.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string that outlives `'a`.
pub unsafe fn c_str<'a>(ptr: *const c_char) -> Option<&'a std::ffi::CStr> {
    if ptr.is_null() {
        return None;
    }
    // SAFETY: non-NULL and NUL-terminated per the caller.
    Some(unsafe { std::ffi::CStr::from_ptr(ptr) })
}

/// An owned copy of a C string argument; `None` for NULL.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string.
pub unsafe fn c_string(ptr: *const c_char) -> Option<CString> {
    if ptr.is_null() {
        return None;
    }
    // SAFETY: non-NULL and NUL-terminated per the caller.
    Some(unsafe { std::ffi::CStr::from_ptr(ptr) }.to_owned())
}

/// A C string argument as text: `None` when it is not UTF-8. The usual
/// all-ASCII argument is recognised a word at a time, without the general
/// UTF-8 walk.
#[inline(never)]
pub fn c_text(c: &std::ffi::CStr) -> Option<&str> {
    let bytes = c.to_bytes();
    if bytes.is_ascii() {
        // SAFETY: every ASCII byte sequence is valid UTF-8.
        return Some(unsafe { std::str::from_utf8_unchecked(bytes) });
    }
    std::str::from_utf8(bytes).ok()
}

/// True if `bytes` could inject a line or command on the wire.
pub fn has_line_break(bytes: &[u8]) -> bool {
    crate::core::line_breaks::has_cr_or_lf(bytes)
}

/// Converts a C string argument to the core's `String`: bytes that are not
/// UTF-8 are kept as they are on the wire by a lossless Latin-1-free path —
/// we refuse them instead, so nothing is silently changed.
pub fn to_core_string(c: &CString) -> Option<String> {
    String::from_utf8(c.as_bytes().to_vec()).ok()
}

/// Boolean to the C convention (1 = success).
pub fn c_bool(ok: bool) -> c_int {
    c_int::from(ok)
}

impl smtp_message {
    /// The C status of MAIL (the getter).
    pub(crate) fn reverse_path_status_ptr(&self) -> *const super::status::smtp_status {
        self.session().statuses_handed_out.set(true);
        self.reverse_path_status
            .get(&self.core().reverse_path_status)
    }

    /// The C transfer status (the getter).
    pub(crate) fn transfer_status_ptr(&self) -> *const super::status::smtp_status {
        self.session().statuses_handed_out.set(true);
        self.transfer_status.get(&self.core().transfer_status)
    }

    /// Refreshes both C status mirrors from the core (those handed out).
    pub(crate) fn refresh_statuses(&self) {
        let core = self.core();
        self.reverse_path_status.refresh(&core.reverse_path_status);
        self.transfer_status.refresh(&core.transfer_status);
    }
}

impl smtp_recipient {
    /// The C status, up to date (the getter).
    pub(crate) fn status_ptr(&self) -> *const super::status::smtp_status {
        self.message().session().statuses_handed_out.set(true);
        self.status.get(&self.core().status)
    }

    pub(crate) fn refresh_status(&self) {
        self.status.refresh(&self.core().status)
    }
}

impl smtp_etrn_node {
    /// The C status, up to date (the getter).
    pub(crate) fn status_ptr(&self) -> *const super::status::smtp_status {
        self.session().statuses_handed_out.set(true);
        self.status.get(&self.core().status)
    }

    pub(crate) fn refresh_status(&self) {
        self.status.refresh(&self.core().status)
    }
}

impl smtp_session {
    /// Refreshes every C status mirror (after a run, so that pointers the
    /// application kept show the results).
    pub(crate) fn sync_all_statuses(&self) {
        if !self.statuses_handed_out.get() {
            return;
        }
        for m in &self.messages {
            m.refresh_statuses();
            for r in &m.recipients {
                r.refresh_status();
            }
        }
        for n in &self.etrn_nodes {
            n.refresh_status();
        }
    }
}
#[cfg(test)]
mod tests {
    /// A session may hold 100,000 recipients: the per-recipient objects
    /// are kept small (peak RSS is a benchmark figure, issue 9). A core
    /// recipient includes its mailbox when that is short.
    #[test]
    fn per_recipient_objects_stay_small() {
        assert!(std::mem::size_of::<super::smtp_recipient>() <= 112);
        assert!(std::mem::size_of::<crate::core::model::Recipient>() <= 128);
        assert!(std::mem::size_of::<super::StatusMirror>() <= 80);
    }
}
