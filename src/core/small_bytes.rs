//! Short byte strings stored in place, longer ones on the heap: reply
//! texts and mailboxes, of which a session may hold hundreds of
//! thousands, mostly a few dozen bytes long.

/// Up to `N` bytes (`N` below 256) in place, more on the heap.
#[derive(Clone)]
pub struct SmallBytes<const N: usize>(Repr<N>);

#[derive(Clone)]
enum Repr<const N: usize> {
    Inline { len: u8, bytes: [u8; N] },
    Heap(Vec<u8>),
}

impl<const N: usize> SmallBytes<N> {
    pub const fn new() -> Self {
        SmallBytes(Repr::Inline {
            len: 0,
            bytes: [0; N],
        })
    }

    /// The pieces one after the other, allocated once when they do not fit.
    pub fn concat(pieces: &[&[u8]]) -> Self {
        let total: usize = pieces.iter().map(|p| p.len()).sum();
        if total > N {
            return SmallBytes(Repr::Heap(pieces.concat()));
        }
        let mut bytes = [0u8; N];
        let mut at = 0;
        for piece in pieces {
            bytes[at..at + piece.len()].copy_from_slice(piece);
            at += piece.len();
        }
        // `total <= N`, and `N` is below 256: it fits in a u8.
        SmallBytes(Repr::Inline {
            len: total as u8,
            bytes,
        })
    }

    /// Whether the bytes are stored in place.
    pub fn is_inline(&self) -> bool {
        matches!(self.0, Repr::Inline { .. })
    }

    pub fn as_slice(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline { len, bytes } => &bytes[..usize::from(*len)],
            Repr::Heap(v) => v,
        }
    }

    pub fn extend_from_slice(&mut self, more: &[u8]) {
        match &mut self.0 {
            Repr::Inline { len, bytes } => {
                let have = usize::from(*len);
                let total = have + more.len();
                if total <= N {
                    bytes[have..total].copy_from_slice(more);
                    // `total <= N`, and `N` is below 256: it fits in a u8.
                    *len = total as u8;
                } else {
                    let mut heap = Vec::with_capacity(total);
                    heap.extend_from_slice(&bytes[..have]);
                    heap.extend_from_slice(more);
                    self.0 = Repr::Heap(heap);
                }
            }
            Repr::Heap(v) => v.extend_from_slice(more),
        }
    }
}

impl<const N: usize> Default for SmallBytes<N> {
    fn default() -> Self {
        SmallBytes::new()
    }
}

impl<const N: usize> std::ops::Deref for SmallBytes<N> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl<const N: usize> From<&[u8]> for SmallBytes<N> {
    fn from(bytes: &[u8]) -> Self {
        SmallBytes::concat(&[bytes])
    }
}

impl<const N: usize> PartialEq for SmallBytes<N> {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<const N: usize> Eq for SmallBytes<N> {}

impl<const N: usize, const M: usize> PartialEq<&[u8; M]> for SmallBytes<N> {
    fn eq(&self, other: &&[u8; M]) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<const N: usize> PartialEq<&[u8]> for SmallBytes<N> {
    fn eq(&self, other: &&[u8]) -> bool {
        self.as_slice() == *other
    }
}

impl<const N: usize> PartialEq<Vec<u8>> for SmallBytes<N> {
    fn eq(&self, other: &Vec<u8>) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<const N: usize> std::fmt::Debug for SmallBytes<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_slice()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Text = SmallBytes<30>;

    #[test]
    fn short_texts_stay_inline_and_long_ones_move_to_the_heap() {
        let mut text = Text::from(&b"2.1.5 Ok\r\n"[..]);
        assert!(text.is_inline());
        assert_eq!(text, b"2.1.5 Ok\r\n");
        let exact = [b'x'; 30];
        let mut full = Text::from(&exact[..]);
        assert!(full.is_inline());
        full.extend_from_slice(b"y");
        assert!(!full.is_inline());
        assert_eq!(full.len(), 30 + 1);
        assert_eq!(full.last(), Some(&b'y'));
        text.extend_from_slice(&[b'z'; 100]);
        assert_eq!(&text[..10], b"2.1.5 Ok\r\n");
        assert_eq!(text.len(), 110);
        text.extend_from_slice(b"!");
        assert_eq!(text.len(), 111);
    }

    #[test]
    fn equality_looks_at_the_bytes_only() {
        let mut grown = Text::new();
        for b in b"queued\r\n" {
            grown.extend_from_slice(&[*b]);
        }
        assert_eq!(grown, Text::from(&b"queued\r\n"[..]));
        assert_eq!(Text::default(), Text::new());
        assert!(Text::new().is_empty());
        assert_eq!(format!("{:?}", grown), "\"queued\\r\\n\"");
    }
}
