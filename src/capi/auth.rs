//! C ABI: `auth-client.h` (the 15 `auth_*` functions) and
//! `smtp_auth_set_context`, on top of `core::sasl` (tls-auth.md §9,
//! api.md 7.13).
//!
//! None of the `auth_*` functions set `smtp_errno` (only the boundary guard
//! does, if a bug panics). Mechanisms are built in: nothing is loaded from
//! disk, `auth_client_init`/`auth_client_exit` do nothing.
//!
//! Contexts are registered in a process-wide set when created and removed
//! when destroyed, so a stale or foreign `auth_context_t` is refused (0 /
//! NULL) instead of being dereferenced, by the API and by the protocol
//! engine ([`with_auth_context`]). The core context sits in a `RefCell`:
//! a call that re-enters the API on a context that is busy (from inside the
//! interact callback, or the protocol monitor during AUTH) is refused the
//! same way instead of aliasing it.

use std::cell::RefCell;
use std::collections::HashSet;
use std::ffi::{c_char, c_int, c_uint, c_void, CStr, CString};
use std::sync::Mutex;

use super::handles::session_ref;
use super::handles::smtp_session;
use super::macros::guard;
use crate::core::sasl::{AuthContext, Interact, Request, Secret};

/// `struct auth_context` (opaque to C).
pub struct auth_context {
    inner: RefCell<AuthContext>,
}

/// `auth_context_t`.
pub type auth_context_t = *mut auth_context;

/// `struct auth_client_request`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct auth_client_request {
    pub name: *const c_char,
    pub flags: c_uint,
    pub prompt: *const c_char,
    pub size: c_uint,
}

/// `auth_client_request_t`.
pub type auth_client_request_t = *const auth_client_request;

/// `auth_interact_t`: `int (*)(auth_client_request_t request, char **result,
/// int fields, void *arg)`.
pub type auth_interact_t = Option<
    unsafe extern "C" fn(
        request: auth_client_request_t,
        result: *mut *mut c_char,
        fields: c_int,
        arg: *mut c_void,
    ) -> c_int,
>;

/// Addresses of the live contexts.
static LIVE: Mutex<Option<HashSet<usize>>> = Mutex::new(None);

fn live_insert(ptr: auth_context_t) {
    let mut g = LIVE.lock().unwrap_or_else(|e| e.into_inner());
    g.get_or_insert_with(HashSet::new).insert(ptr as usize);
}

fn live_remove(ptr: auth_context_t) -> bool {
    let mut g = LIVE.lock().unwrap_or_else(|e| e.into_inner());
    g.as_mut().is_some_and(|s| s.remove(&(ptr as usize)))
}

fn is_live(ptr: auth_context_t) -> bool {
    if ptr.is_null() {
        return false;
    }
    let g = LIVE.lock().unwrap_or_else(|e| e.into_inner());
    g.as_ref().is_some_and(|s| s.contains(&(ptr as usize)))
}

/// Shared access to a context handle; `None` for NULL or a pointer that is
/// not a live context.
fn context_ref<'a>(ptr: auth_context_t) -> Option<&'a auth_context> {
    if !is_live(ptr) {
        return None;
    }
    // SAFETY: `ptr` came from `Box::into_raw` in `auth_create_context` and
    // has not been destroyed (it is in the live set); contexts are used by
    // one thread at a time (the libESMTP contract), and only shared
    // references are made from it (mutation goes through the RefCell).
    unsafe { ptr.as_ref() }
}

/// Runs `f` on the core context; `None` if the handle is not a live context
/// or the context is busy (re-entrant call).
fn with_ctx<R>(ptr: auth_context_t, f: impl FnOnce(&mut AuthContext) -> R) -> Option<R> {
    let ctx = context_ref(ptr)?;
    let mut inner = ctx.inner.try_borrow_mut().ok()?;
    Some(f(&mut inner))
}

/// For the protocol engine's glue: runs `f` with the core context behind the
/// session's `auth_context` pointer (as stored by `smtp_auth_set_context`).
/// `None` when the pointer is NULL, not a live context, or the context is
/// already in use (so the engine skips AUTH as if none were set).
///
/// The interact callback (and the protocol monitor) run while `f` holds
/// the context; API calls on the same context from inside them fail.
pub fn with_auth_context<R>(ptr: *mut c_void, f: impl FnOnce(&mut AuthContext) -> R) -> Option<R> {
    with_ctx(ptr.cast::<auth_context>(), f)
}

