//! Bytes that may hold credentials: zeroed on drop, hidden from `Debug`.

use std::fmt;

/// A byte buffer holding credentials or a response built from them.
///
/// The buffer is overwritten with zeros when dropped. Build it at its final
/// size ([`Secret::with_capacity`] + `extend`) so that no reallocation
/// leaves a copy behind. `Debug` prints only the length.
#[derive(Default)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// An empty secret with room for `n` bytes.
    pub fn with_capacity(n: usize) -> Secret {
        Secret(Vec::with_capacity(n))
    }

    /// Takes ownership of `v` (it is zeroed on drop from now on).
    pub fn new(v: Vec<u8>) -> Secret {
        Secret(v)
    }

    /// A copy of `bytes`.
    pub fn from_slice(bytes: &[u8]) -> Secret {
        let mut s = Secret::with_capacity(bytes.len());
        s.0.extend_from_slice(bytes);
        s
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Appends bytes. Callers size the buffer first (see the type's doc).
    pub fn extend(&mut self, bytes: &[u8]) {
        if self.0.capacity() - self.0.len() < bytes.len() {
            // Grow by hand so that the old allocation is zeroed too.
            let mut bigger = Vec::with_capacity(self.0.len() + bytes.len());
            bigger.extend_from_slice(&self.0);
            wipe(&mut self.0);
            self.0 = bigger;
        }
        self.0.extend_from_slice(bytes);
    }

    /// Appends one byte.
    pub fn push(&mut self, b: u8) {
        self.extend(&[b]);
    }
}

/// Overwrites `v` (its whole initialised length) with zeros.
pub(crate) fn wipe(v: &mut [u8]) {
    for b in v.iter_mut() {
        *b = 0;
    }
    // Keep the stores: the optimiser must assume the zeroed buffer is read.
    std::hint::black_box(&*v);
}

impl Drop for Secret {
    fn drop(&mut self) {
        wipe(&mut self.0);
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({} bytes)", self.0.len())
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl Eq for Secret {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_content() {
        let s = Secret::from_slice(b"hunter2");
        let d = format!("{s:?}");
        assert_eq!(d, "Secret(7 bytes)");
        assert!(!d.contains("hunter2"));
    }

    #[test]
    fn extend_grows() {
        let mut s = Secret::with_capacity(1);
        s.extend(b"ab");
        s.push(b'c');
        assert_eq!(s.as_bytes(), b"abc");
    }
}
