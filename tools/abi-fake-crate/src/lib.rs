//! Stand-in for the esmtp crate's C exports, used to prove the cbindgen
//! pipeline of capi-tests/abi/check.sh (cbindgen.toml -> esmtp-decls.h ->
//! decl_check.c) before the real exports exist, and to show the Rust
//! signatures that agree with include/libesmtp.h and include/auth-client.h:
//!
//! * handles are structs named like the C tags (`smtp_session`, ...);
//! * enum parameters use aliases named like the C tag: `c_uint` for the
//!   enums without negative constants (C compilers make those compatible
//!   with `unsigned int`), `c_int` for `notify_flags`;
//! * callbacks use aliases that contain the `Option` (`Option<Alias>` of a
//!   bare fn alias comes out of cbindgen 0.29 as an opaque struct);
//! * `smtp_status` / `auth_client_request` are `#[repr(C)]`.
//!
//! Every body is a stub: nothing here is ever called.
#![allow(non_camel_case_types, clippy::missing_safety_doc, unused_variables)]

use std::ffi::{c_char, c_int, c_long, c_uint, c_ulong, c_void};

/// Opaque session handle.
pub struct smtp_session {
    _private: [u8; 0],
}
/// Opaque message handle.
pub struct smtp_message {
    _private: [u8; 0],
}
/// Opaque recipient handle.
pub struct smtp_recipient {
    _private: [u8; 0],
}
/// Opaque ETRN node handle.
pub struct smtp_etrn_node {
    _private: [u8; 0],
}
/// Opaque SASL context handle.
pub struct auth_context {
    _private: [u8; 0],
}

/// OpenSSL's `SSL_CTX` (the real crate uses `openssl_sys::SSL_CTX`, which
/// cbindgen prints as `SSL_CTX` too).
pub struct ssl_ctx_st {
    _private: [u8; 0],
}
pub type SSL_CTX = ssl_ctx_st;

/// `struct smtp_status`.
#[repr(C)]
pub struct smtp_status {
    pub code: c_int,
    pub text: *mut c_char,
    pub enh_class: c_int,
    pub enh_subject: c_int,
    pub enh_detail: c_int,
}

/// `struct auth_client_request`.
#[repr(C)]
pub struct auth_client_request {
    pub name: *const c_char,
    pub flags: c_uint,
    pub prompt: *const c_char,
    pub size: c_uint,
}

pub type header_option = c_uint;
pub type ret_flags = c_uint;
pub type notify_flags = c_int;
pub type e8bitmime_body = c_uint;
pub type by_mode = c_uint;
pub type starttls_option = c_uint;

pub type smtp_enumerate_messagecb_t = Option<unsafe extern "C" fn(*mut smtp_message, *mut c_void)>;
pub type smtp_enumerate_recipientcb_t =
    Option<unsafe extern "C" fn(*mut smtp_recipient, *const c_char, *mut c_void)>;
pub type smtp_messagecb_t =
    Option<unsafe extern "C" fn(*mut *mut c_void, *mut c_int, *mut c_void) -> *const c_char>;
pub type smtp_eventcb_t = Option<unsafe extern "C" fn(*mut smtp_session, c_int, *mut c_void, ...)>;
pub type smtp_monitorcb_t = Option<unsafe extern "C" fn(*const c_char, c_int, c_int, *mut c_void)>;
pub type smtp_starttls_passwordcb_t =
    Option<unsafe extern "C" fn(*mut c_char, c_int, c_int, *mut c_void) -> c_int>;
pub type smtp_etrn_enumerate_nodecb_t =
    Option<unsafe extern "C" fn(*mut smtp_etrn_node, c_int, *const c_char, *mut c_void)>;
pub type auth_interact_t = Option<
    unsafe extern "C" fn(*const auth_client_request, *mut *mut c_char, c_int, *mut c_void) -> c_int,
>;
pub type release_t = Option<unsafe extern "C" fn(*mut c_void)>;

