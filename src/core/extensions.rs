//! SMTP service extensions: the set a server offers (parsed from its EHLO
//! reply) and the set a session requires.

/// A set of SMTP extensions, as bits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExtSet(pub u32);

impl ExtSet {
    pub const ENHANCEDSTATUSCODES: ExtSet = ExtSet(1 << 0);
    pub const PIPELINING: ExtSet = ExtSet(1 << 1);
    pub const DSN: ExtSet = ExtSet(1 << 2);
    pub const AUTH: ExtSet = ExtSet(1 << 3);
    pub const STARTTLS: ExtSet = ExtSet(1 << 4);
    pub const SIZE: ExtSet = ExtSet(1 << 5);
    pub const CHUNKING: ExtSet = ExtSet(1 << 6);
    pub const BINARYMIME: ExtSet = ExtSet(1 << 7);
    pub const EIGHTBITMIME: ExtSet = ExtSet(1 << 8);
    pub const DELIVERBY: ExtSet = ExtSet(1 << 9);
    pub const ETRN: ExtSet = ExtSet(1 << 10);
    pub const XUSR: ExtSet = ExtSet(1 << 11);
    pub const XEXCH50: ExtSet = ExtSet(1 << 12);

    pub const fn empty() -> ExtSet {
        ExtSet(0)
    }

    pub const fn contains(self, other: ExtSet) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn insert(&mut self, other: ExtSet) {
        self.0 |= other.0;
    }

    pub fn remove(&mut self, other: ExtSet) {
        self.0 &= !other.0;
    }
}

impl std::ops::BitOr for ExtSet {
    type Output = ExtSet;
    fn bitor(self, rhs: ExtSet) -> ExtSet {
        ExtSet(self.0 | rhs.0)
    }
}
