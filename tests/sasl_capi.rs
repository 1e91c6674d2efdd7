//! The `auth_*` exports and `smtp_auth_set_context`, called through their
//! C signatures: the return values of tls-auth.md §9.2 / api.md 7.13 and
//! probe P01, the interact request arrays as C sees them, and the hardened
//! cases (libESMTP crashes or leaks).
//!
//! Every pointer handed to the exports here is created by the test itself
//! (C string literals, local buffers, handles from the API), which is the
//! safety argument for all the `unsafe` blocks in this file.
#![allow(clippy::undocumented_unsafe_blocks)]

use std::ffi::{c_char, c_int, c_void, CStr};
use std::ptr::{null, null_mut};

use esmtp::capi::auth::*;
use esmtp::capi::errno::{get_errno, set_errno};
use esmtp::capi::session::{smtp_create_session, smtp_destroy_session};

/// What the C interact callback saw, one line per entry.
struct Log {
    lines: Vec<String>,
    refuse: bool,
    null_answers: bool,
    reenter: auth_context_t,
    reenter_result: Option<(c_int, bool)>,
}

static USER: &CStr = c"tim";
static PASS: &CStr = c"tanstaaftanstaaf";
static REALM: &CStr = c"dom";

unsafe extern "C" fn interact(
    req: auth_client_request_t,
    result: *mut *mut c_char,
    fields: c_int,
    arg: *mut c_void,
) -> c_int {
    let log = unsafe { &mut *(arg as *mut Log) };
    log.lines.push(format!("fields={fields}"));
    for i in 0..fields as usize {
        let r = unsafe { &*req.add(i) };
        let name = unsafe { CStr::from_ptr(r.name) }.to_str().unwrap();
        let prompt = unsafe { CStr::from_ptr(r.prompt) }.to_str().unwrap();
        log.lines.push(format!(
            "[{i}] name=\"{name}\" flags=0x{:x} prompt=\"{prompt}\" size={}",
            r.flags, r.size
        ));
        let answer = if r.flags & 1 != 0 {
            USER
        } else if r.flags & 4 != 0 {
            PASS
        } else {
            REALM
        };
        unsafe {
            *result.add(i) = if log.null_answers {
                null_mut()
            } else {
                answer.as_ptr() as *mut c_char
            }
        };
    }
    if !log.reenter.is_null() {
        // A re-entrant call on the busy context is refused, not aliased.
        let ctx = log.reenter;
        let set = unsafe { auth_set_mechanism(ctx, c"NTLM".as_ptr()) };
        let name_null = unsafe { auth_mechanism_name(ctx) }.is_null();
        log.reenter_result = Some((set, name_null));
        let destroyed = unsafe { auth_destroy_context(ctx) };
        assert_eq!(destroyed, 0);
    }
    c_int::from(!log.refuse)
}

fn log() -> Box<Log> {
    Box::new(Log {
        lines: Vec::new(),
        refuse: false,
        null_answers: false,
        reenter: null_mut(),
        reenter_result: None,
    })
}

fn mech(ctx: auth_context_t, name: &CStr) -> c_int {
    unsafe { auth_set_mechanism(ctx, name.as_ptr()) }
}

fn name(ctx: auth_context_t) -> Option<String> {
    let p = unsafe { auth_mechanism_name(ctx) };
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned())
}

fn response(ctx: auth_context_t, ch: Option<&[u8]>) -> (Option<Vec<u8>>, c_int) {
    let mut len: c_int = -7;
    let p = match ch {
        None => unsafe { auth_response(ctx, null(), &mut len) },
        Some(c) => {
            len = c.len() as c_int;
            unsafe { auth_response(ctx, c.as_ptr().cast(), &mut len) }
        }
    };
    if p.is_null() {
        (None, len)
    } else {
        let bytes = unsafe { std::slice::from_raw_parts(p.cast::<u8>(), len as usize) }.to_vec();
        // NUL after the response, for C callers that treat it as a string
        assert_eq!(unsafe { *p.add(len as usize) }, 0);
        (Some(bytes), len)
    }
}

