//! C ABI: STARTTLS (`smtp_starttls_enable`, `smtp_starttls_set_ctx`,
//! `smtp_starttls_set_password_cb`; tls-auth.md 3, api.md 7.12).

use std::ffi::{c_char, c_int, c_uint, c_void};
use std::sync::Arc;

use foreign_types_shared::ForeignType;
use openssl::ssl::SslContext;
use openssl_sys::SSL_CTX;

use super::errno::{set_errno, SMTP_ERR_INVAL};
use super::handles::{session_core_mut, smtp_session};
use super::macros::guard;
use crate::core::extensions::ExtSet;
use crate::core::model::STARTTLS_REQUIRED;
use crate::core::transport::tls::set_password_callback;

/// `smtp_starttls_passwordcb_t`: `int (*)(char *buf, int buflen, int
/// rwflag, void *arg)`, OpenSSL's `pem_password_cb` shape.
pub type PasswordFn = Option<
    unsafe extern "C" fn(buf: *mut c_char, buflen: c_int, rwflag: c_int, arg: *mut c_void) -> c_int,
>;

/// Enables STARTTLS (`enum starttls_option`: 0 disabled, 2 required, any
/// other value enabled; not range-checked, as libESMTP). `Starttls_REQUIRED`
/// marks STARTTLS as a required extension, any other value clears the mark.
/// Returns 1; 0 with `SMTP_ERR_INVAL` for a NULL session or a call from
/// inside the running session.
///
/// # Safety
/// `session` is NULL or a live session handle.
#[no_mangle]
pub unsafe extern "C" fn smtp_starttls_enable(session: *mut smtp_session, how: c_uint) -> c_int {
    // The enum is unsigned in C; libESMTP does not range-check it.
    let how = how as i32;
    guard(0, || {
        // SAFETY: the caller passes NULL or a live handle.
        let core = unsafe { session_core_mut(session) };
        check_args!(core.is_some(), 0);
        let Some(core) = core else { return 0 };
        core.starttls = how;
        if how == STARTTLS_REQUIRED {
            core.required.insert(ExtSet::STARTTLS);
        } else {
            core.required.remove(ExtSet::STARTTLS);
        }
        1
    })
}

/// Uses the application's `SSL_CTX` for this session's STARTTLS instead of
/// the one built from the certificate files. The session takes its own
/// reference (`SSL_CTX_up_ref`), so the application may free its own right
/// away; a context set earlier is released (libESMTP leaked it), and
/// `smtp_destroy_session` releases the last one.
/// Returns 1; 0 with `SMTP_ERR_INVAL` for a NULL session, a NULL `ctx`
/// (libESMTP 1.1 crashes), or a call from inside the running session.
///
/// # Safety
/// `session` is NULL or a live session handle; `ctx` is NULL or a live
/// `SSL_CTX` of the OpenSSL this library is linked with.
#[no_mangle]
pub unsafe extern "C" fn smtp_starttls_set_ctx(
    session: *mut smtp_session,
    ctx: *mut SSL_CTX,
) -> c_int {
    guard(0, || {
        // SAFETY: the caller passes NULL or a live handle.
        let core = unsafe { session_core_mut(session) };
        check_args!(core.is_some() && !ctx.is_null(), 0);
        let Some(core) = core else { return 0 };
        // SAFETY: `ctx` is a live SSL_CTX (caller's contract, NULL excluded
        // above). SSL_CTX_up_ref gives us a reference of our own, which the
        // SslContext then owns and releases with SSL_CTX_free on drop.
        let owned = unsafe {
            if openssl_sys::SSL_CTX_up_ref(ctx) != 1 {
                set_errno(SMTP_ERR_INVAL);
                return 0;
            }
            SslContext::from_ptr(ctx)
        };
        // The previous context, if any, is released here.
        core.tls_context = Some(owned);
        1
    })
}

/// The application's callback and argument, called from whichever thread
/// builds a TLS context.
struct CPasswordCallback {
    cb: unsafe extern "C" fn(*mut c_char, c_int, c_int, *mut c_void) -> c_int,
    arg: *mut c_void,
}

// SAFETY: the pointer is never dereferenced here, only handed back to the
// application's callback, as libESMTP does from any thread; making the
// callback and its argument usable from several threads is the
// application's part of the contract (the setting is process-global).
unsafe impl Send for CPasswordCallback {}
// SAFETY: as for Send; we hold no data behind the pointer.
unsafe impl Sync for CPasswordCallback {}

impl CPasswordCallback {
    fn call(&self, buf: &mut [u8]) -> Option<usize> {
        let len = c_int::try_from(buf.len()).ok()?;
        // SAFETY: `buf` is valid for `len` writable bytes during the call;
        // the callback was supplied by the application for this purpose
        // with `arg`; rwflag 0 = decryption (tls-auth.md 3.3).
        let n = unsafe { (self.cb)(buf.as_mut_ptr().cast::<c_char>(), len, 0, self.arg) };
        usize::try_from(n).ok()
    }
}

