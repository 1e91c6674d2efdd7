//! The auth context (libESMTP's `struct auth_context`): mechanism flags,
//! minimum SSF, interact callback, external identity, the selected mechanism
//! and its per-exchange state. One method per `auth_*` function, with
//! libESMTP's semantics (tls-auth.md §9).

use std::fmt;

use super::secret::wipe;
use super::{find, Env, Interact, Mechanism, MechanismInfo, Secret, AUTH_PLUGIN_ANONYMOUS};
use super::{AUTH_PLUGIN_EXTERNAL, AUTH_PLUGIN_PLAIN};

/// An auth context. Dropping it ends the exchange state and zeroes every
/// secret it holds (the external identity too, which libESMTP leaks, Q21).
#[derive(Default)]
pub struct AuthContext {
    flags: u32,
    min_ssf: i32,
    interact: Option<Box<dyn Interact>>,
    external_id: Option<Secret>,
    selected: Option<&'static MechanismInfo>,
    state: Option<Box<dyn Mechanism>>,
    /// The last response, kept so the C layer can hand out a pointer that
    /// stays valid until the next call (with a NUL after it).
    last: Option<Secret>,
    workstation: Option<String>,
}

impl fmt::Debug for AuthContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthContext")
            .field("flags", &self.flags)
            .field("min_ssf", &self.min_ssf)
            .field("interact", &self.interact.is_some())
            .field("external_id", &self.external_id)
            .field("mechanism", &self.selected.map(|m| m.keyword))
            .field("in_exchange", &self.state.is_some())
            .finish()
    }
}

/// Whether mechanism flag `bit` is set on the mechanism but not allowed by
/// the context.
fn disabled(info: &MechanismInfo, ctx_flags: u32, bit: u32) -> bool {
    info.flags & bit != 0 && ctx_flags & bit == 0
}

impl AuthContext {
    /// `auth_create_context`: no mechanism, flags 0, min SSF 0, no interact
    /// callback, no external id.
    pub fn new() -> AuthContext {
        AuthContext::default()
    }

    /// `auth_set_mechanism_flags`: flags = (flags & ~clear) | set, except
    /// that the EXTERNAL bit can be neither set nor cleared (Q20).
    pub fn set_mechanism_flags(&mut self, set: u32, clear: u32) {
        self.flags &= AUTH_PLUGIN_EXTERNAL | !clear;
        self.flags |= !AUTH_PLUGIN_EXTERNAL & set;
    }

    /// The context's `AUTH_PLUGIN_*` flags.
    pub fn flags(&self) -> u32 {
        self.flags
    }

    /// `auth_set_mechanism_ssf`.
    pub fn set_min_ssf(&mut self, min_ssf: i32) {
        self.min_ssf = min_ssf;
    }

    pub fn min_ssf(&self) -> i32 {
        self.min_ssf
    }

    /// `auth_set_interact_cb`: `None` disables AUTH.
    pub fn set_interact(&mut self, interact: Option<Box<dyn Interact>>) {
        self.interact = interact;
    }

    /// `auth_client_enabled`: an interact callback is set (mechanisms are not
    /// looked at, so EXTERNAL-only use still needs a callback, Q26).
    pub fn enabled(&self) -> bool {
        self.interact.is_some()
    }

    /// `auth_set_external_id`: `Some` stores a copy and sets the EXTERNAL
    /// flag; `None` clears both.
    pub fn set_external_id(&mut self, identity: Option<&[u8]>) {
        match identity {
            Some(id) => {
                self.flags |= AUTH_PLUGIN_EXTERNAL;
                self.external_id = Some(Secret::from_slice(id));
            }
            None => {
                self.flags &= !AUTH_PLUGIN_EXTERNAL;
                self.external_id = None;
            }
        }
    }

    pub fn external_id(&self) -> Option<&[u8]> {
        self.external_id.as_ref().map(Secret::as_bytes)
    }

    /// The NTLM workstation name; by default the local host name up to the
    /// first dot (libESMTP's choice).
    pub fn set_workstation(&mut self, name: Option<String>) {
        self.workstation = name;
    }

    /// Whether this context's flags and minimum SSF allow `info` (§9.3).
    pub fn allows(&self, info: &MechanismInfo) -> bool {
        !(info.ssf < self.min_ssf
            || disabled(info, self.flags, AUTH_PLUGIN_EXTERNAL)
            || disabled(info, self.flags, AUTH_PLUGIN_ANONYMOUS)
            || disabled(info, self.flags, AUTH_PLUGIN_PLAIN))
    }