/// The keyword of a built-in mechanism as a static C string (libESMTP
/// returns the plugin's static keyword).
fn keyword_c(keyword: &str) -> &'static CStr {
    match keyword {
        "PLAIN" => c"PLAIN",
        "LOGIN" => c"LOGIN",
        "CRAM-MD5" => c"CRAM-MD5",
        "NTLM" => c"NTLM",
        "EXTERNAL" => c"EXTERNAL",
        _ => c"",
    }
}

/// Static C strings for the request arrays' names and prompts (libESMTP's
/// arrays are static, so applications may keep the pointers).
fn request_text_c(text: &str) -> Option<&'static CStr> {
    Some(match text {
        "user" => c"user",
        "passphrase" => c"passphrase",
        "domain" => c"domain",
        "User Name" => c"User Name",
        "Pass Phrase" => c"Pass Phrase",
        "Password" => c"Password",
        "Domain" => c"Domain",
        _ => return None,
    })
}

/// The application's interact callback as the core sees it.
struct CInteract {
    func:
        unsafe extern "C" fn(auth_client_request_t, *mut *mut c_char, c_int, *mut c_void) -> c_int,
    arg: *mut c_void,
}

impl Interact for CInteract {
    fn interact(&mut self, requests: &[Request]) -> Option<Vec<Secret>> {
        // Texts the static table lacks are copied for the call's duration.
        let mut owned: Vec<CString> = Vec::new();
        let mut text = |s: &'static str| -> *const c_char {
            match request_text_c(s) {
                Some(c) => c.as_ptr(),
                None => {
                    let c = CString::new(s).unwrap_or_default();
                    let p = c.as_ptr();
                    owned.push(c);
                    p
                }
            }
        };
        let array: Vec<auth_client_request> = requests
            .iter()
            .map(|r| auth_client_request {
                name: text(r.name),
                flags: r.flags,
                prompt: text(r.prompt),
                size: r.size,
            })
            .collect();
        let fields = c_int::try_from(array.len()).ok()?;
        let mut result: Vec<*mut c_char> = vec![std::ptr::null_mut(); array.len()];
        // SAFETY: `array` holds `fields` entries whose strings (static, or in
        // `owned`) outlive the call; `result` has `fields` writable slots.
        // The callback's contract (auth-client.h) is to fill the slots with
        // NUL-terminated strings.
        let ok = unsafe { (self.func)(array.as_ptr(), result.as_mut_ptr(), fields, self.arg) };
        drop(owned);
        if ok == 0 {
            return None;
        }
        // Copy the answers now: the application's strings need not outlive
        // the call (libESMTP's NTLM kept the pointers, Q27). A NULL answer
        // counts as empty (libESMTP would crash on it).
        Some(
            result
                .iter()
                .map(|&p| {
                    if p.is_null() {
                        Secret::default()
                    } else {
                        // SAFETY: non-NULL answers are NUL-terminated strings
                        // per the callback contract.
                        Secret::from_slice(unsafe { CStr::from_ptr(p) }.to_bytes())
                    }
                })
                .collect(),
        )
    }
}

/// Does nothing (mechanisms are built in; kept for API symmetry).
#[no_mangle]
pub extern "C" fn auth_client_init() {
    guard((), || {});
}

/// Does nothing: libESMTP unloads its plugin modules here; built-in
/// mechanisms need no unloading, and contexts stay usable afterwards.
#[no_mangle]
pub extern "C" fn auth_client_exit() {
    guard((), || {});
}

/// Creates a context: no mechanism, flags 0, minimum SSF 0, no interact
/// callback, no external identity. Returns NULL only if memory runs out.
#[no_mangle]
pub extern "C" fn auth_create_context() -> auth_context_t {
    guard(std::ptr::null_mut(), || {
        let ptr = Box::into_raw(Box::new(auth_context {
            inner: RefCell::new(AuthContext::new()),
        }));
        live_insert(ptr);
        ptr
    })
}

/// Destroys a context, ending its exchange and zeroing every secret it
/// holds (libESMTP leaks the external identity, Q21). Returns 1; 0 for NULL,
/// a pointer that is not a live context, or a context in use (a call from
/// its own interact callback), which is then left alone.
///
/// # Safety
/// `context` is NULL or a value from `auth_create_context`. A session that
/// still refers to the context must not run again (as with libESMTP); ours
/// then skips AUTH instead of using freed memory.
#[no_mangle]
pub unsafe extern "C" fn auth_destroy_context(context: auth_context_t) -> c_int {
    guard(0, || {
        let Some(ctx) = context_ref(context) else {
            return 0;
        };
        if ctx.inner.try_borrow_mut().is_err() {
            return 0;
        }
        if !live_remove(context) {
            return 0;
        }
        // SAFETY: live until now, allocated by `auth_create_context` with
        // `Box::into_raw`, not borrowed (checked above), and removed from
        // the live set so no later call can reach it.
        drop(unsafe { Box::from_raw(context) });
        1
    })
}

