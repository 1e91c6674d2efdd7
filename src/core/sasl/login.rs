//! LOGIN (non-standard, draft-murchison-sasl-login), as libESMTP's module:
//! the user name is the initial response, the pass phrase answers the next
//! challenge, challenge contents are ignored, any further step aborts.
//!
//! If the interact callback refuses, no response is produced and the
//! mechanism stays at its first step, so the next challenge asks again and
//! gets the user name (the two-challenge form).

use super::{answer, Env, Mechanism, MechanismInfo, Request, Secret};
use super::{AUTH_CLEARTEXT, AUTH_PASS, AUTH_PLUGIN_PLAIN, USER_REQUEST};

/// The interact request array (tls-auth.md §9.8).
pub const REQUESTS: [Request; 2] = [
    USER_REQUEST,
    Request {
        name: "passphrase",
        flags: AUTH_CLEARTEXT | AUTH_PASS,
        prompt: "Password",
        size: 0,
    },
];

pub const INFO: MechanismInfo = MechanismInfo {
    keyword: "LOGIN",
    description: "Non-standard LOGIN mechanism",
    flags: AUTH_PLUGIN_PLAIN,
    ssf: 0,
    start,
};

fn start() -> Box<dyn Mechanism> {
    Box::new(Login::User)
}

enum Login {
    /// Nothing sent yet.
    User,
    /// User name sent; the pass phrase is next.
    Pass(Secret),
    Done,
}

impl Mechanism for Login {
    fn respond(&mut self, _challenge: Option<&[u8]>, env: &mut Env<'_>) -> Option<Secret> {
        match std::mem::replace(self, Login::Done) {
            Login::User => match env.ask(&REQUESTS) {
                Some(answers) => {
                    *self = Login::Pass(Secret::from_slice(answer(&answers, 1)));
                    Some(Secret::from_slice(answer(&answers, 0)))
                }
                None => {
                    *self = Login::User;
                    None
                }
            },
            Login::Pass(pass) => Some(pass),
            Login::Done => None,
        }
    }
}
