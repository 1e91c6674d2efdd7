//! The reply recorded for one protocol step (libESMTP's `smtp_status_t`, in Rust form).

use std::cell::{Cell, RefCell};

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
const INLINE_TEXT: usize = 30;

/// The text of one reply, inline when short, on the heap otherwise.
#[derive(Clone)]
pub struct StatusText(TextRepr);

#[derive(Clone)]
enum TextRepr {
    Inline { len: u8, bytes: [u8; INLINE_TEXT] },
    Heap(Vec<u8>),
}

impl StatusText {
    pub const fn new() -> StatusText {
        StatusText(TextRepr::Inline {
            len: 0,
            bytes: [0; INLINE_TEXT],
        })
    }

    pub fn as_slice(&self) -> &[u8] {
        match &self.0 {
            TextRepr::Inline { len, bytes } => &bytes[..usize::from(*len)],
            TextRepr::Heap(v) => v,
        }
    }

    pub fn extend_from_slice(&mut self, more: &[u8]) {
        match &mut self.0 {
            TextRepr::Inline { len, bytes } => {
                let have = usize::from(*len);
                let total = have + more.len();
                if total <= INLINE_TEXT {
                    bytes[have..total].copy_from_slice(more);
                    // `total` fits in a u8: INLINE_TEXT is below 256.
                    *len = total as u8;
                } else {
                    let mut heap = Vec::with_capacity(total);
                    heap.extend_from_slice(&bytes[..have]);
                    heap.extend_from_slice(more);
                    self.0 = TextRepr::Heap(heap);
                }
            }
            TextRepr::Heap(v) => v.extend_from_slice(more),
        }
    }
}

impl Default for StatusText {
    fn default() -> Self {
        StatusText::new()
    }
}

impl std::ops::Deref for StatusText {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl From<&[u8]> for StatusText {
    fn from(bytes: &[u8]) -> Self {
        let mut text = StatusText::new();
        text.extend_from_slice(bytes);
        text
    }
}

impl PartialEq for StatusText {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for StatusText {}

impl<const N: usize> PartialEq<&[u8; N]> for StatusText {
    fn eq(&self, other: &&[u8; N]) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl PartialEq<&[u8]> for StatusText {
    fn eq(&self, other: &&[u8]) -> bool {
        self.as_slice() == *other
    }
}

impl PartialEq<Vec<u8>> for StatusText {
    fn eq(&self, other: &Vec<u8>) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl std::fmt::Debug for StatusText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_slice()))
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_texts_stay_inline_and_long_ones_move_to_the_heap() {
        let mut text = StatusText::from(&b"2.1.5 Ok\r\n"[..]);
        assert!(matches!(text.0, TextRepr::Inline { .. }));
        assert_eq!(text, b"2.1.5 Ok\r\n");
        let exact = [b'x'; INLINE_TEXT];
        let mut full = StatusText::from(&exact[..]);
        assert!(matches!(full.0, TextRepr::Inline { .. }));
        full.extend_from_slice(b"y");
        assert!(matches!(full.0, TextRepr::Heap(_)));
        assert_eq!(full.len(), INLINE_TEXT + 1);
        assert_eq!(full.last(), Some(&b'y'));
        text.extend_from_slice(&[b'z'; 100]);
        assert_eq!(&text[..10], b"2.1.5 Ok\r\n");
        assert_eq!(text.len(), 110);
        text.extend_from_slice(b"!");
        assert_eq!(text.len(), 111);
    }

    #[test]
    fn equality_looks_at_the_bytes_only() {
        let mut grown = StatusText::new();
        for b in b"queued\r\n" {
            grown.extend_from_slice(&[*b]);
        }
        assert_eq!(grown, StatusText::from(&b"queued\r\n"[..]));
        assert_eq!(StatusText::default(), StatusText::new());
        assert!(StatusText::new().is_empty());
        assert_eq!(format!("{:?}", grown), "\"queued\\r\\n\"");
    }
}