/// flags = (flags & ~clear) | set, except that the `AUTH_PLUGIN_EXTERNAL`
/// bit can be neither set nor cleared here (libESMTP quirk Q20). Returns 1;
/// 0 for NULL.
///
/// # Safety
/// `context` is NULL or a value from `auth_create_context`.
#[no_mangle]
pub unsafe extern "C" fn auth_set_mechanism_flags(
    context: auth_context_t,
    set: c_uint,
    clear: c_uint,
) -> c_int {
    guard(0, || {
        with_ctx(context, |c| c.set_mechanism_flags(set, clear)).map_or(0, |()| 1)
    })
}

/// Sets the minimum SSF a mechanism must have to be selectable (every
/// built-in mechanism has 0). Returns 1; 0 for NULL.
///
/// # Safety
/// `context` is NULL or a value from `auth_create_context`.
#[no_mangle]
pub unsafe extern "C" fn auth_set_mechanism_ssf(context: auth_context_t, min_ssf: c_int) -> c_int {
    guard(0, || {
        with_ctx(context, |c| c.set_min_ssf(min_ssf)).map_or(0, |()| 1)
    })
}

/// Stores the interact callback and its argument; NULL disables AUTH.
/// Returns 1; 0 for a NULL context.
///
/// # Safety
/// `context` is NULL or a value from `auth_create_context`; `interact`, if
/// not NULL, follows the `auth_interact_t` contract.
#[no_mangle]
pub unsafe extern "C" fn auth_set_interact_cb(
    context: auth_context_t,
    interact: auth_interact_t,
    arg: *mut c_void,
) -> c_int {
    guard(0, || {
        let cb: Option<Box<dyn Interact>> = match interact {
            Some(func) => Some(Box::new(CInteract { func, arg })),
            None => None,
        };
        with_ctx(context, |c| c.set_interact(cb)).map_or(0, |()| 1)
    })
}

/// 1 if the context is not NULL and has an interact callback (mechanisms
/// are not looked at), else 0.
///
/// # Safety
/// `context` is NULL or a value from `auth_create_context`.
#[no_mangle]
pub unsafe extern "C" fn auth_client_enabled(context: auth_context_t) -> c_int {
    guard(0, || {
        context_ref(context)
            .and_then(|c| c.inner.try_borrow().ok().map(|i| i.enabled()))
            .map_or(0, c_int::from)
    })
}

/// Selects the mechanism `name` (ASCII case-insensitive): PLAIN, LOGIN
/// (both need `AUTH_PLUGIN_PLAIN`), CRAM-MD5, NTLM, EXTERNAL (needs an
/// external identity); its SSF must reach the minimum. Always ends the
/// current exchange first. Returns 1 when selected; 0 for NULL arguments
/// or a refused/unknown name, in which case the previously selected
/// mechanism stays selected (libESMTP quirk Q19).
///
/// # Safety
/// `context` is NULL or a value from `auth_create_context`; `name` is NULL
/// or a C string.
#[no_mangle]
pub unsafe extern "C" fn auth_set_mechanism(context: auth_context_t, name: *const c_char) -> c_int {
    guard(0, || {
        if name.is_null() {
            return 0;
        }
        // SAFETY: non-NULL C string per the contract.
        let name = unsafe { CStr::from_ptr(name) }.to_string_lossy();
        with_ctx(context, |c| c.set_mechanism(&name)).map_or(0, c_int::from)
    })
}

/// The selected mechanism's keyword as the mechanism spells it (static
/// storage); NULL if none is selected or the context is NULL.
///
/// # Safety
/// `context` is NULL or a value from `auth_create_context`.
#[no_mangle]
pub unsafe extern "C" fn auth_mechanism_name(context: auth_context_t) -> *const c_char {
    guard(std::ptr::null(), || {
        context_ref(context)
            .and_then(|c| c.inner.try_borrow().ok().and_then(|i| i.mechanism_name()))
            .map_or(std::ptr::null(), |k| keyword_c(k).as_ptr())
    })
}

