//! EXTERNAL (RFC 4422 appendix A): every response, initial or later, is the
//! context's external identity (no interact callback needed to respond).

use super::{Env, Mechanism, MechanismInfo, Secret, AUTH_PLUGIN_EXTERNAL};

pub const INFO: MechanismInfo = MechanismInfo {
    keyword: "EXTERNAL",
    description: "SASL EXTERNAL mechanism (RFC 4422)",
    flags: AUTH_PLUGIN_EXTERNAL,
    ssf: 0,
    start,
};

fn start() -> Box<dyn Mechanism> {
    Box::new(External)
}

struct External;

impl Mechanism for External {
    fn respond(&mut self, _challenge: Option<&[u8]>, env: &mut Env<'_>) -> Option<Secret> {
        // libESMTP dereferences a NULL id here if the identity was cleared
        // after EXTERNAL was selected; no response instead.
        env.external_id.map(Secret::from_slice)
    }
}
