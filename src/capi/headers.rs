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

#[cfg(test)]
mod tests {
    //! The variadic entry points through the C shim, called from Rust.

    use super::*;
    use crate::capi::errno::get_errno;
    use crate::capi::handles::smtp_session;
    use crate::capi::message::smtp_add_message;
    use crate::capi::session::{smtp_create_session, smtp_destroy_session};
    use crate::core::message::headers::HeaderContext;

    extern "C" {
        // The handle as C sees it: an opaque pointer.
        fn smtp_set_header(message: *mut c_void, header: *const c_char, ...) -> c_int;
        fn smtp_set_header_option(
            message: *mut c_void,
            header: *const c_char,
            option: c_int,
            ...
        ) -> c_int;
    }

    fn c(s: &str) -> std::ffi::CString {
        std::ffi::CString::new(s).expect("no NUL")
    }

    #[test]
    fn varargs_reach_the_engine() {
        let session: *mut smtp_session = smtp_create_session();
        // SAFETY: a fresh session handle.
        let handle = unsafe { smtp_add_message(session) };
        let m = handle.cast::<c_void>();
        let t: libc::time_t = 1_000_000_000;
        let null = std::ptr::null::<c_char>();
        // SAFETY: each call passes the argument types libESMTP documents.
        unsafe {
            assert_eq!(
                smtp_set_header(m, c("Date").as_ptr(), &t as *const libc::time_t),
                1
            );
            assert_eq!(
                smtp_set_header(m, c("To").as_ptr(), c("P").as_ptr(), c("a@x").as_ptr()),
                1
            );
            assert_eq!(
                smtp_set_header(m, c("To").as_ptr(), null, c("b@x").as_ptr()),
                1
            );
            assert_eq!(
                smtp_set_header(m, c("Subject").as_ptr(), c("s").as_ptr()),
                1
            );
            assert_eq!(
                smtp_set_header(m, c("Subject").as_ptr(), c("again").as_ptr()),
                0
            );
            assert_eq!(get_errno(), SMTP_ERR_INVAL);
            assert_eq!(smtp_set_header(m, c("").as_ptr(), c("v").as_ptr()), 0);
            assert_eq!(get_errno(), -libc::ENOMEM);
            assert_eq!(
                smtp_set_header(m, c("X-Bad").as_ptr(), c("a\nb").as_ptr()),
                0
            );
            assert_eq!(smtp_set_header(m, null, c("v").as_ptr()), 0);
            assert_eq!(
                smtp_set_header(
                    std::ptr::null_mut::<c_void>(),
                    c("X").as_ptr(),
                    c("v").as_ptr()
                ),
                0
            );
            assert_eq!(
                smtp_set_header_option(m, c("X-Mailer").as_ptr(), 1, 1 as c_int),
                1
            );
            assert_eq!(
                smtp_set_header_option(m, c("From").as_ptr(), 1, 1 as c_int),
                0
            );
            assert_eq!(smtp_set_resent_headers(handle, 0), 1);
            assert_eq!(smtp_set_resent_headers(handle, 1), 0);
        }
        let msg = {
            // SAFETY: live handle.
            unsafe { message_ref(handle) }.expect("live").core()
        };
        let ctx = HeaderContext {
            message: msg,
            hostname: "vm",
            now: 0,
        };
        let mut proc = msg.headers.start(ctx);
        assert_eq!(
            proc.process(b"X-Mailer: x\r\n"),
            Ok(crate::core::message::headers::HeaderAction::Drop)
        );
        let out = proc.finish().expect("no fault").concat();
        let out = String::from_utf8(out).expect("ascii");
        assert!(
            out.contains("To: b@x,\r\n    \"P\" <a@x>\r\nSubject: s\r\n"),
            "{out}"
        );
        assert!(out.contains(" 2001 "), "{out}");
        // SAFETY: the session handle from above, destroyed once.
        assert_eq!(unsafe { smtp_destroy_session(session) }, 1);
    }
}
