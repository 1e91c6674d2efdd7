//! C ABI: `smtp_status_t` and the mirror that exposes a core status to C.

use std::cell::{Cell, RefCell};
use std::ffi::{c_char, c_int, CString};

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
    text: RefCell<Option<CString>>,
    seen: Cell<Option<u64>>,
}

impl Default for StatusMirror {
    fn default() -> Self {
        StatusMirror {
            c: Cell::new(smtp_status::EMPTY),
            text: RefCell::new(None),
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
                let text = if s.text_null || (s.text.is_empty() && s.code == 0) {
                    None
                } else {
                    // A NUL from the server would end the C string anyway.
                    let end = s.text.iter().position(|&b| b == 0).unwrap_or(s.text.len());
                    CString::new(&s.text[..end]).ok()
                };
                let text_ptr = text.as_ref().map_or(std::ptr::null(), |t| t.as_ptr());
                self.c.set(smtp_status {
                    code: s.code,
                    text: text_ptr,
                    enh_class: s.enh_class,
                    enh_subject: s.enh_subject,
                    enh_detail: s.enh_detail,
                });
                *self.text.borrow_mut() = text;
            });
            self.seen.set(Some(status.serial()));
        }
        self.c.as_ptr()
    }
}