/// Sets the process-global pass-phrase callback used to load protected
/// private keys of client certificates (buffer of 1024 bytes, `rwflag` 0).
/// Returns 1; 0 with `SMTP_ERR_INVAL` for a NULL `cb` (it cannot be unset).
///
/// # Safety
/// `cb` is NULL or a function with the `smtp_starttls_passwordcb_t`
/// signature that stays callable, with `arg`, for the life of the process
/// (or until the next call).
#[no_mangle]
pub unsafe extern "C" fn smtp_starttls_set_password_cb(cb: PasswordFn, arg: *mut c_void) -> c_int {
    guard(0, || {
        check_args!(cb.is_some(), 0);
        let Some(cb) = cb else { return 0 };
        let c = CPasswordCallback { cb, arg };
        set_password_callback(Arc::new(move |buf: &mut [u8]| c.call(buf)));
        1
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capi::errno::{get_errno, set_errno};
    use crate::capi::session::{smtp_create_session, smtp_destroy_session};
    use openssl::ssl::SslMethod;

    #[test]
    fn enable_and_required_mark() {
        let s = smtp_create_session();
        // SAFETY: `s` is a live session handle (NULL is allowed too).
        unsafe {
            set_errno(0);
            assert_eq!(smtp_starttls_enable(std::ptr::null_mut(), 1), 0);
            assert_eq!(get_errno(), SMTP_ERR_INVAL);
            assert_eq!(smtp_starttls_enable(s, 2), 1);
            assert_eq!((*s).core.starttls, 2);
            assert!((*s).core.required.contains(ExtSet::STARTTLS));
            assert_eq!(smtp_starttls_enable(s, 7), 1);
            assert_eq!((*s).core.starttls, 7);
            assert!(!(*s).core.required.contains(ExtSet::STARTTLS));
            smtp_destroy_session(s);
        }
    }

    #[test]
    fn set_ctx_takes_and_releases_references() {
        let app = SslContext::builder(SslMethod::tls_client())
            .map(|b| b.build())
            .expect("ctx");
        let other = SslContext::builder(SslMethod::tls_client())
            .map(|b| b.build())
            .expect("ctx");
        let s = smtp_create_session();
        // SAFETY: live handles; the contexts outlive the calls.
        unsafe {
            set_errno(0);
            assert_eq!(smtp_starttls_set_ctx(s, std::ptr::null_mut()), 0);
            assert_eq!(get_errno(), SMTP_ERR_INVAL);
            assert!((*s).core.tls_context.is_none());
            assert_eq!(smtp_starttls_set_ctx(std::ptr::null_mut(), app.as_ptr()), 0);
            assert_eq!(smtp_starttls_set_ctx(s, other.as_ptr()), 1);
            assert_eq!(smtp_starttls_set_ctx(s, app.as_ptr()), 1);
            let stored = (*s).core.tls_context.as_ref().map(|c| c.as_ptr());
            assert_eq!(stored, Some(app.as_ptr()));
        }
        // The application frees its reference; the session's stays valid.
        let raw = app.as_ptr();
        drop(app);
        drop(other);
        // SAFETY: the session holds its own reference to `raw`.
        unsafe {
            assert_eq!(
                (*s).core.tls_context.as_ref().map(|c| c.as_ptr()),
                Some(raw)
            );
            assert!(openssl::ssl::Ssl::new((*s).core.tls_context.as_ref().expect("ctx")).is_ok());
            smtp_destroy_session(s);
        }
    }

    unsafe extern "C" fn pass(
        buf: *mut c_char,
        buflen: c_int,
        rwflag: c_int,
        arg: *mut c_void,
    ) -> c_int {
        assert_eq!(rwflag, 0);
        assert_eq!(buflen, 1024);
        // SAFETY: the test passes a pointer to a static byte string.
        let secret: &[u8] = unsafe { *(arg as *const &[u8]) };
        // SAFETY: `buf` has `buflen` bytes, more than the secret.
        unsafe { std::ptr::copy_nonoverlapping(secret.as_ptr(), buf.cast::<u8>(), secret.len()) };
        secret.len() as c_int
    }

    #[test]
    fn password_callback_loads_a_protected_key() {
        use crate::core::transport::tls::context::{load_client_cert, ClientCert};
        use openssl::ec::{EcGroup, EcKey};
        use openssl::nid::Nid;
        use openssl::pkey::PKey;

        static SECRET: &[u8] = b"keypass";
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).expect("group");
        let key = PKey::from_ec_key(EcKey::generate(&group).expect("key")).expect("pkey");
        let mut name = openssl::x509::X509Name::builder().expect("name");
        name.append_entry_by_nid(Nid::COMMONNAME, "c").expect("cn");
        let name = name.build();
        let mut b = openssl::x509::X509::builder().expect("x509");
        b.set_subject_name(&name).expect("s");
        b.set_issuer_name(&name).expect("i");
        b.set_pubkey(&key).expect("k");
        let t0 = openssl::asn1::Asn1Time::days_from_now(0).expect("t");
        let t1 = openssl::asn1::Asn1Time::days_from_now(1).expect("t");
        b.set_not_before(&t0).expect("nb");
        b.set_not_after(&t1).expect("na");
        b.sign(&key, openssl::hash::MessageDigest::sha256())
            .expect("sign");
        let mut pem = b.build().to_pem().expect("pem");
        pem.extend(
            key.private_key_to_pem_pkcs8_passphrase(openssl::symm::Cipher::aes_128_cbc(), SECRET)
                .expect("pem"),
        );
        let path = std::env::temp_dir().join(format!("esmtp-capi-pass-{}.pem", std::process::id()));
        std::fs::write(&path, pem).expect("write");
        // SAFETY: `pass` has the callback signature; the argument points to
        // a static and lives for the whole process.
        unsafe {
            assert_eq!(smtp_starttls_set_password_cb(None, std::ptr::null_mut()), 0);
            assert_eq!(get_errno(), SMTP_ERR_INVAL);
            static ARG: &[u8] = SECRET;
            let arg = &ARG as *const &[u8] as *mut c_void;
            assert_eq!(smtp_starttls_set_password_cb(Some(pass), arg), 1);
        }
        let what = match load_client_cert(&path) {
            ClientCert::Loaded { .. } => "loaded",
            ClientCert::NoCertificate => "no certificate",
            ClientCert::KeyUnusable => "key unusable",
        };
        assert_eq!(what, "loaded");
        std::fs::remove_file(&path).ok();
    }
}