    /// Ends the current exchange, zeroing what it held.
    fn end_exchange(&mut self) {
        self.state = None;
        self.last = None;
    }

    /// `auth_set_mechanism`: ends the current exchange (even when the new
    /// selection then fails), looks `name` up case-insensitively among the
    /// built-in mechanisms and applies the flag and SSF rules. On failure the
    /// previously selected mechanism stays selected (Q19).
    pub fn set_mechanism(&mut self, name: &str) -> bool {
        self.end_exchange();
        match find(name) {
            Some(info) if self.allows(info) => {
                self.selected = Some(info);
                true
            }
            _ => false,
        }
    }

    /// The selected mechanism.
    pub fn mechanism(&self) -> Option<&'static MechanismInfo> {
        self.selected
    }

    /// `auth_mechanism_name`: the keyword as the mechanism spells it.
    pub fn mechanism_name(&self) -> Option<&'static str> {
        self.selected.map(|m| m.keyword)
    }

    /// `auth_get_ssf`: `None` when no mechanism is selected (C: -1).
    pub fn ssf(&self) -> Option<i32> {
        self.selected.map(|m| m.ssf)
    }

    /// Whether `auth_response` would run the mechanism at all: a mechanism
    /// is selected and an interact callback is set (or it is EXTERNAL).
    pub fn can_respond(&self) -> bool {
        match self.selected {
            Some(info) => self.interact.is_some() || info.flags & AUTH_PLUGIN_EXTERNAL != 0,
            None => false,
        }
    }

    /// `auth_response`. `None` challenge starts a new exchange (fresh state)
    /// and asks for the initial response; otherwise `challenge` is the
    /// decoded server challenge. The result stays valid until the next call
    /// that changes the context. `None`: no response (see
    /// [`Mechanism::respond`]), or the call is not possible (no mechanism,
    /// or no interact callback for a mechanism other than EXTERNAL).
    pub fn response(&mut self, challenge: Option<&[u8]>) -> Option<&[u8]> {
        let r = self.response_inner(challenge);
        self.last = r;
        self.last.as_ref().map(Secret::as_bytes)
    }

    /// Like [`AuthContext::response`], returning the response with a NUL
    /// byte after it (for the C layer); the length excludes the NUL.
    pub fn response_nul(&mut self, challenge: Option<&[u8]>) -> Option<(&[u8], usize)> {
        let r = self.response_inner(challenge).map(|s| {
            let mut t = Secret::with_capacity(s.len() + 1);
            t.extend(s.as_bytes());
            t.push(0);
            t
        });
        self.last = r;
        self.last
            .as_ref()
            .map(|s| (s.as_bytes(), s.len().saturating_sub(1)))
    }

    fn response_inner(&mut self, challenge: Option<&[u8]>) -> Option<Secret> {
        if !self.can_respond() {
            return None;
        }
        let info = self.selected?;
        // Ending the old state drops the last response too.
        self.last = None;
        if challenge.is_none() || self.state.is_none() {
            // libESMTP calls the mechanism with no state when a challenge
            // comes before any initial request; start a fresh one instead.
            self.state = Some((info.start)());
        }
        let workstation = match &self.workstation {
            Some(w) => w.clone(),
            None => local_workstation(),
        };
        let interact: Option<&mut dyn Interact> = match self.interact.as_mut() {
            Some(cb) => Some(&mut **cb),
            None => None,
        };
        let mut env = Env {
            interact,
            external_id: self.external_id.as_ref().map(Secret::as_bytes),
            workstation: &workstation,
        };
        let state = self.state.as_mut()?;
        state.respond(challenge, &mut env)
    }
}

impl Drop for AuthContext {
    fn drop(&mut self) {
        self.end_exchange();
        self.external_id = None;
        if let Some(w) = self.workstation.take() {
            let mut bytes = w.into_bytes();
            wipe(&mut bytes);
        }
    }
}

/// The local host name up to the first dot (the NetBIOS-ish name NTLM's
/// type 1 and type 3 carry). Read from the kernel's UTS name, no FFI.
fn local_workstation() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| {
            let h = h.trim();
            h.split('.').next().unwrap_or("").to_string()
        })
        .unwrap_or_default()
}
