//! C ABI: messages — add, enumerate, envelope and per-message options,
//! statuses, and the two standard message callbacks.

use std::ffi::{c_char, c_int, c_long, c_uint, c_ulong, c_void, CString};

use super::callbacks::MessageCallback;
use super::handles::{
    c_str, c_string, has_line_break, message_core_mut, message_mut, message_ref, session_mut,
    session_ref, smtp_message, smtp_session,
};
use super::macros::guard;
use super::status::smtp_status;
use super::status::StatusMirror;
use crate::core::extensions::ExtSet;
use crate::core::model::{self, DeliverBy};

/// Longest mailbox we accept: the command must never be truncated on the
/// wire (libESMTP cuts commands at 1023 bytes silently).
pub const MAX_MAILBOX_LEN: usize = 512;

/// Validates a string that goes into an SMTP command.
pub(crate) fn command_str(c: &std::ffi::CStr, max: usize) -> Option<&str> {
    let text = super::handles::c_text(c)?;
    (!has_line_break(text.as_bytes()) && text.len() <= max).then_some(text)
}

/// Validates a string that goes into an SMTP command (owned).
pub(crate) fn command_string(c: CString, max: usize) -> Option<String> {
    let text = String::from_utf8(c.into_bytes()).ok()?;
    (!has_line_break(text.as_bytes()) && text.len() <= max).then_some(text)
}

/// Adds a message to the session. NULL: NULL with SMTP_ERR_INVAL.
///
/// # Safety
/// `session` is NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn smtp_add_message(session: *mut smtp_session) -> *mut smtp_message {
    guard(std::ptr::null_mut(), || {
        // SAFETY: per the contract.
        let s = unsafe { session_mut(session) };
        check_args!(s.is_some(), std::ptr::null_mut());
        let Some(s) = s else {
            return std::ptr::null_mut();
        };
        let index = s.core.messages.len();
        if s.core.messages.capacity() == 0 {
            // Most sessions carry one message: room for exactly one is a
            // small block for malloc (four would not be); more grow as usual.
            s.core.messages.reserve_exact(1);
        }
        s.core.messages.push(model::Message::default());
        let handle = smtp_message {
            session,
            index,
            app: Default::default(),
            recipients: Default::default(),
            message_cb: Default::default(),
            reverse_path_status: StatusMirror::default(),
            transfer_status: StatusMirror::default(),
        };
        let ptr: *mut smtp_message = s.messages.push(handle);
        ptr
    })
}

/// Calls `cb(message, arg)` for each message in order. Returns 1.
///
/// # Safety
/// `session` is NULL or valid; `cb` NULL or a valid function.
#[no_mangle]
pub unsafe extern "C" fn smtp_enumerate_messages(
    session: *mut smtp_session,
    cb: Option<unsafe extern "C" fn(*mut smtp_message, *mut c_void)>,
    arg: *mut c_void,
) -> c_int {
    guard(0, || {
        // SAFETY: per the contract.
        let s = unsafe { session_ref(session) };
        check_args!(s.is_some() && cb.is_some(), 0);
        let (Some(s), Some(cb)) = (s, cb) else {
            return 0;
        };
        // The messages there are now; the callback may add more, so the
        // session is looked up again for each (message handles never move).
        let count = s.messages.len();
        for index in 0..count {
            // SAFETY: per the contract, as above.
            let Some(m) = (unsafe { session_ref(session) }).and_then(|s| s.messages.get(index))
            else {
                break;
            };
            let m = m as *const smtp_message as *mut smtp_message;
            // SAFETY: the application's callback with a valid handle.
            unsafe { cb(m, arg) };
        }
        1
    })
}

/// Sets the reverse path (NULL or "" give `MAIL FROM:<>`). Returns 1; 0 with
/// SMTP_ERR_INVAL for a NULL message, a line break or an over-long address.
///
/// # Safety
/// `message` is NULL or valid; `mailbox` NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn smtp_set_reverse_path(
    message: *mut smtp_message,
    mailbox: *const c_char,
) -> c_int {
    guard(0, || {
        // SAFETY: per the contract.
        let core_value = match unsafe { c_str(mailbox) } {
            None => None,
            Some(c) => {
                let v = command_str(c, MAX_MAILBOX_LEN);
                check_args!(v.is_some(), 0);
                v.map(model::Mailbox::from)
            }
        };
        // SAFETY: per the contract (NULL, or a running session: refused).
        if unsafe { message_mut(message) }.is_none() {
            check_args!(false, 0);
            return 0;
        }
        // SAFETY: as above; message_mut succeeded so this does too.
        if let Some(core) = unsafe { message_core_mut(message) } {
            core.reverse_path = core_value;
        }
        1
    })
}

