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

/// libESMTP keeps only this many characters of an EHLO keyword.
const KEYWORD_MAX: usize = 31;

/// What one EHLO reply said about the server (spec 5.3).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EhloInfo {
    pub extensions: ExtSet,
    /// `SIZE <n>` (0 when absent); parsed but never compared (spec 12.2).
    pub size_limit: u64,
    /// `DELIVERBY <n>`: the server's minimum by-time in seconds (0 when absent).
    pub deliverby_min: i64,
    /// Mechanisms from `AUTH …` and `AUTH=…` lines, in first-seen order,
    /// without case-insensitive duplicates.
    pub auth_mechanisms: Vec<String>,
}

/// An RFC 5321 "atom" character, as libESMTP's keyword scanner sees it.
fn is_atom_char(b: u8) -> bool {
    ATOM_CHARS[usize::from(b)]
}

/// [`is_atom_char`] as a table: EHLO keywords are scanned a byte at a time.
static ATOM_CHARS: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0x21;
    while b <= 0x7e {
        table[b] = true;
        b += 1;
    }
    let specials = b"()<>[]@,;:\\.\"";
    let mut i = 0;
    while i < specials.len() {
        table[specials[i] as usize] = false;
        i += 1;
    }
    table
};

fn parse_decimal(args: &[u8]) -> i64 {
    crate::core::reply::strtol(args, 0).map_or(0, |(v, _)| v)
}

impl EhloInfo {
    pub fn has(&self, ext: ExtSet) -> bool {
        self.extensions.contains(ext)
    }

    /// Parses the text of one EHLO continuation line (after the code and
    /// separator; may end in CRLF).
    pub fn parse_line(&mut self, line: &[u8]) {
        let mut i = 0;
        while i < line.len() && (line[i] == b' ' || line[i] == b'\t') {
            i += 1;
        }
        let start = i;
        while i < line.len() && is_atom_char(line[i]) {
            i += 1;
        }
        if i == start {
            return;
        }
        let keyword_full = &line[start..i];
        let keyword = &keyword_full[..keyword_full.len().min(KEYWORD_MAX)];
        let args = &line[i..];
        let is = |name: &str| keyword.eq_ignore_ascii_case(name.as_bytes());
        let ext = if is("ENHANCEDSTATUSCODES") {
            ExtSet::ENHANCEDSTATUSCODES
        } else if is("PIPELINING") {
            ExtSet::PIPELINING
        } else if is("DSN") {
            ExtSet::DSN
        } else if is("AUTH") {
            self.add_mechanisms(args);
            ExtSet::AUTH
        } else if keyword.len() >= 5 && keyword[..5].eq_ignore_ascii_case(b"AUTH=") {
            // The old form: the first mechanism is glued to the keyword.
            self.add_mechanisms(&keyword_full[5..]);
            self.add_mechanisms(args);
            ExtSet::AUTH
        } else if is("STARTTLS") {
            ExtSet::STARTTLS
        } else if is("SIZE") {
            self.size_limit = u64::try_from(parse_decimal(args)).unwrap_or(0);
            ExtSet::SIZE
        } else if is("CHUNKING") {
            ExtSet::CHUNKING
        } else if is("BINARYMIME") {
            ExtSet::BINARYMIME
        } else if is("8BITMIME") {
            ExtSet::EIGHTBITMIME
        } else if is("DELIVERBY") {
            self.deliverby_min = parse_decimal(args);
            ExtSet::DELIVERBY
        } else if is("ETRN") {
            ExtSet::ETRN
        } else if is("XUSR") {
            ExtSet::XUSR
        } else if is("XEXCH50") {
            ExtSet::XEXCH50
        } else {
            return;
        };
        self.extensions.insert(ext);
    }

    fn add_mechanisms(&mut self, args: &[u8]) {
        // One parser for the AUTH list: libESMTP's, which keeps only atom
        // characters (a server cannot smuggle odd bytes into a name).
        crate::core::sasl::smtp::add_mechanisms(&mut self.auth_mechanisms, args);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atom_chars_are_printable_ascii_but_the_specials() {
        for b in 0..=255u8 {
            let expected = (0x21..=0x7e).contains(&b) && !b"()<>[]@,;:\\.\"".contains(&b);
            assert_eq!(is_atom_char(b), expected, "byte {b:#x}");
        }
        assert!(is_atom_char(b'A') && is_atom_char(b'=') && is_atom_char(b'-'));
        assert!(!is_atom_char(b' ') && !is_atom_char(b'.') && !is_atom_char(0x80));
    }

    fn parse(lines: &[&str]) -> EhloInfo {
        let mut info = EhloInfo::default();
        for l in lines {
            info.parse_line(l.as_bytes());
        }
        info
    }

    #[test]
    fn keywords() {
        let info = parse(&[
            "PIPELINING\r\n",
            "enhancedstatuscodes\r\n",
            "SIZE 1000000\r\n",
            "DSN\r\n",
            "8BITMIME\r\n",
            "DELIVERBY 240\r\n",
            "XUSR\r\n",
            "CHUNKING\r\n",
            "BINARYMIME\r\n",
            "ETRN\r\n",
            "XEXCH50\r\n",
            "STARTTLS\r\n",
            "X-UNKNOWN foo\r\n",
        ]);
        for ext in [
            ExtSet::PIPELINING,
            ExtSet::ENHANCEDSTATUSCODES,
            ExtSet::SIZE,
            ExtSet::DSN,
            ExtSet::EIGHTBITMIME,
            ExtSet::DELIVERBY,
            ExtSet::XUSR,
            ExtSet::CHUNKING,
            ExtSet::BINARYMIME,
            ExtSet::ETRN,
            ExtSet::XEXCH50,
            ExtSet::STARTTLS,
        ] {
            assert!(info.has(ext), "{ext:?}");
        }
        assert!(!info.has(ExtSet::AUTH));
        assert_eq!((info.size_limit, info.deliverby_min), (1_000_000, 240));
    }

    #[test]
    fn size_equals_is_not_size_and_size_alone_is_zero() {
        assert!(!parse(&["SIZE=1000\r\n"]).has(ExtSet::SIZE));
        let info = parse(&["SIZE\r\n"]);
        assert!(info.has(ExtSet::SIZE));
        assert_eq!(info.size_limit, 0);
    }

    #[test]
    fn auth_lists_merge() {
        let info = parse(&["AUTH=LOGIN\r\n", "AUTH PLAIN login CRAM-MD5\r\n"]);
        assert!(info.has(ExtSet::AUTH));
        assert_eq!(info.auth_mechanisms, vec!["LOGIN", "PLAIN", "CRAM-MD5"]);
        let info = parse(&["auth=plain login\r\n"]);
        assert_eq!(info.auth_mechanisms, vec!["plain", "login"]);
    }

    #[test]
    fn non_atom_start_is_ignored() {
        assert_eq!(
            parse(&["(PIPELINING)\r\n", "\r\n", ""]),
            EhloInfo::default()
        );
        assert!(parse(&["  PIPELINING\r\n"]).has(ExtSet::PIPELINING));
    }
}
