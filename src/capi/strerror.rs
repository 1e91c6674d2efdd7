//! C ABI: `smtp_strerror`, libESMTP's texts for its error numbers.

use std::borrow::Cow;
use std::ffi::{c_char, c_int, CStr};

use super::macros::guard;

/// The text libESMTP 1.1 (Debian build) gives for `error`.
pub fn error_text(error: c_int) -> Cow<'static, str> {
    let fixed = match error {
        0 => "No Error",
        1 => "",
        2 => "Nothing to do",
        3 => "SMTP server dropped connection",
        4 => "Invalid SMTP syntax in server response",
        5 => "SMTP Status code mismatch on continuation line",
        6 => "Invalid SMTP status code in server response",
        7 => "Invalid API function argument",
        8 => "Requested SMTP extension not available",
        11..=18 => return resolver_text(error),
        19 => "Unterminated server response",
        20 => "Client error",
        e if e < 0 => return os_text(e.checked_neg().unwrap_or(c_int::MAX)),
        e => return Cow::Owned(format!("Error {e}")),
    };
    Cow::Borrowed(fixed)
}

/// Codes 11–18 are the resolver's own texts (they follow the locale).
fn resolver_text(error: c_int) -> Cow<'static, str> {
    let eai = match error {
        11 => libc::EAI_FAIL,
        12 => libc::EAI_AGAIN,
        13 => libc::EAI_MEMORY,
        14 => libc::EAI_FAMILY,
        15 => libc::EAI_BADFLAGS,
        16 => libc::EAI_NONAME,
        17 => libc::EAI_SERVICE,
        _ => libc::EAI_SOCKTYPE,
    };
    // SAFETY: gai_strerror returns a pointer to a static NUL-terminated string.
    let text = unsafe { CStr::from_ptr(libc::gai_strerror(eai)) };
    Cow::Owned(text.to_string_lossy().into_owned())
}

/// The C library's text for a (positive) errno, as XSI strerror_r gives it.
fn os_text(errno: c_int) -> Cow<'static, str> {
    let mut buf = [0u8; 256];
    // SAFETY: `buf` is writable for its length; the libc crate binds the
    // XSI variant, which NUL-terminates within the buffer on success.
    let rc = unsafe { libc::strerror_r(errno, buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return Cow::Owned(format!("Unknown error {errno}"));
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    Cow::Owned(String::from_utf8_lossy(&buf[..end]).into_owned())
}

/// Writes the text of `error` into `buf` (truncated, always NUL-terminated)
/// and returns `buf`; NULL `buf` or zero length: NULL, SMTP_ERR_INVAL.
///
/// # Safety
/// `buf` is NULL or writable for `buflen` bytes.
#[no_mangle]
pub unsafe extern "C" fn smtp_strerror(
    error: c_int,
    buf: *mut c_char,
    buflen: usize,
) -> *mut c_char {
    guard(std::ptr::null_mut(), || {
        check_args!(!buf.is_null() && buflen > 0, std::ptr::null_mut());
        let text = error_text(error);
        let bytes = text.as_bytes();
        let n = bytes.len().min(buflen - 1);
        // SAFETY: `buf` is writable for `buflen` bytes and n + 1 <= buflen.
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), buf.cast::<u8>(), n);
            *buf.add(n) = 0;
        }
        buf
    })
}

#[cfg(test)]
mod tests {
    use super::error_text;

    #[test]
    fn texts_match_libesmtp() {
        assert_eq!(error_text(7), "Invalid API function argument");
        assert_eq!(error_text(9), "Error 9");
        assert_eq!(error_text(1000), "Error 1000");
        assert_eq!(error_text(1), "");
        assert_eq!(error_text(16), "Name or service not known");
        assert_eq!(error_text(-111), "Connection refused");
        assert_eq!(error_text(-99999), "Unknown error 99999");
    }
}
