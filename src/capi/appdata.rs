//! C ABI: application data on sessions, messages, recipients and ETRN nodes.

use std::cell::Cell;
use std::ffi::c_void;

use super::handles::{
    etrn_ref, message_ref, recipient_ref, session_ref, smtp_etrn_node, smtp_message,
    smtp_recipient, smtp_session,
};
use super::macros::guard;

/// `void (*release)(void *)`.
pub type ReleaseFn = unsafe extern "C" fn(*mut c_void);

/// One object's application data and its release function.
#[derive(Debug)]
pub struct AppData {
    data: Cell<*mut c_void>,
    release: Cell<Option<ReleaseFn>>,
}

impl Default for AppData {
    fn default() -> Self {
        AppData {
            data: Cell::new(std::ptr::null_mut()),
            release: Cell::new(None),
        }
    }
}

impl AppData {
    /// libESMTP's `*_set_application_data_release`: the old data is released
    /// first when both it and its release function are set (even if it is
    /// the same pointer being set again).
    pub fn set_with_release(&self, data: *mut c_void, release: Option<ReleaseFn>) {
        self.release_now();
        self.data.set(data);
        self.release.set(release);
    }

    /// The deprecated `*_set_application_data`: returns the old data, forgets
    /// its release function without calling it.
    pub fn replace(&self, data: *mut c_void) -> *mut c_void {
        self.release.set(None);
        self.data.replace(data)
    }

    pub fn get(&self) -> *mut c_void {
        self.data.get()
    }

    /// Calls the release function on the data, if both are set (at destroy).
    pub fn release_now(&self) {
        let data = self.data.get();
        if let (false, Some(release)) = (data.is_null(), self.release.get()) {
            // The release must not run twice if it re-enters.
            self.data.set(std::ptr::null_mut());
            self.release.set(None);
            // SAFETY: the application registered `release` for `data`.
            unsafe { release(data) };
        }
    }
}

/// A handle that carries application data.
pub trait HasAppData {
    fn app(&self) -> &AppData;
}

impl HasAppData for smtp_session {
    fn app(&self) -> &AppData {
        &self.app
    }
}
impl HasAppData for smtp_message {
    fn app(&self) -> &AppData {
        &self.app
    }
}
impl HasAppData for smtp_recipient {
    fn app(&self) -> &AppData {
        &self.app
    }
}
impl HasAppData for smtp_etrn_node {
    fn app(&self) -> &AppData {
        &self.app
    }
}

fn set_release_on<H: HasAppData>(h: Option<&H>, data: *mut c_void, release: Option<ReleaseFn>) {
    guard((), || match h {
        Some(h) => h.app().set_with_release(data, release),
        None => super::errno::set_errno(super::errno::SMTP_ERR_INVAL),
    })
}

fn replace_on<H: HasAppData>(h: Option<&H>, data: *mut c_void) -> *mut c_void {
    guard(std::ptr::null_mut(), || {
        check_args!(h.is_some(), std::ptr::null_mut());
        h.map_or(std::ptr::null_mut(), |h| h.app().replace(data))
    })
}

fn get_on<H: HasAppData>(h: Option<&H>) -> *mut c_void {
    guard(std::ptr::null_mut(), || {
        check_args!(h.is_some(), std::ptr::null_mut());
        h.map_or(std::ptr::null_mut(), |h| h.app().get())
    })
}

/// Stores application data with a release function; previous data is
/// released first if it has one. NULL handle: SMTP_ERR_INVAL.
///
/// # Safety
/// The handle is NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn smtp_set_application_data_release(
    handle: *mut smtp_session,
    data: *mut c_void,
    release: Option<unsafe extern "C" fn(*mut c_void)>,
) {
    // SAFETY: NULL or valid per the contract.
    set_release_on(unsafe { session_ref(handle) }, data, release)
}

/// Deprecated: stores application data and returns the old data, without
/// calling a release function. NULL handle: NULL, SMTP_ERR_INVAL.
///
/// # Safety
/// The handle is NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn smtp_set_application_data(
    handle: *mut smtp_session,
    data: *mut c_void,
) -> *mut c_void {
    // SAFETY: NULL or valid per the contract.
    replace_on(unsafe { session_ref(handle) }, data)
}

