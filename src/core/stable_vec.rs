//! A list whose elements never move: for the handles given to C, and for
//! recipients, whose mailbox strings C reads in place.
//!
//! C keeps a handle's address for the life of its session, so a handle
//! cannot live in a plain `Vec` (which moves its elements when it grows).
//! Boxing each element costs an allocation per recipient; here elements live
//! in chunks of 1, 2, 4, 8, … slots, each allocated once at its full size
//! and never grown, so an element keeps its address and 100,000 recipients
//! take 17 allocations. The first chunk (one slot) has a field of its own,
//! so the common list of one element (a message's single recipient) costs
//! a single allocation.

/// Appends only; index `i` lives in chunk `log2(i + 1)`: chunk 0 is
/// `first`, chunk `k > 0` is `rest[k - 1]`.
pub struct StableVec<T> {
    first: Vec<T>,
    rest: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for StableVec<T> {
    fn default() -> Self {
        StableVec {
            first: Vec::new(),
            rest: Vec::new(),
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
        if chunk == 0 {
            self.first.reserve_exact(1);
        } else if chunk > self.rest.len() {
            // Full size at once: this chunk must never reallocate.
            self.rest.push(Vec::with_capacity(1 << chunk));
        }
        self.len += 1;
        let slots = self.chunk_mut(chunk);
        debug_assert!(slots.len() < slots.capacity());
        slots.push(value);
        let last = slots.len() - 1;
        &mut slots[last]
    }

    fn chunk(&self, chunk: usize) -> Option<&Vec<T>> {
        match chunk {
            0 => Some(&self.first),
            k => self.rest.get(k - 1),
        }
    }

    /// Only for a chunk that exists (`push` made it).
    fn chunk_mut(&mut self, chunk: usize) -> &mut Vec<T> {
        match chunk {
            0 => &mut self.first,
            k => &mut self.rest[k - 1],
        }
    }

    pub fn get(&self, index: usize) -> Option<&T> {
        if index >= self.len {
            return None;
        }
        let (chunk, slot) = locate(index);
        self.chunk(chunk).and_then(|c| c.get(slot))
    }

    pub fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        if index >= self.len {
            return None;
        }
        let (chunk, slot) = locate(index);
        self.chunk_mut(chunk).get_mut(slot)
    }

    /// The elements in order.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.into_iter()
    }

    pub fn last_mut(&mut self) -> Option<&mut T> {
        match self.rest.last_mut() {
            Some(chunk) => chunk.last_mut(),
            None => self.first.last_mut(),
        }
    }
}

impl<T> std::ops::Index<usize> for StableVec<T> {
    type Output = T;
    fn index(&self, index: usize) -> &T {
        let (chunk, slot) = locate(index);
        match chunk {
            0 => &self.first[slot],
            k => &self.rest[k - 1][slot],
        }
    }
}

impl<T> std::ops::IndexMut<usize> for StableVec<T> {
    fn index_mut(&mut self, index: usize) -> &mut T {
        let (chunk, slot) = locate(index);
        &mut self.chunk_mut(chunk)[slot]
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
    type IntoIter =
        std::iter::Chain<std::slice::Iter<'a, T>, std::iter::Flatten<std::slice::Iter<'a, Vec<T>>>>;
    fn into_iter(self) -> Self::IntoIter {
        self.first.iter().chain(self.rest.iter().flatten())
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
        assert_eq!((list.first.len(), list.rest.len()), (1, 9));
        if let Some(e) = list.get_mut(7) {
            *e = 70;
        }
        assert_eq!(list.get(7), Some(&70));
        assert_eq!((list[0], list[7], list[999]), (0, 70, 999));
        list[0] = 5;
        assert_eq!(list.last_mut().map(|e| *e), Some(999));
        assert_eq!((&list).into_iter().next(), Some(&5));

        let mut one = StableVec::default();
        assert!(one.last_mut().is_none());
        let at = one.push(42u32) as usize;
        assert_eq!(one.get(0).map(|e| e as *const u32 as usize), Some(at));
        assert_eq!(one.last_mut().map(|e| *e), Some(42));
        assert!(one.rest.is_empty() && one.get(1).is_none());
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
