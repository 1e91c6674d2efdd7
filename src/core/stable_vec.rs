//! A list whose elements never move: for the handles given to C, and for
//! recipients, whose mailbox strings C reads in place.
//!
//! C keeps a handle's address for the life of its session, so a handle
//! cannot live in a plain `Vec` (which moves its elements when it grows).
//! Boxing each element costs an allocation per recipient; here elements live
//! in chunks of 1, 2, 4, 8, … slots, each allocated once at its full size
//! and never grown, so an element keeps its address and 100,000 recipients
//! take 17 allocations.

/// Appends only; index `i` lives in chunk `log2(i + 1)`.
pub struct StableVec<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for StableVec<T> {
    fn default() -> Self {
        StableVec {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

/// The chunk and the slot within it of element `index`.
fn locate(index: usize) -> (usize, usize) {
    let n = index + 1;
    let chunk = (usize::BITS - 1 - n.leading_zeros()) as usize;
    (chunk, n - (1 << chunk))
}

impl<T> StableVec<T> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends `value` and returns its address, valid until the list is
    /// dropped.
    pub fn push(&mut self, value: T) -> *mut T {
        let (chunk, _) = locate(self.len);
        if chunk == self.chunks.len() {
            // Full size at once: this chunk must never reallocate.
            self.chunks.push(Vec::with_capacity(1 << chunk));
        }
        self.len += 1;
        let slots = &mut self.chunks[chunk];
        debug_assert!(slots.len() < slots.capacity());
        slots.push(value);
        let last = slots.len() - 1;
        &mut slots[last]
    }

    pub fn get(&self, index: usize) -> Option<&T> {
        if index >= self.len {
            return None;
        }
        let (chunk, slot) = locate(index);
        self.chunks.get(chunk).and_then(|c| c.get(slot))
    }

    pub fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        if index >= self.len {
            return None;
        }
        let (chunk, slot) = locate(index);
        self.chunks.get_mut(chunk).and_then(|c| c.get_mut(slot))
    }

    /// The elements in order.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.chunks.iter().flatten()
    }

    pub fn last_mut(&mut self) -> Option<&mut T> {
        self.chunks.last_mut().and_then(|c| c.last_mut())
    }
}

impl<T> std::ops::Index<usize> for StableVec<T> {
    type Output = T;
    fn index(&self, index: usize) -> &T {
        let (chunk, slot) = locate(index);
        &self.chunks[chunk][slot]
    }
}

impl<T> std::ops::IndexMut<usize> for StableVec<T> {
    fn index_mut(&mut self, index: usize) -> &mut T {
        let (chunk, slot) = locate(index);
        &mut self.chunks[chunk][slot]
    }
}

impl<T> FromIterator<T> for StableVec<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut list = StableVec::default();
        for value in iter {
            list.push(value);
        }
        list
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for StableVec<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a, T> IntoIterator for &'a StableVec<T> {
    type Item = &'a T;
    type IntoIter = std::iter::Flatten<std::slice::Iter<'a, Vec<T>>>;
    fn into_iter(self) -> Self::IntoIter {
        self.chunks.iter().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_keep_their_address_and_order() {
        let mut list = StableVec::default();
        let mut addresses = Vec::new();
        for i in 0..1000usize {
            addresses.push(list.push(i) as usize);
        }
        assert_eq!(list.len(), 1000);
        for (i, addr) in addresses.iter().enumerate() {
            let element = list.get(i).map(|e| e as *const usize as usize);
            assert_eq!(element, Some(*addr));
            assert_eq!(list.get(i), Some(&i));
        }
        assert!(list.iter().copied().eq(0..1000));
        assert!(list.get(1000).is_none());
        assert_eq!(list.chunks.len(), 10);
        if let Some(e) = list.get_mut(7) {
            *e = 70;
        }
        assert_eq!(list.get(7), Some(&70));
    }

    #[test]
    fn chunk_layout() {
        assert_eq!(locate(0), (0, 0));
        assert_eq!(locate(1), (1, 0));
        assert_eq!(locate(2), (1, 1));
        assert_eq!(locate(3), (2, 0));
        assert_eq!(locate(6), (2, 3));
        assert_eq!(locate(7), (3, 0));
        let empty: StableVec<u8> = StableVec::default();
        assert!(empty.is_empty() && empty.get(0).is_none());
    }
}