/// Sets the message callback. Returns 1; NULL message or callback: 0, INVAL.
///
/// # Safety
/// `message` is NULL or valid; `cb` NULL or a valid `smtp_messagecb_t`.
#[no_mangle]
pub unsafe extern "C" fn smtp_set_messagecb(
    message: *mut smtp_message,
    cb: Option<unsafe extern "C" fn(*mut *mut c_void, *mut c_int, *mut c_void) -> *const c_char>,
    arg: *mut c_void,
) -> c_int {
    guard(0, || {
        // SAFETY: per the contract.
        let m = unsafe { message_ref(message) };
        check_args!(
            m.is_some() && cb.is_some() && !m.is_some_and(|m| m.session().running.get()),
            0
        );
        if let (Some(m), Some(func)) = (m, cb) {
            m.message_cb.set(Some(MessageCallback { func, arg }));
        }
        1
    })
}

/// The status of the DATA/BDAT transfer. NULL: NULL, INVAL.
///
/// # Safety
/// `message` is NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn smtp_message_transfer_status(
    message: *mut smtp_message,
) -> *const smtp_status {
    guard(std::ptr::null(), || {
        // SAFETY: per the contract.
        let m = unsafe { message_ref(message) };
        check_args!(m.is_some(), std::ptr::null());
        m.map_or(std::ptr::null(), smtp_message::transfer_status_ptr)
    })
}

/// The status of MAIL FROM. NULL: NULL, INVAL.
///
/// # Safety
/// `message` is NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn smtp_reverse_path_status(
    message: *mut smtp_message,
) -> *const smtp_status {
    guard(std::ptr::null(), || {
        // SAFETY: per the contract.
        let m = unsafe { message_ref(message) };
        check_args!(m.is_some(), std::ptr::null());
        m.map_or(std::ptr::null(), smtp_message::reverse_path_status_ptr)
    })
}

/// Zeroes the message's two statuses (does not cause a resend). Returns 1.
///
/// # Safety
/// `message` is NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn smtp_message_reset_status(message: *mut smtp_message) -> c_int {
    guard(0, || {
        // SAFETY: per the contract.
        let m = unsafe { message_core_mut(message) };
        check_args!(m.is_some(), 0);
        if let Some(m) = m {
            m.reset_status();
        }
        1
    })
}

/// Runs `f` on the core session and the message's index in it, or fails
/// with SMTP_ERR_INVAL (NULL message, or its session is running).
///
/// # Safety
/// `message` is NULL or valid.
unsafe fn with_message(
    message: *mut smtp_message,
    f: impl FnOnce(&mut model::Session, usize) -> c_int,
) -> c_int {
    // SAFETY: per the contract.
    let m = unsafe { message_ref(message) };
    check_args!(m.is_some(), 0);
    let Some(m) = m else { return 0 };
    let (session, index) = (m.session, m.index);
    // SAFETY: a message's session outlives it.
    let s = unsafe { session_mut(session) };
    check_args!(s.is_some(), 0);
    match s {
        Some(s) if index < s.core.messages.len() => f(&mut s.core, index),
        _ => 0,
    }
}

/// DSN RET. Any value but Ret_NOTSET makes DSN required. Returns 1.
///
/// # Safety
/// `message` is NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn smtp_dsn_set_ret(message: *mut smtp_message, flags: c_uint) -> c_int {
    let flags = flags as i32;
    guard(0, || {
        // SAFETY: per the contract.
        unsafe {
            with_message(message, |s, i| {
                s.messages[i].dsn_ret = flags;
                if flags != model::RET_NOTSET {
                    s.required.insert(ExtSet::DSN);
                }
                1
            })
        }
    })
}

/// Longest ENVID we accept (RFC 3461 allows 100 characters; we are lenient
/// but keep the MAIL command well inside the line limit after xtext).
pub const MAX_ENVID_LEN: usize = 200;

/// DSN ENVID. NULL envid: 0, INVAL (libESMTP crashes). Returns 1.
///
/// # Safety
/// `message` is NULL or valid; `envid` NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn smtp_dsn_set_envid(
    message: *mut smtp_message,
    envid: *const c_char,
) -> c_int {
    guard(0, || {
        // SAFETY: per the contract.
        let envid = unsafe { c_string(envid) }.and_then(|c| command_string(c, MAX_ENVID_LEN));
        check_args!(envid.is_some(), 0);
        // SAFETY: per the contract.
        unsafe {
            with_message(message, |s, i| {
                s.messages[i].dsn_envid = envid;
                s.required.insert(ExtSet::DSN);
                1
            })
        }
    })
}

/// SIZE estimate. Returns 1.
///
/// # Safety
/// `message` is NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn smtp_size_set_estimate(
    message: *mut smtp_message,
    size: c_ulong,
) -> c_int {
    guard(0, || {
        // SAFETY: per the contract.
        unsafe {
            with_message(message, |s, i| {
                s.messages[i].size_estimate = u64::from(size);
                1
            })
        }
    })
}