// ---- version, errors ----
#[no_mangle]
pub unsafe extern "C" fn smtp_version(buf: *mut c_void, len: usize, what: c_int) -> c_int { 0 }
#[no_mangle]
pub unsafe extern "C" fn smtp_errno() -> c_int { 0 }
#[no_mangle]
pub unsafe extern "C" fn smtp_strerror(error: c_int, buf: *mut c_char, buflen: usize) -> *mut c_char { buf }

// ---- session ----
#[no_mangle]
pub unsafe extern "C" fn smtp_create_session() -> *mut smtp_session { std::ptr::null_mut() }
#[no_mangle]
pub unsafe extern "C" fn smtp_set_server(session: *mut smtp_session, hostport: *const c_char) -> c_int { 0 }
#[no_mangle]
pub unsafe extern "C" fn smtp_get_server_name(session: *mut smtp_session) -> *const c_char { std::ptr::null() }
#[no_mangle]
pub unsafe extern "C" fn smtp_set_hostname(session: *mut smtp_session, hostname: *const c_char) -> c_int { 0 }
#[no_mangle]
pub unsafe extern "C" fn smtp_set_timeout(session: *mut smtp_session, which: c_int, value: c_long) -> c_long { 0 }
#[no_mangle]
pub unsafe extern "C" fn smtp_option_require_all_recipients(session: *mut smtp_session, state: c_int) -> c_int { 0 }
#[no_mangle]
pub unsafe extern "C" fn smtp_set_eventcb(session: *mut smtp_session, cb: smtp_eventcb_t, arg: *mut c_void) -> c_int { 0 }
#[no_mangle]
pub unsafe extern "C" fn smtp_set_monitorcb(
    session: *mut smtp_session,
    cb: smtp_monitorcb_t,
    arg: *mut c_void,
    headers: c_int,
) -> c_int {
    0
}
#[no_mangle]
pub unsafe extern "C" fn smtp_start_session(session: *mut smtp_session) -> c_int { 0 }
#[no_mangle]
pub unsafe extern "C" fn smtp_destroy_session(session: *mut smtp_session) -> c_int { 0 }

// ---- messages ----
#[no_mangle]
pub unsafe extern "C" fn smtp_add_message(session: *mut smtp_session) -> *mut smtp_message { std::ptr::null_mut() }
#[no_mangle]
pub unsafe extern "C" fn smtp_enumerate_messages(
    session: *mut smtp_session,
    cb: smtp_enumerate_messagecb_t,
    arg: *mut c_void,
) -> c_int {
    0
}
#[no_mangle]
pub unsafe extern "C" fn smtp_set_reverse_path(message: *mut smtp_message, mailbox: *const c_char) -> c_int { 0 }
#[no_mangle]
pub unsafe extern "C" fn smtp_set_messagecb(message: *mut smtp_message, cb: smtp_messagecb_t, arg: *mut c_void) -> c_int { 0 }
#[no_mangle]
pub unsafe extern "C" fn smtp_message_transfer_status(message: *mut smtp_message) -> *const smtp_status { std::ptr::null() }
#[no_mangle]
pub unsafe extern "C" fn smtp_reverse_path_status(message: *mut smtp_message) -> *const smtp_status { std::ptr::null() }
#[no_mangle]
pub unsafe extern "C" fn smtp_message_reset_status(message: *mut smtp_message) -> c_int { 0 }
#[no_mangle]
pub unsafe extern "C" fn smtp_dsn_set_ret(message: *mut smtp_message, flags: ret_flags) -> c_int { 0 }
#[no_mangle]
pub unsafe extern "C" fn smtp_dsn_set_envid(message: *mut smtp_message, envid: *const c_char) -> c_int { 0 }
#[no_mangle]
pub unsafe extern "C" fn smtp_size_set_estimate(message: *mut smtp_message, size: c_ulong) -> c_int { 0 }
#[no_mangle]
pub unsafe extern "C" fn smtp_8bitmime_set_body(message: *mut smtp_message, body: e8bitmime_body) -> c_int { 0 }
#[no_mangle]
pub unsafe extern "C" fn smtp_deliverby_set_mode(
    message: *mut smtp_message,
    time: c_long,
    mode: by_mode,
    trace: c_int,
) -> c_int {
    0
}
#[no_mangle]
pub unsafe extern "C" fn smtp_set_resent_headers(message: *mut smtp_message, onoff: c_int) -> c_int { 0 }
#[no_mangle]
pub unsafe extern "C" fn _smtp_message_fp_cb(ctx: *mut *mut c_void, len: *mut c_int, arg: *mut c_void) -> *const c_char {
    std::ptr::null()
}
#[no_mangle]
pub unsafe extern "C" fn _smtp_message_str_cb(ctx: *mut *mut c_void, len: *mut c_int, arg: *mut c_void) -> *const c_char {
    std::ptr::null()
}

