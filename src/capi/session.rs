//! C ABI: sessions — create, configure, run, destroy.

use std::ffi::{c_char, c_int, c_long, c_void, CString};

use super::callbacks::{free_message_ctx, CHooks, EventCallback, MonitorCallback};
use super::errno::set_error;
use super::handles::{c_str, c_text, has_line_break, session_mut, session_ref, smtp_session};
use super::macros::guard;
use crate::core::error::Error;
use crate::core::model::{ServerSpec, TimeoutKind};

/// Creates a session. Returns NULL only if memory runs out.
#[no_mangle]
pub extern "C" fn smtp_create_session() -> *mut smtp_session {
    guard(std::ptr::null_mut(), || {
        Box::into_raw(Box::new(smtp_session::new()))
    })
}

/// Splits `host:service` as libESMTP does (at the first colon, default
/// service "587"), plus bracketed IPv6 literals `[::1]:2525` (our addition).
pub fn parse_server(hostport: &str) -> ServerSpec {
    const DEFAULT_SERVICE: &str = "587";
    if let Some(rest) = hostport.strip_prefix('[') {
        if let Some(end) = rest.find(']') {
            let host = &rest[..end];
            let after = &rest[end + 1..];
            let service = match after.strip_prefix(':') {
                Some(service) => service,
                None if after.is_empty() => DEFAULT_SERVICE,
                None => after,
            };
            return ServerSpec {
                host: host.to_owned(),
                service: service.to_owned(),
            };
        }
    }
    match hostport.split_once(':') {
        Some((host, service)) => ServerSpec {
            host: host.to_owned(),
            service: service.to_owned(),
        },
        None => ServerSpec {
            host: hostport.to_owned(),
            service: DEFAULT_SERVICE.to_owned(),
        },
    }
}

/// Sets the server as `host[:service]`. Returns 1; 0 with SMTP_ERR_INVAL
/// for a NULL argument, a line break, or a call from inside a running session.
///
/// # Safety
/// `session` is NULL or valid; `hostport` is NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn smtp_set_server(
    session: *mut smtp_session,
    hostport: *const c_char,
) -> c_int {
    guard(0, || {
        // SAFETY: per the contract.
        let (s, hostport) = unsafe { (session_mut(session), c_str(hostport)) };
        check_args!(s.is_some() && hostport.is_some(), 0);
        let (Some(s), Some(hostport)) = (s, hostport) else {
            return 0;
        };
        let text = c_text(hostport);
        check_args!(text.is_some_and(|t| !has_line_break(t.as_bytes())), 0);
        let spec = parse_server(text.unwrap_or_default());
        s.server_name_c = std::cell::OnceCell::new();
        *s.core.canonical_name.borrow_mut() = None;
        s.core.server = Some(spec);
        1
    })
}

/// The server's canonical name from the last run, else the host part given
/// to `smtp_set_server`, else NULL.
///
/// # Safety
/// `session` is NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn smtp_get_server_name(session: *mut smtp_session) -> *const c_char {
    guard(std::ptr::null(), || {
        // SAFETY: per the contract.
        let s = unsafe { session_ref(session) };
        check_args!(s.is_some(), std::ptr::null());
        s.and_then(|s| {
            s.server_name_c
                .get_or_init(|| {
                    let host = s.core.server.as_ref()?.host.as_str();
                    CString::new(host).ok()
                })
                .as_ref()
        })
        .map_or(std::ptr::null(), |c| c.as_ptr())
    })
}

/// Sets (or with NULL clears) the local host name used in EHLO/HELO.
///
/// # Safety
/// `session` is NULL or valid; `hostname` is NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn smtp_set_hostname(
    session: *mut smtp_session,
    hostname: *const c_char,
) -> c_int {
    guard(0, || {
        // SAFETY: per the contract.
        let (s, name) = unsafe { (session_mut(session), c_str(hostname)) };
        check_args!(s.is_some(), 0);
        let Some(s) = s else { return 0 };
        match name {
            None => s.core.hostname = None,
            Some(name) => {
                let name = c_text(name);
                check_args!(name.is_some_and(|n| !has_line_break(n.as_bytes())), 0);
                s.core.hostname = name.map(str::to_owned);
            }
        }
        1
    })
}

const TIMEOUT_OVERRIDE_RFC2822_MINIMUM: c_int = 0x1000;
const OVERRIDE_MINIMUM_MS: c_long = 1000;

