//! C ABI: recipients — add, enumerate, status, completion, DSN options.

use std::ffi::{c_char, c_int, c_void};

use super::handles::{
    c_str, c_string, message_mut, message_ref, recipient_core_mut, recipient_ref, session_mut,
    smtp_message, smtp_recipient,
};
use super::macros::guard;
use super::message::{command_str, command_string, MAX_MAILBOX_LEN};
use super::status::{smtp_status, StatusMirror};
use crate::core::extensions::ExtSet;
use crate::core::model;

/// Adds a recipient. NULL message or mailbox, a line break or an over-long
/// address: NULL with SMTP_ERR_INVAL.
///
/// # Safety
/// `message` is NULL or valid; `mailbox` NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn smtp_add_recipient(
    message: *mut smtp_message,
    mailbox: *const c_char,
) -> *mut smtp_recipient {
    guard(std::ptr::null_mut(), || {
        // SAFETY: per the contract.
        let mailbox = unsafe { c_str(mailbox) }.and_then(|c| command_str(c, MAX_MAILBOX_LEN));
        // SAFETY: per the contract.
        let m = unsafe { message_mut(message) };
        check_args!(m.is_some() && mailbox.is_some(), std::ptr::null_mut());
        let (Some(m), Some(mailbox)) = (m, mailbox) else {
            return std::ptr::null_mut();
        };
        let (session, msg_index) = (m.session, m.index);
        let index = m.recipients.len();
        let handle = smtp_recipient {
            message,
            index,
            app: Default::default(),
            status: StatusMirror::default(),
        };
        let ptr: *mut smtp_recipient = m.recipients.push(handle);
        // SAFETY: the message's session is valid and not running (message_mut).
        if let Some(s) = unsafe { session_mut(session) } {
            if let Some(core) = s.core.messages.get_mut(msg_index) {
                core.recipients
                    .push(model::Recipient::new(model::Mailbox::from(mailbox)));
            }
        }
        ptr
    })
}

/// Calls `cb(recipient, mailbox, arg)` for each recipient in order.
/// NULL message or (our fix) NULL callback: 0, INVAL.
///
/// # Safety
/// `message` is NULL or valid; `cb` NULL or a valid function.
#[no_mangle]
pub unsafe extern "C" fn smtp_enumerate_recipients(
    message: *mut smtp_message,
    cb: Option<unsafe extern "C" fn(*mut smtp_recipient, *const c_char, *mut c_void)>,
    arg: *mut c_void,
) -> c_int {
    guard(0, || {
        // SAFETY: per the contract.
        let m = unsafe { message_ref(message) };
        check_args!(m.is_some(), 0);
        let Some(m) = m else { return 0 };
        if m.recipients.is_empty() {
            return 1;
        }
        check_args!(cb.is_some(), 0);
        let Some(cb) = cb else { return 0 };
        // The recipients there are now, in order, without a snapshot copy:
        // recipients are only ever appended and their handles never move, so
        // index `i` names the same recipient throughout. No reference is
        // held across the callback (which may add recipients).
        let count = m.recipients.len();
        for i in 0..count {
            // SAFETY: per the contract.
            let Some(r) = (unsafe { message_ref(message) }).and_then(|m| m.recipients.get(i))
            else {
                break;
            };
            let (r, mailbox) = (
                r as *const smtp_recipient as *mut smtp_recipient,
                r.mailbox_ptr(),
            );
            // SAFETY: the application's callback with valid handle and string.
            unsafe { cb(r, mailbox, arg) };
        }
        1
    })
}

/// The status of the recipient's RCPT. NULL: NULL, INVAL.
///
/// # Safety
/// `recipient` is NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn smtp_recipient_status(
    recipient: *mut smtp_recipient,
) -> *const smtp_status {
    guard(std::ptr::null(), || {
        // SAFETY: per the contract.
        let r = unsafe { recipient_ref(recipient) };
        check_args!(r.is_some(), std::ptr::null());
        r.map_or(std::ptr::null(), |r| r.status_ptr())
    })
}

/// 1 if the recipient needs no further attempt, else 0 (NULL: 0, INVAL).
///
/// # Safety
/// `recipient` is NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn smtp_recipient_check_complete(recipient: *mut smtp_recipient) -> c_int {
    guard(0, || {
        // SAFETY: per the contract.
        let r = unsafe { recipient_ref(recipient) };
        check_args!(r.is_some(), 0);
        r.map_or(0, |r| c_int::from(r.core().complete.get()))
    })
}

/// Zeroes the status and clears `complete`, so the next run sends it again.
///
/// # Safety
/// `recipient` is NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn smtp_recipient_reset_status(recipient: *mut smtp_recipient) -> c_int {
    guard(0, || {
        // SAFETY: per the contract.
        let r = unsafe { recipient_core_mut(recipient) };
        check_args!(r.is_some(), 0);
        if let Some(r) = r {
            r.reset_status();
        }
        1
    })
}

/// Marks the recipient's session as needing DSN.
fn require_dsn(recipient: *mut smtp_recipient) {
    // SAFETY: called after `recipient_core_mut` succeeded, so the recipient,
    // its message and its session are valid and not running; the borrow
    // from `recipient_core_mut` has ended.
    unsafe {
        if let Some(r) = recipient_ref(recipient) {
            if let Some(s) = session_mut(r.message().session) {
                s.core.required.insert(ExtSet::DSN);
            }
        }
    }
}

/// DSN NOTIFY. Any value but Notify_NOTSET makes DSN required. Returns 1.
///
/// # Safety
/// `recipient` is NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn smtp_dsn_set_notify(
    recipient: *mut smtp_recipient,
    flags: c_int,
) -> c_int {
    guard(0, || {
        // SAFETY: per the contract.
        let r = unsafe { recipient_core_mut(recipient) };
        check_args!(r.is_some(), 0);
        if let Some(r) = r {
            r.notify = flags;
        }
        if flags != model::NOTIFY_NOTSET {
            require_dsn(recipient);
        }
        1
    })
}

/// Longest ORCPT part we accept (keeps the RCPT command under the line
/// limit after xtext encoding).
const MAX_ORCPT_LEN: usize = 300;

/// DSN ORCPT. NULL type or address: 0, INVAL (libESMTP crashes). Returns 1.
///
/// # Safety
/// `recipient` is NULL or valid; the strings NULL or C strings.
#[no_mangle]
pub unsafe extern "C" fn smtp_dsn_set_orcpt(
    recipient: *mut smtp_recipient,
    address_type: *const c_char,
    address: *const c_char,
) -> c_int {
    guard(0, || {
        // SAFETY: per the contract.
        let kind = unsafe { c_string(address_type) }.and_then(|c| command_string(c, 64));
        // SAFETY: per the contract.
        let addr = unsafe { c_string(address) }.and_then(|c| command_string(c, MAX_ORCPT_LEN));
        // SAFETY: per the contract.
        let r = unsafe { recipient_core_mut(recipient) };
        check_args!(r.is_some() && kind.is_some() && addr.is_some(), 0);
        if let (Some(r), Some(kind), Some(addr)) = (r, kind, addr) {
            r.orcpt = Some(Box::new((kind, addr)));
        }
        require_dsn(recipient);
        1
    })
}