#[test]
fn p01_return_values() {
    set_errno(0);
    let ctx = auth_create_context();
    assert!(!ctx.is_null());
    unsafe {
        assert_eq!(auth_client_enabled(null_mut()), 0);
        assert_eq!(auth_client_enabled(ctx), 0);
        assert_eq!(name(ctx), None);
        assert_eq!(auth_get_ssf(ctx), -1);
        assert_eq!(response(ctx, None), (None, -7));

        assert_eq!(mech(ctx, c"PLAIN"), 0);
        assert_eq!(mech(ctx, c"LOGIN"), 0);
        assert_eq!(mech(ctx, c"CRAM-MD5"), 1); // Q16: libESMTP on Debian: 0
        assert_eq!(mech(ctx, c"NTLM"), 1);
        assert_eq!(mech(ctx, c"EXTERNAL"), 0);
        assert_eq!(mech(ctx, c"ANONYMOUS"), 0);
        assert_eq!(mech(ctx, c"DIGEST-MD5"), 0);
        assert_eq!(mech(ctx, c"XOAUTH2"), 0);
        assert_eq!(name(ctx).as_deref(), Some("NTLM"));
        assert_eq!(auth_set_mechanism(ctx, null()), 0);
        assert_eq!(auth_set_mechanism(null_mut(), c"NTLM".as_ptr()), 0);

        assert_eq!(auth_set_mechanism_flags(ctx, 2, 0), 1);
        assert_eq!(mech(ctx, c"PLAIN"), 1);
        assert_eq!(mech(ctx, c"login"), 1);
        assert_eq!(name(ctx).as_deref(), Some("LOGIN"));
        assert_eq!(auth_set_mechanism_ssf(ctx, 1), 1);
        assert_eq!(mech(ctx, c"CRAM-MD5"), 0);
        assert_eq!(name(ctx).as_deref(), Some("LOGIN"));
        assert_eq!(auth_set_mechanism_ssf(ctx, 0), 1);

        assert_eq!(auth_set_mechanism_flags(ctx, 4, 0), 1);
        assert_eq!(mech(ctx, c"EXTERNAL"), 0);
        assert_eq!(auth_set_external_id(ctx, c"user@example.org".as_ptr()), 1);
        assert_eq!(mech(ctx, c"EXTERNAL"), 1);
        assert_eq!(auth_get_ssf(ctx), 0);
        assert_eq!(
            response(ctx, None),
            (Some(b"user@example.org".to_vec()), 16)
        );
        assert_eq!(
            response(ctx, Some(b"")),
            (Some(b"user@example.org".to_vec()), 16)
        );
        assert_eq!(auth_set_mechanism_flags(ctx, 0, 4), 1);
        assert_eq!(mech(ctx, c"EXTERNAL"), 1);
        assert_eq!(auth_set_external_id(ctx, null()), 1);
        assert_eq!(mech(ctx, c"EXTERNAL"), 0);

        assert_eq!(mech(ctx, c"PLAIN"), 1);
        assert_eq!(response(ctx, None), (None, -7));
        let mut l = log();
        let arg = &mut *l as *mut Log as *mut c_void;
        assert_eq!(auth_set_interact_cb(ctx, Some(interact), arg), 1);
        assert_eq!(auth_client_enabled(ctx), 1);

        // PLAIN
        assert_eq!(mech(ctx, c"PLAIN"), 1);
        let (r, len) = response(ctx, None);
        assert_eq!(r.as_deref(), Some(&b"\0tim\0tanstaaftanstaaf"[..]));
        assert_eq!(len, 21);
        assert_eq!(response(ctx, Some(b"")), (None, 0));
        // LOGIN
        assert_eq!(mech(ctx, c"LOGIN"), 1);
        assert_eq!(response(ctx, None).0.as_deref(), Some(&b"tim"[..]));
        assert_eq!(
            response(ctx, Some(b"Password:")).0.as_deref(),
            Some(&b"tanstaaftanstaaf"[..])
        );
        assert_eq!(response(ctx, Some(b"")), (None, 0));
        // CRAM-MD5 (P03)
        assert_eq!(mech(ctx, c"CRAM-MD5"), 1);
        assert_eq!(response(ctx, None), (None, 0));
        assert_eq!(
            response(ctx, Some(b"<1896.697170952@postoffice.reston.mci.net>"))
                .0
                .as_deref(),
            Some(&b"tim b913a602c7eda7a495b4e6e7334d3890"[..])
        );
        assert_eq!(
            l.lines,
            [
                "fields=2",
                "[0] name=\"user\" flags=0x9 prompt=\"User Name\" size=255",
                "[1] name=\"passphrase\" flags=0xc prompt=\"Pass Phrase\" size=255",
                "fields=2",
                "[0] name=\"user\" flags=0x9 prompt=\"User Name\" size=0",
                "[1] name=\"passphrase\" flags=0xc prompt=\"Password\" size=0",
                "fields=2",
                "[0] name=\"user\" flags=0x9 prompt=\"User Name\" size=0",
                "[1] name=\"passphrase\" flags=0x4 prompt=\"Pass Phrase\" size=0",
            ]
        );
        // NTLM
        l.lines.clear();
        assert_eq!(mech(ctx, c"NTLM"), 1);
        let (t1, len) = response(ctx, None);
        assert!(len >= 32);
        assert_eq!(&t1.unwrap()[..8], b"NTLMSSP\0");
        assert_eq!(
            l.lines,
            [
                "fields=3",
                "[0] name=\"domain\" flags=0xa prompt=\"Domain\" size=0",
                "[1] name=\"user\" flags=0x9 prompt=\"User Name\" size=0",
                "[2] name=\"passphrase\" flags=0x4 prompt=\"Pass Phrase\" size=0",
            ]
        );
        let mut t2 = vec![0u8; 40];
        t2[..8].copy_from_slice(b"NTLMSSP\0");
        t2[8] = 2;
        t2[20] = 0x01;
        t2[21] = 0x82;
        t2[24..32].copy_from_slice(&[0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef]);
        let (t3, _) = response(ctx, Some(&t2));
        let t3 = t3.unwrap();
        assert_eq!(
            &t3[64..72],
            &[0x34, 0x47, 0xa7, 0xf4, 0xfe, 0xed, 0xd1, 0xf5]
        );

        // interact refusing
        l.refuse = true;
        l.lines.clear();
        assert_eq!(mech(ctx, c"PLAIN"), 1);
        assert_eq!(response(ctx, None), (None, 0));
        assert_eq!(response(ctx, Some(b"")), (None, 0));
        assert_eq!(l.lines.len(), 6);

        assert_eq!(auth_destroy_context(ctx), 1);
        assert_eq!(auth_destroy_context(null_mut()), 0);
        assert_eq!(auth_set_mechanism_flags(null_mut(), 0, 0), 0);
        assert_eq!(auth_set_mechanism_ssf(null_mut(), 0), 0);
        assert_eq!(auth_set_interact_cb(null_mut(), None, null_mut()), 0);
        assert_eq!(auth_set_external_id(null_mut(), null()), 0);
        assert_eq!(auth_get_ssf(null_mut()), -1);
        assert!(auth_mechanism_name(null_mut()).is_null());
        let mut len = 5;
        assert!(auth_response(null_mut(), null(), &mut len).is_null());
        assert_eq!(len, 5);
        // none of these touched smtp_errno
        assert_eq!(get_errno(), 0);

        assert_eq!(smtp_auth_set_context(null_mut(), null_mut()), 0);
        assert_eq!(get_errno(), 7);
        set_errno(0);
        auth_client_init();
        auth_client_exit();
    }
}