/// Sets a timeout in milliseconds; returns the value stored (raised to the
/// minimum), or 0 with SMTP_ERR_INVAL.
///
/// # Safety
/// `session` is NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn smtp_set_timeout(
    session: *mut smtp_session,
    which: c_int,
    value: c_long,
) -> c_long {
    guard(0, || {
        // SAFETY: per the contract.
        let s = unsafe { session_mut(session) };
        check_args!(s.is_some() && value > 0, 0);
        let Some(s) = s else { return 0 };
        let kind = match which & !TIMEOUT_OVERRIDE_RFC2822_MINIMUM {
            0 => TimeoutKind::Greeting,
            1 => TimeoutKind::Envelope,
            2 => TimeoutKind::Data,
            3 => TimeoutKind::Transfer,
            4 => TimeoutKind::Data2,
            _ => {
                check_args!(false, 0);
                return 0;
            }
        };
        let minimum = if which & TIMEOUT_OVERRIDE_RFC2822_MINIMUM != 0 {
            OVERRIDE_MINIMUM_MS
        } else {
            crate::core::model::Timeouts::minimum(kind) as c_long
        };
        let stored = value.max(minimum);
        *s.core.timeouts.get_mut(kind) = i64::from(stored);
        stored
    })
}

/// Turns require-all-recipients on or off. Returns 1.
///
/// # Safety
/// `session` is NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn smtp_option_require_all_recipients(
    session: *mut smtp_session,
    state: c_int,
) -> c_int {
    guard(0, || {
        // SAFETY: per the contract.
        let s = unsafe { session_mut(session) };
        check_args!(s.is_some(), 0);
        if let Some(s) = s {
            s.core.require_all_recipients = state != 0;
        }
        1
    })
}

/// Sets (or with NULL removes) the event callback. Returns 1.
///
/// # Safety
/// `session` is NULL or valid; `cb` is NULL or a function of the
/// `smtp_eventcb_t` type.
#[no_mangle]
pub unsafe extern "C" fn smtp_set_eventcb(
    session: *mut smtp_session,
    cb: Option<unsafe extern "C" fn(*mut smtp_session, c_int, *mut c_void, ...)>,
    arg: *mut c_void,
) -> c_int {
    guard(0, || {
        // SAFETY: per the contract.
        let s = unsafe { session_ref(session) };
        check_args!(s.is_some(), 0);
        if let Some(s) = s {
            s.event_cb.set(cb.map(|func| EventCallback { func, arg }));
        }
        1
    })
}

/// Sets (or with NULL removes) the protocol monitor; `headers` non-zero also
/// reports message headers. Returns 1.
///
/// # Safety
/// `session` is NULL or valid; `cb` is NULL or a `smtp_monitorcb_t`.
#[no_mangle]
pub unsafe extern "C" fn smtp_set_monitorcb(
    session: *mut smtp_session,
    cb: Option<unsafe extern "C" fn(*const c_char, c_int, c_int, *mut c_void)>,
    arg: *mut c_void,
    headers: c_int,
) -> c_int {
    guard(0, || {
        // SAFETY: per the contract.
        let s = unsafe { session_mut(session) };
        check_args!(s.is_some(), 0);
        if let Some(s) = s {
            s.monitor_cb.set(cb.map(|func| MonitorCallback {
                func,
                arg,
                headers: headers != 0,
            }));
            s.core.monitor_headers = headers != 0;
        }
        1
    })
}

