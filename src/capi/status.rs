//! C ABI: `smtp_status_t` and the mirror that exposes a core status to C.

use std::cell::Cell;
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
/// without an allocation ("Ok", "2.1.5 Ok" and the like).
const INLINE_TEXT: usize = 24;

/// `seen` before the application was first given the pointer.
const NOT_HANDED_OUT: u64 = u64::MAX;

/// The C view of one core status, at a stable address for the object's
/// whole life (applications keep the pointer). Built lazily: only once the
/// application has asked for it ([`StatusMirror::get`]); from then on it is
/// refreshed ([`StatusMirror::refresh`]) whenever the core's serial number
/// moved, at the points where libESMTP's own struct would have changed
/// (events, the end of a run). A mirror nobody asked for cannot be seen,
/// so the engine does no work for it. Kept small: there is one per
/// recipient, and sessions with 100,000 recipients exist.
pub struct StatusMirror {
    c: Cell<smtp_status>,
    /// Short text with its NUL.
    inline: Cell<[u8; INLINE_TEXT]>,
    /// Longer text with its NUL.
    heap: Cell<Option<Box<[u8]>>>,
    /// The core serial last mirrored, or [`NOT_HANDED_OUT`].
    seen: Cell<u64>,
}

impl Default for StatusMirror {
    fn default() -> Self {
        StatusMirror {
            c: Cell::new(smtp_status::EMPTY),
            inline: Cell::new([0; INLINE_TEXT]),
            heap: Cell::new(None),
            seen: Cell::new(NOT_HANDED_OUT),
        }
    }
}

impl std::fmt::Debug for StatusMirror {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusMirror")
            .field("c", &self.c.get())
            .field("seen", &self.seen.get())
            .finish()
    }
}

impl StatusMirror {
    /// The pointer handed to C, brought up to date with `status`; from now
    /// on the mirror follows the core at every [`StatusMirror::refresh`].
    pub fn get(&self, status: &StatusCell) -> *const smtp_status {
        self.sync(status);
        self.c.as_ptr()
    }

    /// Brings the mirror up to date with `status` if the application holds
    /// its pointer (otherwise nothing can observe it).
    pub fn refresh(&self, status: &StatusCell) {
        if self.seen.get() != NOT_HANDED_OUT {
            self.sync(status);
        }
    }

    fn sync(&self, status: &StatusCell) {
        let serial = status.serial();
        if self.seen.get() == serial {
            return;
        }
        status.with(|s| {
            let text_ptr = if s.text_null || (s.text.is_empty() && s.code == 0) {
                std::ptr::null()
            } else {
                // A NUL from the server would end the C string anyway.
                let end = memchr(0, &s.text).unwrap_or(s.text.len());
                let bytes = &s.text[..end];
                if end < INLINE_TEXT {
                    let mut inline = [0u8; INLINE_TEXT];
                    inline[..end].copy_from_slice(bytes);
                    self.inline.set(inline);
                    self.inline.as_ptr().cast::<c_char>()
                } else {
                    let mut text = Vec::with_capacity(end + 1);
                    text.extend_from_slice(bytes);
                    text.push(0);
                    let text = text.into_boxed_slice();
                    let ptr = text.as_ptr().cast::<c_char>();
                    // The previous text (if any) is freed here, as
                    // libESMTP frees the old text when a status changes.
                    self.heap.set(Some(text));
                    ptr
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
        // A serial of u64::MAX would take 2^64 updates: not reachable.
        self.seen.set(serial);
    }
}
