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

/// Status texts up to this length (with the NUL) live in the mirror itself,
/// without an allocation.
const INLINE_TEXT: usize = 48;

/// The C view of one core status, at a stable address for the object's
/// whole life (applications keep the pointer). Built lazily: only once the
/// application has asked for it ([`StatusMirror::get`]); from then on it is
/// refreshed ([`StatusMirror::refresh`]) whenever the core's serial number
/// moved, at the points where libESMTP's own struct would have changed
/// (events, the end of a run). A mirror nobody asked for cannot be seen,
/// so the engine does no work for it.
#[derive(Debug)]
pub struct StatusMirror {
    c: Cell<smtp_status>,
    /// Short text with its NUL.
    inline: RefCell<[u8; INLINE_TEXT]>,
    /// Longer text with its NUL (reused from one reply to the next).
    text: RefCell<Vec<u8>>,
    seen: Cell<Option<u64>>,
    /// The application has been given the pointer.
    handed_out: Cell<bool>,
}

impl Default for StatusMirror {
    fn default() -> Self {
        StatusMirror {
            c: Cell::new(smtp_status::EMPTY),
            inline: RefCell::new([0; INLINE_TEXT]),
            text: RefCell::new(Vec::new()),
            seen: Cell::new(None),
            handed_out: Cell::new(false),
        }
    }
}

impl StatusMirror {
    /// The pointer handed to C, brought up to date with `status`; from now
    /// on the mirror follows the core at every [`StatusMirror::refresh`].
    pub fn get(&self, status: &StatusCell) -> *const smtp_status {
        self.handed_out.set(true);
        self.sync(status);
        self.c.as_ptr()
    }

    /// Brings the mirror up to date with `status` if the application holds
    /// its pointer (otherwise nothing can observe it).
    pub fn refresh(&self, status: &StatusCell) {
        if self.handed_out.get() {
            self.sync(status);
        }
    }

    fn sync(&self, status: &StatusCell) {
        if self.seen.get() != Some(status.serial()) {
            status.with(|s| {
                let text_ptr = if s.text_null || (s.text.is_empty() && s.code == 0) {
                    std::ptr::null()
                } else {
                    // A NUL from the server would end the C string anyway.
                    let end = memchr(0, &s.text).unwrap_or(s.text.len());
                    let bytes = &s.text[..end];
                    if end < INLINE_TEXT {
                        let mut inline = self.inline.borrow_mut();
                        inline[..end].copy_from_slice(bytes);
                        inline[end] = 0;
                        inline.as_ptr().cast::<c_char>()
                    } else {
                        let mut text = self.text.borrow_mut();
                        text.clear();
                        text.reserve(end + 1);
                        text.extend_from_slice(bytes);
                        text.push(0);
                        text.as_ptr().cast::<c_char>()
                    }
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
    }
}
