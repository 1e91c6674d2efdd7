//! The reply recorded for one protocol step (libESMTP's `smtp_status_t`, in Rust form).

use std::cell::{Cell, RefCell};

use super::small_bytes::SmallBytes;

/// One recorded server reply: code, text (each line's text with its CRLF,
/// concatenated, as libESMTP keeps it) and the RFC 3463 enhanced code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Status {
    pub code: i32,
    pub text: StatusText,
    /// The reply failed to parse: C sees a NULL text whatever the code.
    pub text_null: bool,
    pub enh_class: i32,
    pub enh_subject: i32,
    pub enh_detail: i32,
}

/// Reply texts up to this many bytes are stored inside the status itself:
/// the usual "2.1.5 Ok" texts then cost no allocation per reply, which
/// matters with thousands of recipients or messages per session.
pub type StatusText = SmallBytes<30>;

/// A status that the protocol engine updates while C callbacks may read it.
///
/// The engine only ever holds `&Session`, so statuses need interior
/// mutability. `serial` changes on every update, which lets the C layer
/// refresh its `smtp_status_t` mirror only when something changed.
#[derive(Debug, Default)]
pub struct StatusCell {
    value: RefCell<Status>,
    serial: Cell<u64>,
}

impl StatusCell {
    pub fn set(&self, status: Status) {
        *self.value.borrow_mut() = status;
        self.serial.set(self.serial.get().wrapping_add(1));
    }

    pub fn reset(&self) {
        self.set(Status::default());
    }

    pub fn get(&self) -> Status {
        self.value.borrow().clone()
    }

    pub fn code(&self) -> i32 {
        self.value.borrow().code
    }

    pub fn serial(&self) -> u64 {
        self.serial.get()
    }

    /// Runs `f` on the current value without cloning it.
    pub fn with<R>(&self, f: impl FnOnce(&Status) -> R) -> R {
        f(&self.value.borrow())
    }
}
