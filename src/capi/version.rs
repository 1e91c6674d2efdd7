//! C ABI: `smtp_version`.

use std::ffi::{c_int, c_void};

use super::macros::guard;

/// The version strings libESMTP 1.1.0 reports (what we replace).
pub fn version_string(what: c_int) -> Option<&'static str> {
    match what {
        0 => Some("1.1.0"),
        1 => Some("6.2.0"),
        2 => Some("8:0:2"),
        _ => None,
    }
}

/// Copies a version string (Ver_VERSION, Ver_SO_VERSION, Ver_LT_VERSION)
/// into `buf`, truncated to `len - 1` bytes plus NUL. Returns 1 when it fit
/// (libESMTP's off-by-one: also when `len` equals the string length), else
/// 0 with SMTP_ERR_INVAL.
///
/// # Safety
/// `buf` is NULL or writable for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn smtp_version(buf: *mut c_void, len: usize, what: c_int) -> c_int {
    guard(0, || {
        check_args!(!buf.is_null() && len > 0, 0);
        let version = version_string(what);
        check_args!(version.is_some(), 0);
        let version = version.unwrap_or_default().as_bytes();
        let n = version.len().min(len - 1);
        // SAFETY: `buf` is writable for `len` bytes and n + 1 <= len.
        unsafe {
            std::ptr::copy_nonoverlapping(version.as_ptr(), buf.cast::<u8>(), n);
            *buf.cast::<u8>().add(n) = 0;
        }
        check_args!(version.len() <= len, 0);
        1
    })
}