/// The stored application data. NULL handle: NULL, SMTP_ERR_INVAL.
///
/// # Safety
/// The handle is NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn smtp_get_application_data(handle: *mut smtp_session) -> *mut c_void {
    // SAFETY: NULL or valid per the contract.
    get_on(unsafe { session_ref(handle) })
}

/// Stores application data with a release function; previous data is
/// released first if it has one. NULL handle: SMTP_ERR_INVAL.
///
/// # Safety
/// The handle is NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn smtp_message_set_application_data_release(
    handle: *mut smtp_message,
    data: *mut c_void,
    release: Option<unsafe extern "C" fn(*mut c_void)>,
) {
    // SAFETY: NULL or valid per the contract.
    set_release_on(unsafe { message_ref(handle) }, data, release)
}

/// Deprecated: stores application data and returns the old data, without
/// calling a release function. NULL handle: NULL, SMTP_ERR_INVAL.
///
/// # Safety
/// The handle is NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn smtp_message_set_application_data(
    handle: *mut smtp_message,
    data: *mut c_void,
) -> *mut c_void {
    // SAFETY: NULL or valid per the contract.
    replace_on(unsafe { message_ref(handle) }, data)
}

/// The stored application data. NULL handle: NULL, SMTP_ERR_INVAL.
///
/// # Safety
/// The handle is NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn smtp_message_get_application_data(
    handle: *mut smtp_message,
) -> *mut c_void {
    // SAFETY: NULL or valid per the contract.
    get_on(unsafe { message_ref(handle) })
}

/// Stores application data with a release function; previous data is
/// released first if it has one. NULL handle: SMTP_ERR_INVAL.
///
/// # Safety
/// The handle is NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn smtp_recipient_set_application_data_release(
    handle: *mut smtp_recipient,
    data: *mut c_void,
    release: Option<unsafe extern "C" fn(*mut c_void)>,
) {
    // SAFETY: NULL or valid per the contract.
    set_release_on(unsafe { recipient_ref(handle) }, data, release)
}

/// Deprecated: stores application data and returns the old data, without
/// calling a release function. NULL handle: NULL, SMTP_ERR_INVAL.
///
/// # Safety
/// The handle is NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn smtp_recipient_set_application_data(
    handle: *mut smtp_recipient,
    data: *mut c_void,
) -> *mut c_void {
    // SAFETY: NULL or valid per the contract.
    replace_on(unsafe { recipient_ref(handle) }, data)
}

/// The stored application data. NULL handle: NULL, SMTP_ERR_INVAL.
///
/// # Safety
/// The handle is NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn smtp_recipient_get_application_data(
    handle: *mut smtp_recipient,
) -> *mut c_void {
    // SAFETY: NULL or valid per the contract.
    get_on(unsafe { recipient_ref(handle) })
}

/// Stores application data with a release function; previous data is
/// released first if it has one. NULL handle: SMTP_ERR_INVAL.
///
/// # Safety
/// The handle is NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn smtp_etrn_set_application_data_release(
    handle: *mut smtp_etrn_node,
    data: *mut c_void,
    release: Option<unsafe extern "C" fn(*mut c_void)>,
) {
    // SAFETY: NULL or valid per the contract.
    set_release_on(unsafe { etrn_ref(handle) }, data, release)
}

/// Deprecated: stores application data and returns the old data, without
/// calling a release function. NULL handle: NULL, SMTP_ERR_INVAL.
///
/// # Safety
/// The handle is NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn smtp_etrn_set_application_data(
    handle: *mut smtp_etrn_node,
    data: *mut c_void,
) -> *mut c_void {
    // SAFETY: NULL or valid per the contract.
    replace_on(unsafe { etrn_ref(handle) }, data)
}

/// The stored application data. NULL handle: NULL, SMTP_ERR_INVAL.
///
/// # Safety
/// The handle is NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn smtp_etrn_get_application_data(
    handle: *mut smtp_etrn_node,
) -> *mut c_void {
    // SAFETY: NULL or valid per the contract.
    get_on(unsafe { etrn_ref(handle) })
}