/// Runs the SMTP session: connects, sends every pending message and ETRN
/// node, disconnects. Returns 1 when a server was reached and the protocol
/// ran to an end (check the statuses), 0 otherwise; `smtp_errno` as
/// libESMTP sets it.
///
/// # Safety
/// `session` is NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn smtp_start_session(session: *mut smtp_session) -> c_int {
    guard(0, || {
        // SAFETY: per the contract.
        let s = unsafe { session_mut(session) };
        check_args!(s.as_ref().is_some_and(|s| s.core.server.is_some()), 0);
        let Some(s) = s else { return 0 };
        check_args!(s.messages.iter().all(|m| m.message_cb.get().is_some()), 0);
        if s.core.hostname.is_none() {
            match crate::sys::host::node_name() {
                Ok(name) => s.core.hostname = Some(name),
                Err(err) => {
                    set_error(&Error::from_io(&err));
                    return 0;
                }
            }
        }
        s.running.set(true);
        // From here on only shared references: callbacks may re-enter.
        // SAFETY: `session` is valid (checked above) and outlives the hooks.
        let mut hooks = unsafe { CHooks::new(session) };
        let shared: &smtp_session = s;
        // Settings cannot change while running (`session_mut` refuses).
        let hostname = shared.core.hostname.as_deref().unwrap_or_default();
        let mut auth = SessionAuth { session: shared };
        let mut security = crate::core::protocol::security::StandardSecurity::new(Some(&mut auth));
        let outcome =
            crate::core::protocol::run_with(&shared.core, hostname, &mut hooks, &mut security);
        shared.running.set(false);

        // SAFETY: the run is over; nothing borrows the session any more.
        let s = unsafe { &mut *session };
        if let Some(name) = s.core.canonical_name.borrow().as_ref() {
            // Replaced only when it changed: a pointer the application
            // holds stays valid across runs to the same server.
            let current = match s.server_name_c.get() {
                Some(c) => c.as_ref().map(|c| c.as_bytes()),
                None => s.core.server.as_ref().map(|spec| spec.host.as_bytes()),
            };
            if current != Some(name.as_bytes()) {
                s.server_name_c = std::cell::OnceCell::from(CString::new(name.as_str()).ok());
            }
        }
        s.sync_all_statuses();
        if let Some(err) = &outcome.error {
            set_error(err);
        }
        c_int::from(outcome.ret)
    })
}

/// Destroys a session and everything it owns, calling the application
/// data release functions in libESMTP's order. Returns 1; NULL: 0, INVAL.
///
/// # Safety
/// `session` is NULL or valid; it is invalid afterwards.
#[no_mangle]
pub unsafe extern "C" fn smtp_destroy_session(session: *mut smtp_session) -> c_int {
    guard(0, || {
        // SAFETY: per the contract.
        let s = unsafe { session_mut(session) };
        check_args!(s.is_some(), 0);
        let Some(s) = s else { return 0 };
        s.app.release_now();
        for node in &s.etrn_nodes {
            node.app.release_now();
        }
        s.core.tls_context = None;
        free_message_ctx(s);
        for m in &s.messages {
            m.app.release_now();
            for r in &m.recipients {
                r.app.release_now();
            }
        }
        // SAFETY: the handle came from Box::into_raw in smtp_create_session
        // and the application gives it up with this call.
        drop(unsafe { Box::from_raw(session) });
        1
    })
}

/// The session's `auth_context_t` as the engine's AUTH seam.
struct SessionAuth<'a> {
    session: &'a smtp_session,
}

impl crate::core::protocol::security::AuthHook for SessionAuth<'_> {
    fn authenticate(
        &mut self,
        mechanisms: &[String],
        params: &crate::core::protocol::security::AuthParams,
        transport: &mut dyn crate::core::protocol::security::AuthTransport,
    ) -> Option<crate::core::error::Result<crate::core::protocol::security::AuthOutcome>> {
        crate::capi::auth::with_auth_context(self.session.auth_context.get(), |ctx| {
            crate::core::sasl::smtp::authenticate(ctx, mechanisms, params, transport)
        })
    }

    fn set_external_id(&mut self, identity: &str) {
        let _ = crate::capi::auth::with_auth_context(self.session.auth_context.get(), |ctx| {
            ctx.set_external_id(Some(identity.as_bytes()))
        });
    }

    fn forget_context(&mut self) {
        self.session.auth_context.set(std::ptr::null_mut());
    }
}

#[cfg(test)]
mod tests {
    use super::parse_server;

    #[test]
    fn server_parsing_matches_libesmtp_and_brackets() {
        let p = |s: &str| {
            let spec = parse_server(s);
            (spec.host, spec.service)
        };
        assert_eq!(p("mail.example:25"), ("mail.example".into(), "25".into()));
        assert_eq!(p("mail.example"), ("mail.example".into(), "587".into()));
        assert_eq!(p("::1"), ("".into(), ":1".into()));
        assert_eq!(p("host:"), ("host".into(), "".into()));
        assert_eq!(p("[::1]:2525"), ("::1".into(), "2525".into()));
        assert_eq!(p("[::1]"), ("::1".into(), "587".into()));
        assert_eq!(p("[::1"), ("[".into(), ":1".into()));
    }
}
