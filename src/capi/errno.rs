//! C ABI: the per-thread error number (`smtp_errno`) and libESMTP's codes.

use std::cell::Cell;
use std::ffi::c_int;

use crate::core::error::Error;

pub const SMTP_ERR_NOTHING_TO_DO: c_int = 2;
pub const SMTP_ERR_DROPPED_CONNECTION: c_int = 3;
pub const SMTP_ERR_INVALID_RESPONSE_SYNTAX: c_int = 4;
pub const SMTP_ERR_STATUS_MISMATCH: c_int = 5;
pub const SMTP_ERR_INVALID_RESPONSE_STATUS: c_int = 6;
pub const SMTP_ERR_INVAL: c_int = 7;
pub const SMTP_ERR_EXTENSION_NOT_AVAILABLE: c_int = 8;
pub const SMTP_ERR_EAI_FAIL: c_int = 11;
pub const SMTP_ERR_EAI_AGAIN: c_int = 12;
pub const SMTP_ERR_EAI_MEMORY: c_int = 13;
pub const SMTP_ERR_EAI_FAMILY: c_int = 14;
pub const SMTP_ERR_EAI_BADFLAGS: c_int = 15;
pub const SMTP_ERR_EAI_NONAME: c_int = 16;
pub const SMTP_ERR_EAI_SERVICE: c_int = 17;
pub const SMTP_ERR_EAI_SOCKTYPE: c_int = 18;
pub const SMTP_ERR_UNTERMINATED_RESPONSE: c_int = 19;
pub const SMTP_ERR_CLIENT_ERROR: c_int = 20;

thread_local! {
    static SMTP_ERRNO: Cell<c_int> = const { Cell::new(0) };
}

/// Records `code` as this thread's `smtp_errno`.
pub fn set_errno(code: c_int) {
    SMTP_ERRNO.with(|e| e.set(code));
}

/// This thread's `smtp_errno`.
pub fn get_errno() -> c_int {
    SMTP_ERRNO.with(Cell::get)
}

/// Records a core error as libESMTP would encode it.
pub fn set_error(err: &Error) {
    set_errno(error_code(err));
}

/// libESMTP's encoding of a core error (api.md 6.1).
pub fn error_code(err: &Error) -> c_int {
    match err {
        Error::NothingToDo => SMTP_ERR_NOTHING_TO_DO,
        Error::DroppedConnection => SMTP_ERR_DROPPED_CONNECTION,
        Error::InvalidResponseSyntax => SMTP_ERR_INVALID_RESPONSE_SYNTAX,
        Error::StatusMismatch => SMTP_ERR_STATUS_MISMATCH,
        Error::InvalidResponseStatus => SMTP_ERR_INVALID_RESPONSE_STATUS,
        Error::Inval => SMTP_ERR_INVAL,
        Error::ExtensionNotAvailable => SMTP_ERR_EXTENSION_NOT_AVAILABLE,
        Error::UnterminatedResponse => SMTP_ERR_UNTERMINATED_RESPONSE,
        Error::ClientError => SMTP_ERR_CLIENT_ERROR,
        Error::Resolver { eai, errno } => resolver_code(*eai, *errno),
        Error::Os(code) => -code,
    }
}

/// getaddrinfo() results as libESMTP 1.1 (Debian build) reports them,
/// quirks included: EAI_NODATA and EAI_ADDRFAMILY read as SMTP_ERR_INVAL,
/// EAI_SYSTEM as the positive errno.
fn resolver_code(eai: c_int, errno: c_int) -> c_int {
    match eai {
        libc::EAI_BADFLAGS => SMTP_ERR_EAI_BADFLAGS,
        libc::EAI_NONAME => SMTP_ERR_EAI_NONAME,
        libc::EAI_AGAIN => SMTP_ERR_EAI_AGAIN,
        libc::EAI_FAIL => SMTP_ERR_EAI_FAIL,
        libc::EAI_FAMILY => SMTP_ERR_EAI_FAMILY,
        libc::EAI_SOCKTYPE => SMTP_ERR_EAI_SOCKTYPE,
        libc::EAI_SERVICE => SMTP_ERR_EAI_SERVICE,
        libc::EAI_MEMORY => SMTP_ERR_EAI_MEMORY,
        libc::EAI_SYSTEM => errno,
        _ => SMTP_ERR_INVAL,
    }
}

/// `int smtp_errno(void)`: the error of the most recent failing call in
/// this thread; never cleared by a successful call.
#[no_mangle]
pub extern "C" fn smtp_errno() -> c_int {
    crate::capi::macros::guard(SMTP_ERR_CLIENT_ERROR, get_errno)
}
