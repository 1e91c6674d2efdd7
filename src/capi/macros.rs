//! C ABI: the boundary guard every export runs in, and the argument check.

use std::panic::{catch_unwind, AssertUnwindSafe};

use super::errno::{set_errno, SMTP_ERR_CLIENT_ERROR};

/// Runs an export's body so that a panic never unwinds into C: a panic
/// (a bug) returns `fail` with `smtp_errno` set to SMTP_ERR_CLIENT_ERROR,
/// and the host process carries on.
pub fn guard<T>(fail: T, body: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(value) => value,
        Err(_) => {
            set_errno(SMTP_ERR_CLIENT_ERROR);
            fail
        }
    }
}

/// libESMTP's argument check: when `cond` is false, set SMTP_ERR_INVAL and
/// return `ret`.
macro_rules! check_args {
    ($cond:expr, $ret:expr) => {
        if !($cond) {
            $crate::capi::errno::set_errno($crate::capi::errno::SMTP_ERR_INVAL);
            return $ret;
        }
    };
}