/// BODY type. BINARYMIME requires CHUNKING and BINARYMIME; 7BIT and
/// 8BITMIME require 8BITMIME. Returns 1.
///
/// # Safety
/// `message` is NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn smtp_8bitmime_set_body(message: *mut smtp_message, body: c_uint) -> c_int {
    let body = body as i32;
    guard(0, || {
        // SAFETY: per the contract.
        unsafe {
            with_message(message, |s, i| {
                s.messages[i].body = body;
                match body {
                    model::BODY_BINARYMIME => {
                        s.required.insert(ExtSet::CHUNKING | ExtSet::BINARYMIME)
                    }
                    model::BODY_7BIT | model::BODY_8BITMIME => {
                        s.required.insert(ExtSet::EIGHTBITMIME)
                    }
                    _ => {}
                }
                1
            })
        }
    })
}

/// DELIVERBY request. Returns 1; 0 with INVAL for a time out of range or
/// By_RETURN with a time that is not positive.
///
/// # Safety
/// `message` is NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn smtp_deliverby_set_mode(
    message: *mut smtp_message,
    time: c_long,
    mode: c_uint,
    trace: c_int,
) -> c_int {
    let mode = mode as i32;
    guard(0, || {
        check_args!((-999_999_999..=999_999_999).contains(&time), 0);
        check_args!(!(mode == model::BY_RETURN && time <= 0), 0);
        // SAFETY: per the contract.
        unsafe {
            with_message(message, |s, i| {
                s.messages[i].deliver_by = Some(DeliverBy {
                    time: i64::from(time),
                    mode,
                    trace: trace != 0,
                });
                1
            })
        }
    })
}

const FP_BUFFER_SIZE: usize = 8192;

/// Standard message callback over a `FILE *` (`smtp_set_message_fp`).
///
/// # Safety
/// `ctx` is the library's context slot; `arg` is a readable `FILE *`.
#[no_mangle]
pub unsafe extern "C" fn _smtp_message_fp_cb(
    ctx: *mut *mut c_void,
    len: *mut c_int,
    arg: *mut c_void,
) -> *const c_char {
    guard(std::ptr::null(), || {
        if ctx.is_null() || arg.is_null() {
            return std::ptr::null();
        }
        let fp = arg.cast::<libc::FILE>();
        // SAFETY: `ctx` is the session's slot (non-NULL, checked).
        let slot = unsafe { &mut *ctx };
        if slot.is_null() {
            // SAFETY: plain allocation; freed by the library with free().
            *slot = unsafe { libc::malloc(FP_BUFFER_SIZE) };
        }
        if len.is_null() {
            // SAFETY: `fp` is the application's FILE *.
            unsafe { libc::rewind(fp) };
            return std::ptr::null();
        }
        let buf = *slot;
        if buf.is_null() {
            // SAFETY: `len` is non-NULL (checked).
            unsafe { *len = 0 };
            return std::ptr::null();
        }
        // SAFETY: `buf` holds FP_BUFFER_SIZE bytes; `fp` is valid.
        let n = unsafe { libc::fread(buf, 1, FP_BUFFER_SIZE, fp) };
        // SAFETY: `len` is non-NULL (checked).
        unsafe { *len = n as c_int };
        buf as *const c_char
    })
}

/// State of `_smtp_message_str_cb`: two ints, as libESMTP allocates.
#[repr(C)]
struct StrState {
    state: c_int,
    length: c_int,
}

/// Standard message callback over a C string (`smtp_set_message_str`).
///
/// # Safety
/// `ctx` is the library's context slot; `arg` is a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn _smtp_message_str_cb(
    ctx: *mut *mut c_void,
    len: *mut c_int,
    arg: *mut c_void,
) -> *const c_char {
    guard(std::ptr::null(), || {
        if ctx.is_null() {
            return std::ptr::null();
        }
        // SAFETY: `ctx` is the session's slot (non-NULL, checked).
        let slot = unsafe { &mut *ctx };
        if slot.is_null() {
            // malloc, not calloc: glibc's calloc bypasses its per-thread
            // cache, and this runs once per message sent.
            // SAFETY: plain allocation; freed by the library with free().
            let p = unsafe { libc::malloc(std::mem::size_of::<StrState>()) }.cast::<StrState>();
            if p.is_null() {
                return std::ptr::null();
            }
            // SAFETY: `p` is a fresh allocation of one StrState.
            unsafe {
                p.write(StrState {
                    state: 0,
                    length: 0,
                })
            };
            *slot = p.cast();
        }
        let st = (*slot).cast::<StrState>();
        if st.is_null() {
            return std::ptr::null();
        }
        let text = arg as *const c_char;
        // SAFETY: `st` points to our initialised StrState allocation.
        let st = unsafe { &mut *st };
        if len.is_null() {
            st.state = 0;
            st.length = if text.is_null() {
                0
            } else {
                // SAFETY: `arg` is a NUL-terminated string per the contract.
                c_int::try_from(unsafe { libc::strlen(text) }).unwrap_or(c_int::MAX)
            };
            return std::ptr::null();
        }
        let n = if st.state == 0 { st.length } else { 0 };
        st.state = 1;
        // SAFETY: `len` is non-NULL (checked).
        unsafe { *len = n };
        text
    })
}
