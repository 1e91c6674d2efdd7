//! SASL client: the auth context of libESMTP's auth-client API, the built-in
//! mechanisms (PLAIN, LOGIN, CRAM-MD5, EXTERNAL, NTLM) and the SMTP AUTH
//! exchange the protocol engine runs (`smtp`).
//!
//! libESMTP loads mechanisms from plugin modules; here they are built in and
//! looked up by keyword (ASCII case-insensitive). Unknown names are simply
//! not selectable: nothing is ever loaded from disk (tls-auth.md §9.5).
//!
//! Secrets (answers from the interact callback, responses) live in
//! [`Secret`], which is zeroed when dropped and never shown by `Debug`.

pub mod base64;
mod context;
pub mod cram_md5;
mod crypto;
pub mod external;
pub mod login;
pub mod ntlm;
pub mod plain;
mod secret;
pub mod smtp;

pub use context::AuthContext;
pub use secret::Secret;

/// `AUTH_USER`: the request asks for a user name.
pub const AUTH_USER: u32 = 0x0001;
/// `AUTH_REALM`: the request asks for a realm or domain.
pub const AUTH_REALM: u32 = 0x0002;
/// `AUTH_PASS`: the request asks for a pass phrase.
pub const AUTH_PASS: u32 = 0x0004;
/// `AUTH_CLEARTEXT`: the answer travels in clear on the wire.
pub const AUTH_CLEARTEXT: u32 = 0x0008;

/// `AUTH_PLUGIN_ANONYMOUS`: the mechanism is anonymous (needs opt-in).
pub const AUTH_PLUGIN_ANONYMOUS: u32 = 0x01;
/// `AUTH_PLUGIN_PLAIN`: the mechanism sends the pass phrase in clear
/// (PLAIN, LOGIN; needs opt-in).
pub const AUTH_PLUGIN_PLAIN: u32 = 0x02;
/// `AUTH_PLUGIN_EXTERNAL`: the EXTERNAL mechanism (enabled only through
/// `auth_set_external_id`).
pub const AUTH_PLUGIN_EXTERNAL: u32 = 0x04;

/// One entry of the array handed to the interact callback
/// (`struct auth_client_request`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    /// `"user"`, `"passphrase"`, `"domain"`.
    pub name: &'static str,
    /// `AUTH_USER`, `AUTH_REALM`, `AUTH_PASS`, `AUTH_CLEARTEXT` bits.
    pub flags: u32,
    /// Human-readable prompt.
    pub prompt: &'static str,
    /// Maximum length wanted, 0 = no limit (advisory: never enforced).
    pub size: u32,
}

/// The user-name request that CRAM-MD5, LOGIN and NTLM ask for.
pub const USER_REQUEST: Request = Request {
    name: "user",
    flags: AUTH_CLEARTEXT | AUTH_USER,
    prompt: "User Name",
    size: 0,
};

/// The pass-phrase request of the mechanisms that never send it in clear
/// (CRAM-MD5, NTLM).
pub const PASSPHRASE_REQUEST: Request = Request {
    name: "passphrase",
    flags: AUTH_PASS,
    prompt: "Pass Phrase",
    size: 0,
};

/// The application's interact callback.
pub trait Interact {
    /// Asks for one answer per request. `None` means the application refused
    /// (the callback returned 0). An implementation returns exactly
    /// `requests.len()` answers; mechanisms treat a missing answer as empty.
    fn interact(&mut self, requests: &[Request]) -> Option<Vec<Secret>>;
}

/// What a mechanism may use while producing a response.
pub struct Env<'a> {
    /// The interact callback (absent only for EXTERNAL).
    pub interact: Option<&'a mut dyn Interact>,
    /// The context's external identity.
    pub external_id: Option<&'a [u8]>,
    /// NTLM's workstation name (the local host name up to the first dot).
    pub workstation: &'a str,
}

impl Env<'_> {
    /// Calls the interact callback; `None` if there is none or it refused.
    pub fn ask(&mut self, requests: &[Request]) -> Option<Vec<Secret>> {
        match self.interact.as_mut() {
            Some(cb) => cb.interact(requests),
            None => None,
        }
    }
}

/// The per-exchange state of a mechanism: one object per exchange, created
/// fresh whenever an exchange starts (libESMTP's plugin `init`), dropped
/// (and its secrets zeroed) when it ends (`destroy`).
pub trait Mechanism {
    /// The next client message. `challenge` is `None` for the initial
    /// response, otherwise the decoded server challenge. `None` means "no
    /// initial response" at the start and "abort" later (libESMTP cannot
    /// tell them apart either).
    fn respond(&mut self, challenge: Option<&[u8]>, env: &mut Env<'_>) -> Option<Secret>;
}

/// A built-in mechanism (libESMTP's `struct auth_client_plugin`, without the
/// security-layer coders: no built-in mechanism has a security layer).
#[derive(Clone, Copy)]
pub struct MechanismInfo {
    /// The keyword as sent on the wire.
    pub keyword: &'static str,
    /// Free text.
    pub description: &'static str,
    /// `AUTH_PLUGIN_*` bits.
    pub flags: u32,
    /// Security strength factor; 0 = no security layer.
    pub ssf: i32,
    /// Fresh per-exchange state.
    pub start: fn() -> Box<dyn Mechanism>,
}

impl std::fmt::Debug for MechanismInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MechanismInfo")
            .field("keyword", &self.keyword)
            .field("flags", &self.flags)
            .field("ssf", &self.ssf)
            .finish()
    }
}

impl PartialEq for MechanismInfo {
    fn eq(&self, other: &Self) -> bool {
        self.keyword == other.keyword
    }
}

/// The built-in mechanisms.
pub static BUILTIN: [MechanismInfo; 5] = [
    plain::INFO,
    login::INFO,
    cram_md5::INFO,
    ntlm::INFO,
    external::INFO,
];

/// Looks a mechanism up by keyword, ASCII case-insensitively.
pub fn find(name: &str) -> Option<&'static MechanismInfo> {
    BUILTIN
        .iter()
        .find(|m| m.keyword.eq_ignore_ascii_case(name))
}

/// The answer `i` of an interact reply, empty if missing.
pub(crate) fn answer(answers: &[Secret], i: usize) -> &[u8] {
    answers.get(i).map(Secret::as_bytes).unwrap_or(&[])
}
