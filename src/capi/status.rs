//! C ABI: `smtp_status_t` and the mirror that exposes a core status to C.

use std::cell::{Cell, RefCell};
use std::ffi::{c_char, c_int};

use crate::sys::mem::memchr;

use crate::core::status::StatusCell;

/// `struct smtp_status` (`smtp_status_t`), laid out as libESMTP's.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct smtp_status {
    pub code: c_int,
    pub text: *const c_char,
    pub enh_class: c_int,
    pub enh_subject: c_int,
    pub enh_detail: c_int,
}

impl smtp_status {
    const EMPTY: smtp_status = smtp_status {
        code: 0,
        text: std::ptr::null(),
        enh_class: 0,
        enh_subject: 0,
        enh_detail: 0,
    };
}

/// The C view of one core status, at a stable address for the object's
/// whole life (applications keep the pointer). Refreshed from the core when
/// the core's serial number moved.
#[derive(Debug)]
pub struct StatusMirror {
    c: Cell<smtp_status>,
    /// The text with its NUL (reused from one reply to the next).
    text: RefCell<Vec<u8>>,
    seen: Cell<Option<u64>>,
}

impl Default for StatusMirror {
    fn default() -> Self {
        StatusMirror {
            c: Cell::new(smtp_status::EMPTY),
            text: RefCell::new(Vec::new()),
            seen: Cell::new(None),
        }
    }
}

impl StatusMirror {
    /// Brings the mirror up to date with `status` and returns the pointer
    /// handed to C.
    pub fn sync(&self, status: &StatusCell) -> *const smtp_status {
        if self.seen.get() != Some(status.serial()) {
            status.with(|s| {
                let mut text = self.text.borrow_mut();
                text.clear();
                let text_ptr = if s.text_null || (s.text.is_empty() && s.code == 0) {
                    std::ptr::null()
                } else {
                    // A NUL from the server would end the C string anyway.
                    let end = memchr(0, &s.text).unwrap_or(s.text.len());
                    text.reserve(end + 1);
                    text.extend_from_slice(&s.text[..end]);
                    text.push(0);
                    text.as_ptr().cast::<c_char>()
                };
                self.c.set(smtp_status {
                    code: s.code,
                    text: text_ptr,
                    enh_class: s.enh_class,
                    enh_subject: s.enh_subject,
                    enh_detail: s.enh_detail,
                });
            });
            self.seen.set(Some(status.serial()));
        }
        self.c.as_ptr()
    }
}
