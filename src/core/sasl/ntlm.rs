//! NTLM (NTLMv1 with LM response, MS-NLMP), done right.
//!
//! Three messages: the client's NEGOTIATE (type 1) is the initial response,
//! the server's CHALLENGE (type 2) brings an 8-byte nonce, the client answers
//! with AUTHENTICATE (type 3).
//!
//! Differences from libESMTP 1.1.0, whose module is broken (Q17):
//! - domain, user and workstation are really sent (1.1.0 sends them empty);
//! - DES keys come from all bytes of the hashes (1.1.0 truncates them at the
//!   first zero byte, so some pass phrases give wrong responses);
//! - type 1 sets the "domain supplied" / "workstation supplied" flags when
//!   it carries them; type 3 strings are UTF-16LE when the server negotiated
//!   Unicode, OEM (the bytes as given) otherwise (1.1.0: always UTF-16LE of
//!   the upper-cased string); domain and user are sent as the application
//!   gave them, the workstation upper-cased;
//! - the application's answers are copied (1.1.0 keeps the pointers until
//!   the next step, Q27);
//! - a type 2 of 32 bytes (the minimal form without target info) is accepted
//!   (1.1.0 wants 40);
//! - the NTLM2-session-security flag is cleared from the flags echoed in the
//!   type 3, since the responses are plain NTLMv1.
//!
//! Pass phrases and names are UTF-8 → UTF-16LE; bytes that are not valid
//! UTF-8 are widened one by one (Latin-1), as 1.1.0 did for every byte.

use super::crypto::{des_block, md4};
use super::secret::wipe;
use super::{answer, Env, Mechanism, MechanismInfo, Request, Secret};
use super::{AUTH_CLEARTEXT, AUTH_REALM, PASSPHRASE_REQUEST, USER_REQUEST};

/// The interact request array (tls-auth.md §9.8).
pub const REQUESTS: [Request; 3] = [
    Request {
        name: "domain",
        flags: AUTH_CLEARTEXT | AUTH_REALM,
        prompt: "Domain",
        size: 0,
    },
    USER_REQUEST,
    PASSPHRASE_REQUEST,
];

pub const INFO: MechanismInfo = MechanismInfo {
    keyword: "NTLM",
    description: "NTLM Authentication Mechanism (Microsoft)",
    flags: 0,
    ssf: 0,
    start,
};

const SIGNATURE: &[u8; 8] = b"NTLMSSP\0";
pub const NEGOTIATE_UNICODE: u32 = 0x0000_0001;
pub const NEGOTIATE_OEM: u32 = 0x0000_0002;
pub const NEGOTIATE_NTLM: u32 = 0x0000_0200;
pub const NEGOTIATE_OEM_DOMAIN_SUPPLIED: u32 = 0x0000_1000;
pub const NEGOTIATE_OEM_WORKSTATION_SUPPLIED: u32 = 0x0000_2000;
pub const NEGOTIATE_ALWAYS_SIGN: u32 = 0x0000_8000;
pub const NEGOTIATE_EXTENDED_SESSIONSECURITY: u32 = 0x0008_0000;

/// libESMTP's type 1 flags: OEM, NTLM, always-sign.
pub const TYPE1_FLAGS: u32 = NEGOTIATE_OEM | NEGOTIATE_NTLM | NEGOTIATE_ALWAYS_SIGN;

fn start() -> Box<dyn Mechanism> {
    Box::new(Ntlm::Start)
}

/// The answers kept between the type 1 and the type 3.
struct Credentials {
    domain: Secret,
    user: Secret,
    pass: Secret,
    workstation: String,
}

enum Ntlm {
    Start,
    /// Type 1 sent; `None` if the interact callback refused (the next step
    /// then aborts, as in libESMTP, without asking again).
    SentType1(Option<Credentials>),
    Done,
}