#[test]
fn response_needs_len() {
    let ctx = auth_create_context();
    unsafe {
        auth_set_external_id(ctx, c"x".as_ptr());
        assert_eq!(mech(ctx, c"EXTERNAL"), 1);
        assert!(auth_response(ctx, null(), null_mut()).is_null());
        assert_eq!(response(ctx, None).0.as_deref(), Some(&b"x"[..]));
        assert_eq!(auth_destroy_context(ctx), 1);
    }
}

#[test]
fn smtp_auth_set_context_stores_pointer() {
    let s = smtp_create_session();
    let ctx = auth_create_context();
    unsafe {
        assert_eq!(smtp_auth_set_context(s, ctx), 1);
        assert_eq!(smtp_auth_set_context(s, null_mut()), 1);
        assert_eq!(smtp_auth_set_context(s, ctx), 1);
        // the engine's accessor finds it
        let got = with_auth_context(ctx.cast(), |c| c.enabled());
        assert_eq!(got, Some(false));
        assert_eq!(auth_destroy_context(ctx), 1);
        // ... and refuses it once destroyed
        assert_eq!(with_auth_context(ctx.cast(), |c| c.enabled()), None);
        assert_eq!(with_auth_context(null_mut(), |c| c.enabled()), None);
        smtp_destroy_session(s);
    }
}

#[test]
fn hardened_cases() {
    unsafe {
        // double destroy: libESMTP frees twice
        let ctx = auth_create_context();
        assert_eq!(auth_destroy_context(ctx), 1);
        assert_eq!(auth_destroy_context(ctx), 0);
        assert_eq!(mech(ctx, c"NTLM"), 0);
        // a pointer that is not a context
        let mut junk = [0u64; 8];
        let fake = junk.as_mut_ptr() as auth_context_t;
        assert_eq!(auth_destroy_context(fake), 0);
        assert_eq!(auth_client_enabled(fake), 0);

        // NULL answers from the callback count as empty (libESMTP crashes)
        let ctx = auth_create_context();
        let mut l = log();
        l.null_answers = true;
        auth_set_interact_cb(ctx, Some(interact), &mut *l as *mut Log as *mut c_void);
        auth_set_mechanism_flags(ctx, 2, 0);
        assert_eq!(mech(ctx, c"PLAIN"), 1);
        assert_eq!(response(ctx, None).0.as_deref(), Some(&b"\0\0"[..]));

        // a challenge before any initial response (libESMTP: NULL state)
        assert_eq!(mech(ctx, c"LOGIN"), 1);
        l.null_answers = false;
        assert_eq!(
            response(ctx, Some(b"Username:")).0.as_deref(),
            Some(&b"tim"[..])
        );

        // negative challenge length reads nothing
        assert_eq!(mech(ctx, c"CRAM-MD5"), 1);
        let _ = response(ctx, None);
        let mut len: c_int = -1;
        let p = auth_response(ctx, c"abc".as_ptr(), &mut len);
        assert!(!p.is_null());
        assert_eq!(len, 36);

        // re-entering the API on the busy context from the callback
        l.reenter = ctx;
        assert_eq!(mech(ctx, c"PLAIN"), 1);
        assert!(response(ctx, None).0.is_some());
        assert_eq!(l.reenter_result, Some((0, true)));
        l.reenter = null_mut();
        assert_eq!(name(ctx).as_deref(), Some("PLAIN"));
        assert_eq!(auth_destroy_context(ctx), 1);
    }
}