// ---- recipients ----
#[no_mangle]
pub unsafe extern "C" fn smtp_add_recipient(message: *mut smtp_message, mailbox: *const c_char) -> *mut smtp_recipient {
    std::ptr::null_mut()
}
#[no_mangle]
pub unsafe extern "C" fn smtp_enumerate_recipients(
    message: *mut smtp_message,
    cb: smtp_enumerate_recipientcb_t,
    arg: *mut c_void,
) -> c_int {
    0
}
#[no_mangle]
pub unsafe extern "C" fn smtp_recipient_status(recipient: *mut smtp_recipient) -> *const smtp_status { std::ptr::null() }
#[no_mangle]
pub unsafe extern "C" fn smtp_recipient_check_complete(recipient: *mut smtp_recipient) -> c_int { 0 }
#[no_mangle]
pub unsafe extern "C" fn smtp_recipient_reset_status(recipient: *mut smtp_recipient) -> c_int { 0 }
#[no_mangle]
pub unsafe extern "C" fn smtp_dsn_set_notify(recipient: *mut smtp_recipient, flags: notify_flags) -> c_int { 0 }
#[no_mangle]
pub unsafe extern "C" fn smtp_dsn_set_orcpt(
    recipient: *mut smtp_recipient,
    address_type: *const c_char,
    address: *const c_char,
) -> c_int {
    0
}

// ---- application data ----
#[no_mangle]
pub unsafe extern "C" fn smtp_set_application_data(session: *mut smtp_session, data: *mut c_void) -> *mut c_void { data }
#[no_mangle]
pub unsafe extern "C" fn smtp_set_application_data_release(session: *mut smtp_session, data: *mut c_void, release: release_t) {}
#[no_mangle]
pub unsafe extern "C" fn smtp_get_application_data(session: *mut smtp_session) -> *mut c_void { std::ptr::null_mut() }
#[no_mangle]
pub unsafe extern "C" fn smtp_message_set_application_data(message: *mut smtp_message, data: *mut c_void) -> *mut c_void { data }
#[no_mangle]
pub unsafe extern "C" fn smtp_message_set_application_data_release(
    message: *mut smtp_message,
    data: *mut c_void,
    release: release_t,
) {
}
#[no_mangle]
pub unsafe extern "C" fn smtp_message_get_application_data(message: *mut smtp_message) -> *mut c_void { std::ptr::null_mut() }
#[no_mangle]
pub unsafe extern "C" fn smtp_recipient_set_application_data(recipient: *mut smtp_recipient, data: *mut c_void) -> *mut c_void {
    data
}
#[no_mangle]
pub unsafe extern "C" fn smtp_recipient_set_application_data_release(
    recipient: *mut smtp_recipient,
    data: *mut c_void,
    release: release_t,
) {
}
#[no_mangle]
pub unsafe extern "C" fn smtp_recipient_get_application_data(recipient: *mut smtp_recipient) -> *mut c_void {
    std::ptr::null_mut()
}
#[no_mangle]
pub unsafe extern "C" fn smtp_etrn_set_application_data(node: *mut smtp_etrn_node, data: *mut c_void) -> *mut c_void { data }
#[no_mangle]
pub unsafe extern "C" fn smtp_etrn_set_application_data_release(node: *mut smtp_etrn_node, data: *mut c_void, release: release_t) {}
#[no_mangle]
pub unsafe extern "C" fn smtp_etrn_get_application_data(node: *mut smtp_etrn_node) -> *mut c_void { std::ptr::null_mut() }