impl Mechanism for Ntlm {
    fn respond(&mut self, challenge: Option<&[u8]>, env: &mut Env<'_>) -> Option<Secret> {
        match std::mem::replace(self, Ntlm::Done) {
            Ntlm::Start => {
                let Some(answers) = env.ask(&REQUESTS) else {
                    *self = Ntlm::SentType1(None);
                    return None;
                };
                let creds = Credentials {
                    domain: Secret::from_slice(answer(&answers, 0)),
                    user: Secret::from_slice(answer(&answers, 1)),
                    pass: Secret::from_slice(answer(&answers, 2)),
                    workstation: env.workstation.to_ascii_uppercase(),
                };
                let msg = type1(creds.domain.as_bytes(), creds.workstation.as_bytes());
                *self = Ntlm::SentType1(Some(creds));
                Some(msg)
            }
            Ntlm::SentType1(Some(creds)) => {
                let t2 = parse_type2(challenge?)?;
                let (lm, nt) = responses(creds.pass.as_bytes(), &t2.nonce)?;
                Some(type3(
                    t2.flags,
                    &lm,
                    &nt,
                    creds.domain.as_bytes(),
                    creds.user.as_bytes(),
                    creds.workstation.as_bytes(),
                ))
            }
            Ntlm::SentType1(None) | Ntlm::Done => None,
        }
    }
}

fn put_u16(out: &mut Secret, v: u16) {
    out.extend(&v.to_le_bytes());
}

fn put_u32(out: &mut Secret, v: u32) {
    out.extend(&v.to_le_bytes());
}

/// A security buffer header: length, allocated length, offset.
fn put_secbuf(out: &mut Secret, len: usize, offset: usize) {
    let len = u16::try_from(len).unwrap_or(u16::MAX);
    put_u16(out, len);
    put_u16(out, len);
    put_u32(out, u32::try_from(offset).unwrap_or(u32::MAX));
}

/// Longest field we put in a message; security buffers have 16-bit lengths.
const MAX_FIELD: usize = 0x7fff;

fn clip(b: &[u8]) -> &[u8] {
    b.get(..MAX_FIELD).unwrap_or(b)
}

/// NEGOTIATE_MESSAGE: 32-byte header, then the OEM domain and workstation.
pub fn type1(domain: &[u8], workstation: &[u8]) -> Secret {
    let (domain, workstation) = (clip(domain), clip(workstation));
    let mut flags = TYPE1_FLAGS;
    if !domain.is_empty() {
        flags |= NEGOTIATE_OEM_DOMAIN_SUPPLIED;
    }
    if !workstation.is_empty() {
        flags |= NEGOTIATE_OEM_WORKSTATION_SUPPLIED;
    }
    let mut m = Secret::with_capacity(32 + domain.len() + workstation.len());
    m.extend(SIGNATURE);
    put_u32(&mut m, 1);
    put_u32(&mut m, flags);
    put_secbuf(&mut m, domain.len(), 32);
    put_secbuf(&mut m, workstation.len(), 32 + domain.len());
    m.extend(domain);
    m.extend(workstation);
    m
}

/// What the client uses from a CHALLENGE_MESSAGE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Type2 {
    pub flags: u32,
    pub nonce: [u8; 8],
}