/// The next client message of the selected mechanism. `challenge == NULL`
/// starts a new exchange and returns the initial response (NULL: none);
/// otherwise `challenge` points to `*len` bytes of decoded challenge. The
/// response's length is stored in `*len` (0 when NULL is returned by the
/// mechanism). The bytes stay valid until the next call on the context.
///
/// Returns NULL without touching `*len` if the context is NULL, no
/// mechanism is selected, `len` is NULL, or there is no interact callback
/// and the mechanism is not EXTERNAL.
///
/// # Safety
/// `context` is NULL or a value from `auth_create_context`; `len` is NULL
/// or points to an `int`; `challenge` is NULL or points to `*len` bytes.
#[no_mangle]
pub unsafe extern "C" fn auth_response(
    context: auth_context_t,
    challenge: *const c_char,
    len: *mut c_int,
) -> *const c_char {
    guard(std::ptr::null(), || {
        if len.is_null() {
            return std::ptr::null();
        }
        with_ctx(context, |c| {
            if !c.can_respond() {
                return std::ptr::null();
            }
            let chal: Option<&[u8]> = if challenge.is_null() {
                None
            } else {
                // SAFETY: `len` is non-NULL and points to an int (contract).
                let n = usize::try_from(unsafe { *len }).unwrap_or(0);
                // SAFETY: `challenge` points to `*len` bytes (contract); a
                // negative length reads nothing.
                Some(unsafe { std::slice::from_raw_parts(challenge.cast::<u8>(), n) })
            };
            let (ptr, n) = match c.response_nul(chal) {
                Some((bytes, n)) => (bytes.as_ptr().cast::<c_char>(), n),
                None => (std::ptr::null(), 0),
            };
            // SAFETY: non-NULL, points to an int (contract).
            unsafe { *len = c_int::try_from(n).unwrap_or(c_int::MAX) };
            ptr
        })
        .unwrap_or(std::ptr::null())
    })
}

/// The selected mechanism's SSF (0 for every built-in one); -1 if none is
/// selected or the context is NULL.
///
/// # Safety
/// `context` is NULL or a value from `auth_create_context`.
#[no_mangle]
pub unsafe extern "C" fn auth_get_ssf(context: auth_context_t) -> c_int {
    guard(-1, || {
        context_ref(context)
            .and_then(|c| c.inner.try_borrow().ok().and_then(|i| i.ssf()))
            .unwrap_or(-1)
    })
}

/// Security-layer encoder hook (`arg` is the context). No built-in
/// mechanism has a security layer, so the outputs are left untouched, as
/// libESMTP does for a mechanism without an encoder.
///
/// # Safety
/// Any arguments; none is dereferenced.
#[no_mangle]
pub unsafe extern "C" fn auth_encode(
    _dstbuf: *mut *mut c_char,
    _dstlen: *mut c_int,
    _srcbuf: *const c_char,
    _srclen: c_int,
    _arg: *mut c_void,
) {
    guard((), || {});
}

/// Security-layer decoder hook; like `auth_encode`, a no-op with the
/// built-in mechanisms (libESMTP's encoder-pointer check, Q22, has nothing
/// to act on).
///
/// # Safety
/// Any arguments; none is dereferenced.
#[no_mangle]
pub unsafe extern "C" fn auth_decode(
    _dstbuf: *mut *mut c_char,
    _dstlen: *mut c_int,
    _srcbuf: *const c_char,
    _srclen: c_int,
    _arg: *mut c_void,
) {
    guard((), || {});
}

/// Sets (a copy of) the identity EXTERNAL sends and enables EXTERNAL for
/// the context; NULL forgets it and disables EXTERNAL. Returns 1; 0 for a
/// NULL context.
///
/// # Safety
/// `context` is NULL or a value from `auth_create_context`; `identity` is
/// NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn auth_set_external_id(
    context: auth_context_t,
    identity: *const c_char,
) -> c_int {
    guard(0, || {
        let id = if identity.is_null() {
            None
        } else {
            // SAFETY: non-NULL C string per the contract.
            Some(unsafe { CStr::from_ptr(identity) }.to_bytes())
        };
        with_ctx(context, |c| c.set_external_id(id)).map_or(0, |()| 1)
    })
}

/// Attaches an auth context to a session (NULL disables AUTH). The context
/// is not owned and not validated here. Returns 1; 0 with SMTP_ERR_INVAL for
/// a NULL session.
///
/// # Safety
/// `session` is NULL or a valid session handle; `context` is NULL or a value
/// from `auth_create_context` (a stale one makes the engine skip AUTH).
#[no_mangle]
pub unsafe extern "C" fn smtp_auth_set_context(
    session: *mut smtp_session,
    context: auth_context_t,
) -> c_int {
    guard(0, || {
        // SAFETY: per the contract.
        let s = unsafe { session_ref(session) };
        check_args!(s.is_some(), 0);
        let Some(s) = s else {
            return 0;
        };
        s.auth_context.set(context.cast::<c_void>());
        1
    })
}