// ---- ETRN ----
#[no_mangle]
pub unsafe extern "C" fn smtp_etrn_add_node(session: *mut smtp_session, option: c_int, node: *const c_char) -> *mut smtp_etrn_node {
    std::ptr::null_mut()
}
#[no_mangle]
pub unsafe extern "C" fn smtp_etrn_enumerate_nodes(
    session: *mut smtp_session,
    cb: smtp_etrn_enumerate_nodecb_t,
    arg: *mut c_void,
) -> c_int {
    0
}
#[no_mangle]
pub unsafe extern "C" fn smtp_etrn_node_status(node: *mut smtp_etrn_node) -> *const smtp_status { std::ptr::null() }

// ---- STARTTLS ----
#[no_mangle]
pub unsafe extern "C" fn smtp_starttls_enable(session: *mut smtp_session, how: starttls_option) -> c_int { 0 }
#[no_mangle]
pub unsafe extern "C" fn smtp_starttls_set_ctx(session: *mut smtp_session, ctx: *mut SSL_CTX) -> c_int { 0 }
#[no_mangle]
pub unsafe extern "C" fn smtp_starttls_set_password_cb(cb: smtp_starttls_passwordcb_t, arg: *mut c_void) -> c_int { 0 }

// ---- AUTH ----
#[no_mangle]
pub unsafe extern "C" fn smtp_auth_set_context(session: *mut smtp_session, context: *mut auth_context) -> c_int { 0 }
#[no_mangle]
pub unsafe extern "C" fn auth_client_init() {}
#[no_mangle]
pub unsafe extern "C" fn auth_client_exit() {}
#[no_mangle]
pub unsafe extern "C" fn auth_create_context() -> *mut auth_context { std::ptr::null_mut() }
#[no_mangle]
pub unsafe extern "C" fn auth_destroy_context(context: *mut auth_context) -> c_int { 0 }
#[no_mangle]
pub unsafe extern "C" fn auth_set_mechanism_flags(context: *mut auth_context, set: c_uint, clear: c_uint) -> c_int { 0 }
#[no_mangle]
pub unsafe extern "C" fn auth_set_mechanism_ssf(context: *mut auth_context, min_ssf: c_int) -> c_int { 0 }
#[no_mangle]
pub unsafe extern "C" fn auth_set_interact_cb(context: *mut auth_context, interact: auth_interact_t, arg: *mut c_void) -> c_int {
    0
}
#[no_mangle]
pub unsafe extern "C" fn auth_client_enabled(context: *mut auth_context) -> c_int { 0 }
#[no_mangle]
pub unsafe extern "C" fn auth_set_mechanism(context: *mut auth_context, name: *const c_char) -> c_int { 0 }
#[no_mangle]
pub unsafe extern "C" fn auth_mechanism_name(context: *mut auth_context) -> *const c_char { std::ptr::null() }
#[no_mangle]
pub unsafe extern "C" fn auth_response(context: *mut auth_context, challenge: *const c_char, len: *mut c_int) -> *const c_char {
    std::ptr::null()
}
#[no_mangle]
pub unsafe extern "C" fn auth_get_ssf(context: *mut auth_context) -> c_int { 0 }
#[no_mangle]
pub unsafe extern "C" fn auth_encode(
    dstbuf: *mut *mut c_char,
    dstlen: *mut c_int,
    srcbuf: *const c_char,
    srclen: c_int,
    arg: *mut c_void,
) {
}
#[no_mangle]
pub unsafe extern "C" fn auth_decode(
    dstbuf: *mut *mut c_char,
    dstlen: *mut c_int,
    srcbuf: *const c_char,
    srclen: c_int,
    arg: *mut c_void,
) {
}
#[no_mangle]
pub unsafe extern "C" fn auth_set_external_id(context: *mut auth_context, identity: *const c_char) -> c_int { 0 }
