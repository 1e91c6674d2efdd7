//! PLAIN (RFC 4616), as libESMTP's module: empty authorization identity,
//! NUL, user, NUL, pass phrase, always as the initial response.
//!
//! Steps: first call asks the interact callback (refusal: no response, and
//! the next call asks again); once answered, every later step gets no
//! response (the client then cancels). Fixes libESMTP's fixed 513-byte
//! buffer overflow (Q18): any length is accepted.

use super::{answer, Env, Mechanism, MechanismInfo, Request, Secret};
use super::{AUTH_CLEARTEXT, AUTH_PASS, AUTH_PLUGIN_PLAIN, AUTH_USER};

/// The interact request array (tls-auth.md §9.8).
pub const REQUESTS: [Request; 2] = [
    Request {
        name: "user",
        flags: AUTH_CLEARTEXT | AUTH_USER,
        prompt: "User Name",
        size: 255,
    },
    Request {
        name: "passphrase",
        flags: AUTH_CLEARTEXT | AUTH_PASS,
        prompt: "Pass Phrase",
        size: 255,
    },
];

pub const INFO: MechanismInfo = MechanismInfo {
    keyword: "PLAIN",
    description: "PLAIN mechanism (RFC 4616)",
    flags: AUTH_PLUGIN_PLAIN,
    ssf: 0,
    start,
};

fn start() -> Box<dyn Mechanism> {
    Box::new(Plain { done: false })
}

struct Plain {
    done: bool,
}

impl Mechanism for Plain {
    fn respond(&mut self, _challenge: Option<&[u8]>, env: &mut Env<'_>) -> Option<Secret> {
        if self.done {
            return None;
        }
        let answers = env.ask(&REQUESTS)?;
        let (user, pass) = (answer(&answers, 0), answer(&answers, 1));
        let mut msg = Secret::with_capacity(user.len() + pass.len() + 2);
        msg.push(0);
        msg.extend(user);
        msg.push(0);
        msg.extend(pass);
        self.done = true;
        Some(msg)
    }
}
