//! One spare value per thread, kept from one use to the next: the buffers
//! that a session of one small message would otherwise allocate and free
//! every time.

use std::cell::Cell;
use std::thread::LocalKey;

/// A thread's slot for one spare value.
pub type Slot<T> = LocalKey<Cell<Option<T>>>;

/// The value this thread kept, if any.
pub fn take<T: 'static>(slot: &'static Slot<T>) -> Option<T> {
    slot.try_with(Cell::take).ok().flatten()
}

/// Keeps `value` for this thread's next use. During thread teardown the
/// slot is gone, and the value is dropped.
pub fn keep<T: 'static>(slot: &'static Slot<T>, value: T) {
    let _ = slot.try_with(|s| s.set(Some(value)));
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        static SLOT: Cell<Option<Vec<u8>>> = const { Cell::new(None) };
    }

    #[test]
    fn a_kept_value_is_taken_once() {
        assert_eq!(take(&SLOT), None);
        keep(&SLOT, vec![1, 2]);
        assert_eq!(take(&SLOT), Some(vec![1, 2]));
        assert_eq!(take(&SLOT), None);
        // Another thread has a slot of its own.
        keep(&SLOT, vec![3]);
        let other = std::thread::spawn(|| take(&SLOT)).join().ok().flatten();
        assert_eq!(other, None);
        assert_eq!(take(&SLOT), Some(vec![3]));
    }
}