/// Checks signature and type and takes the flags and the nonce; the rest
/// (target name, target info) is not needed for NTLMv1.
pub fn parse_type2(msg: &[u8]) -> Option<Type2> {
    if msg.len() < 32 || msg.get(..8)? != SIGNATURE {
        return None;
    }
    let u32_at = |o: usize| -> Option<u32> {
        let b = msg.get(o..o + 4)?;
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    if u32_at(8)? != 2 {
        return None;
    }
    let flags = u32_at(20)?;
    let mut nonce = [0u8; 8];
    nonce.copy_from_slice(msg.get(24..32)?);
    Some(Type2 { flags, nonce })
}

/// UTF-16LE of `s` (UTF-8; invalid UTF-8 is widened byte by byte).
pub fn utf16le(s: &[u8]) -> Secret {
    match std::str::from_utf8(s) {
        Ok(text) => {
            let mut out = Secret::with_capacity(text.len() * 2 + 4);
            for unit in text.encode_utf16() {
                out.extend(&unit.to_le_bytes());
            }
            out
        }
        Err(_) => {
            let mut out = Secret::with_capacity(s.len() * 2);
            for &b in s {
                out.extend(&[b, 0]);
            }
            out
        }
    }
}

/// NTOWFv1: MD4 of the UTF-16LE pass phrase.
pub fn nt_hash(pass: &[u8]) -> [u8; 16] {
    md4(utf16le(pass).as_bytes())
}

/// LMOWFv1: the upper-cased pass phrase, cut or zero-padded to 14 bytes,
/// as two DES keys encrypting `KGS!@#$%`.
pub fn lm_hash(pass: &[u8]) -> Option<[u8; 16]> {
    const MAGIC: &[u8; 8] = b"KGS!@#$%";
    let mut p = [0u8; 14];
    for (d, s) in p.iter_mut().zip(pass.iter()) {
        *d = s.to_ascii_uppercase();
    }
    let mut k1 = [0u8; 7];
    let mut k2 = [0u8; 7];
    k1.copy_from_slice(&p[..7]);
    k2.copy_from_slice(&p[7..]);
    let result = (|| {
        let a = des_block(&k1, MAGIC)?;
        let b = des_block(&k2, MAGIC)?;
        let mut h = [0u8; 16];
        h[..8].copy_from_slice(&a);
        h[8..].copy_from_slice(&b);
        Some(h)
    })();
    wipe(&mut p);
    wipe(&mut k1);
    wipe(&mut k2);
    result
}

/// DESL: the 16-byte hash, zero-padded to 21 bytes, as three DES keys
/// encrypting the nonce.
pub fn desl(hash: &[u8; 16], nonce: &[u8; 8]) -> Option<[u8; 24]> {
    let mut k = [0u8; 21];
    k[..16].copy_from_slice(hash);
    let mut out = [0u8; 24];
    let mut ok = true;
    for i in 0..3 {
        let mut key = [0u8; 7];
        key.copy_from_slice(&k[i * 7..i * 7 + 7]);
        match des_block(&key, nonce) {
            Some(block) => out[i * 8..i * 8 + 8].copy_from_slice(&block),
            None => ok = false,
        }
        wipe(&mut key);
    }
    wipe(&mut k);
    ok.then_some(out)
}

/// The LM and NT responses to `nonce`.
pub fn responses(pass: &[u8], nonce: &[u8; 8]) -> Option<([u8; 24], [u8; 24])> {
    let mut lm = lm_hash(pass)?;
    let mut nt = nt_hash(pass);
    let r = desl(&lm, nonce).zip(desl(&nt, nonce));
    wipe(&mut lm);
    wipe(&mut nt);
    r
}

/// AUTHENTICATE_MESSAGE: 64-byte header; payload in libESMTP's order: LM
/// response, NT response, domain, user, workstation (the session key is
/// empty and points at the end).
pub fn type3(
    server_flags: u32,
    lm: &[u8; 24],
    nt: &[u8; 24],
    domain: &[u8],
    user: &[u8],
    workstation: &[u8],
) -> Secret {
    let unicode = server_flags & NEGOTIATE_UNICODE != 0;
    let enc = |s: &[u8]| -> Secret {
        let s = clip(s);
        if unicode {
            utf16le(s)
        } else {
            Secret::from_slice(s)
        }
    };
    let (domain, user, workstation) = (enc(domain), enc(user), enc(workstation));
    let flags = server_flags & !NEGOTIATE_EXTENDED_SESSIONSECURITY;

    let total = 64 + 48 + domain.len() + user.len() + workstation.len();
    let mut m = Secret::with_capacity(total);
    m.extend(SIGNATURE);
    put_u32(&mut m, 3);
    let mut offset = 64;
    for len in [24, 24, domain.len(), user.len(), workstation.len(), 0] {
        put_secbuf(&mut m, len, offset);
        offset += len;
    }
    put_u32(&mut m, flags);
    m.extend(lm);
    m.extend(nt);
    m.extend(domain.as_bytes());
    m.extend(user.as_bytes());
    m.extend(workstation.as_bytes());
    m
}
