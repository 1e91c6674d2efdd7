//! C ABI: headers — `smtp_set_header`, `smtp_set_header_option` (whose
//! variadic entry points live in `shim/varargs.c` and land here with a
//! `va_list *`) and `smtp_set_resent_headers`.
//!
//! Which arguments a header takes is decided once, by the core's table
//! (`HeaderTable::arg_shape`); this file only pulls them from the va_list.

use std::ffi::{c_char, c_int, c_void, CStr};

use super::errno::{set_errno, SMTP_ERR_INVAL};
use super::handles::{message_core_mut, message_ref, smtp_message};
use super::macros::guard;
use crate::core::message::headers::{ArgShape, HeaderSetError, HeaderValue};

/// libESMTP reports an empty header name as `-ENOMEM` (quirk H-10).
const ENOMEM_ERRNO: c_int = -libc::ENOMEM;

/// An opaque `va_list`; only the shim looks inside.
#[repr(C)]
pub struct VaList {
    _private: [u8; 0],
}

extern "C" {
    /// `va_arg(*ap, const void *)`.
    fn esmtp_va_ptr(ap: *mut VaList) -> *const c_void;
    /// `va_arg(*ap, int)`.
    fn esmtp_va_int(ap: *mut VaList) -> c_int;
}

fn fail(err: HeaderSetError) -> c_int {
    set_errno(match err {
        HeaderSetError::Invalid => SMTP_ERR_INVAL,
        HeaderSetError::EmptyName => ENOMEM_ERRNO,
    });
    0
}

/// The bytes of a C string argument; `None` for NULL.
///
/// # Safety
/// `ptr` is NULL or a NUL-terminated string that outlives `'a`.
unsafe fn c_bytes<'a>(ptr: *const c_void) -> Option<&'a [u8]> {
    if ptr.is_null() {
        return None;
    }
    // SAFETY: non-NULL and NUL-terminated per the caller.
    Some(unsafe { CStr::from_ptr(ptr.cast::<c_char>()) }.to_bytes())
}

/// Pulls the value arguments `smtp_set_header` takes for a header of this
/// shape (headers.md §2, §4).
///
/// # Safety
/// `ap` is the live va_list of a `smtp_set_header` call whose remaining
/// arguments have the types libESMTP documents for this header.
// `time_t` is `i64` only on 64-bit targets.
#[allow(clippy::useless_conversion)]
unsafe fn read_value<'a>(shape: ArgShape, ap: *mut VaList) -> HeaderValue<'a> {
    match shape {
        ArgShape::Time => {
            // SAFETY: Date takes one `const time_t *`.
            let ptr = unsafe { esmtp_va_ptr(ap) }.cast::<libc::time_t>();
            // SAFETY: NULL or a readable `time_t` per the caller; it may be
            // unaligned in a hostile program, so read it unaligned.
            let when = (!ptr.is_null()).then(|| unsafe { ptr.read_unaligned() });
            HeaderValue::Time(when.map(i64::from))
        }
        ArgShape::Text => {
            // SAFETY: one `const char *`; NULL or a C string.
            HeaderValue::Text(unsafe { c_bytes(esmtp_va_ptr(ap)) })
        }
        ArgShape::PhraseMailbox => {
            // SAFETY: two `const char *`, each NULL or a C string; pulled
            // in order (phrase, then mailbox).
            let phrase = unsafe { c_bytes(esmtp_va_ptr(ap)) };
            // SAFETY: as above.
            let mailbox = unsafe { c_bytes(esmtp_va_ptr(ap)) };
            HeaderValue::Mailbox { phrase, mailbox }
        }
    }
}

/// Body of `smtp_set_header`, called by the C shim.
///
/// Sets a header of the message (headers.md §4). Returns 1 — also when the
/// value was accepted but not stored (quirk H-1) — or 0 with `smtp_errno`
/// SMTP_ERR_INVAL (NULL message or header, session running, prohibited or
/// preserved header, second value of a single header, a value containing a
/// line break) or -ENOMEM (empty name).
///
/// # Safety
/// `message` is NULL or a live message handle; `header` NULL or a C
/// string; `ap` points to the caller's va_list holding the arguments
/// libESMTP documents for `header`.
#[no_mangle]
pub unsafe extern "C" fn esmtp_set_header_va(
    message: *mut smtp_message,
    header: *const c_char,
    ap: *mut VaList,
) -> c_int {
    guard(0, || {
        // SAFETY: per the contract.
        let msg = unsafe { message_core_mut(message) };
        check_args!(msg.is_some() && !header.is_null() && !ap.is_null(), 0);
        let Some(msg) = msg else {
            return 0;
        };
        // SAFETY: non-NULL C string per the contract.
        let name = unsafe { CStr::from_ptr(header) }.to_bytes();
        // The name checks come first: a refused call reads no arguments.
        let shape = match msg.headers.arg_shape(name) {
            Ok(shape) => shape,
            Err(err) => return fail(err),
        };
        // SAFETY: `ap` is the caller's va_list; the shape is the one
        // libESMTP reads for this header.
        let value = unsafe { read_value(shape, ap) };
        match msg.headers.set(name, value) {
            Ok(_) => 1,
            Err(err) => fail(err),
        }
    })
}

/// Body of `smtp_set_header_option`, called by the C shim.
///
/// Sets `Hdr_OVERRIDE` or `Hdr_PROHIBIT` (one `int` vararg, normalised to
/// 0/1) for a header (headers.md §5). Returns 1, or 0 with SMTP_ERR_INVAL
/// (NULL message or header, session running, prohibited/preserved header,
/// unknown option, override of a prohibited header, prohibit of Date or
/// From) or -ENOMEM (empty name).
///
/// # Safety
/// As `esmtp_set_header_va`; the va_list holds one `int`.
#[no_mangle]
pub unsafe extern "C" fn esmtp_set_header_option_va(
    message: *mut smtp_message,
    header: *const c_char,
    option: c_int,
    ap: *mut VaList,
) -> c_int {
    guard(0, || {
        // SAFETY: per the contract.
        let msg = unsafe { message_core_mut(message) };
        check_args!(msg.is_some() && !header.is_null() && !ap.is_null(), 0);
        let Some(msg) = msg else {
            return 0;
        };
        // SAFETY: non-NULL C string per the contract.
        let name = unsafe { CStr::from_ptr(header) }.to_bytes();
        // SAFETY: the option's one `int` argument.
        let flag = unsafe { esmtp_va_int(ap) } != 0;
        match msg.headers.set_option(name, option, flag) {
            Ok(()) => 1,
            Err(err) => fail(err),
        }
    })
}

/// `smtp_set_resent_headers`: libESMTP 1.1's placeholder. `onoff == 0`
/// returns 1 and does nothing; anything else returns 0 with
/// SMTP_ERR_INVAL, as does a NULL message.
///
/// # Safety
/// `message` is NULL or a live message handle.
#[no_mangle]
pub unsafe extern "C" fn smtp_set_resent_headers(
    message: *mut smtp_message,
    onoff: c_int,
) -> c_int {
    guard(0, || {
        // SAFETY: per the contract.
        let msg = unsafe { message_ref(message) };
        check_args!(msg.is_some() && onoff == 0, 0);
        1
    })
}
