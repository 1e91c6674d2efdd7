//! CRAM-MD5 (RFC 2195): no initial response; the answer to the challenge is
//! the user name, a space and the lower-case hex HMAC-MD5 of the challenge
//! keyed with the pass phrase. The interact callback is called when the
//! challenge arrives; if it refuses, no response (and the next challenge asks
//! again). Any step after the answer aborts.
//!
//! libESMTP 1.1.0 on Debian cannot load its CRAM-MD5 module (Q16); here it is
//! built in, enabled by default like the module intended.

use super::crypto::hmac_md5;
use super::{answer, Env, Mechanism, MechanismInfo, Request, Secret};
use super::{PASSPHRASE_REQUEST, USER_REQUEST};

/// The interact request array (tls-auth.md §9.8).
pub const REQUESTS: [Request; 2] = [USER_REQUEST, PASSPHRASE_REQUEST];

pub const INFO: MechanismInfo = MechanismInfo {
    keyword: "CRAM-MD5",
    description: "Challenge-Response Authentication Mechanism (RFC 2195)",
    flags: 0,
    ssf: 0,
    start,
};

fn start() -> Box<dyn Mechanism> {
    Box::new(CramMd5 { step: 0 })
}

struct CramMd5 {
    /// 0: initial (no response), 1: waiting for the challenge, 2: done.
    step: u8,
}

/// `user SP hex(HMAC-MD5(pass, challenge))`.
pub fn digest_response(user: &[u8], pass: &[u8], challenge: &[u8]) -> Option<Secret> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut mac = hmac_md5(pass, challenge)?;
    let mut out = Secret::with_capacity(user.len() + 1 + 32);
    out.extend(user);
    out.push(b' ');
    for b in mac {
        out.push(HEX[usize::from(b >> 4)]);
        out.push(HEX[usize::from(b & 0x0f)]);
    }
    super::secret::wipe(&mut mac);
    Some(out)
}

impl Mechanism for CramMd5 {
    fn respond(&mut self, challenge: Option<&[u8]>, env: &mut Env<'_>) -> Option<Secret> {
        match self.step {
            0 => {
                self.step = 1;
                None
            }
            1 => {
                let answers = env.ask(&REQUESTS)?;
                let r = digest_response(
                    answer(&answers, 0),
                    answer(&answers, 1),
                    challenge.unwrap_or(&[]),
                )?;
                self.step = 2;
                Some(r)
            }
            _ => None,
        }
    }
}
