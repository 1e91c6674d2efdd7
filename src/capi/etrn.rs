//! C ABI: ETRN nodes (RFC 1985).

use std::ffi::{c_char, c_int, c_void};

use super::handles::{c_string, etrn_ref, session_mut, session_ref, smtp_etrn_node, smtp_session};
use super::macros::guard;
use super::message::command_string;
use super::status::{smtp_status, StatusMirror};
use crate::core::extensions::ExtSet;
use crate::core::model::EtrnNode;

const MAX_DOMAIN_LEN: usize = 255;

/// Adds an ETRN node (`option` 0 or '@') and makes ETRN required.
/// Bad arguments: NULL with SMTP_ERR_INVAL.
///
/// # Safety
/// `session` is NULL or valid; `node` NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn smtp_etrn_add_node(
    session: *mut smtp_session,
    option: c_int,
    node: *const c_char,
) -> *mut smtp_etrn_node {
    guard(std::ptr::null_mut(), || {
        // SAFETY: per the contract.
        let domain_c = unsafe { c_string(node) };
        let domain = domain_c
            .clone()
            .and_then(|c| command_string(c, MAX_DOMAIN_LEN));
        // SAFETY: per the contract.
        let s = unsafe { session_mut(session) };
        check_args!(
            s.is_some() && domain.is_some() && (option == 0 || option == c_int::from(b'@')),
            std::ptr::null_mut()
        );
        let (Some(s), Some(domain), Some(domain_c)) = (s, domain, domain_c) else {
            return std::ptr::null_mut();
        };
        let index = s.core.etrn_nodes.len();
        s.core.etrn_nodes.push(EtrnNode {
            option,
            domain,
            status: Default::default(),
        });
        s.core.required.insert(ExtSet::ETRN);
        let handle = smtp_etrn_node {
            session,
            index,
            app: Default::default(),
            domain_c,
            status: StatusMirror::default(),
        };
        let ptr: *mut smtp_etrn_node = s.etrn_nodes.push(handle);
        ptr
    })
}

/// Calls `cb(node, option, domain, arg)` for each node in order. Returns 1.
///
/// # Safety
/// `session` is NULL or valid; `cb` NULL or a valid function.
#[no_mangle]
pub unsafe extern "C" fn smtp_etrn_enumerate_nodes(
    session: *mut smtp_session,
    cb: Option<unsafe extern "C" fn(*mut smtp_etrn_node, c_int, *const c_char, *mut c_void)>,
    arg: *mut c_void,
) -> c_int {
    guard(0, || {
        // SAFETY: per the contract.
        let s = unsafe { session_ref(session) };
        check_args!(s.is_some() && cb.is_some(), 0);
        let (Some(s), Some(cb)) = (s, cb) else {
            return 0;
        };
        let items: Vec<(*mut smtp_etrn_node, c_int, *const c_char)> = s
            .etrn_nodes
            .iter()
            .map(|n| {
                (
                    n as *const smtp_etrn_node as *mut smtp_etrn_node,
                    n.core().option,
                    n.domain_c.as_ptr(),
                )
            })
            .collect();
        for (n, option, domain) in items {
            // SAFETY: the application's callback with valid arguments.
            unsafe { cb(n, option, domain, arg) };
        }
        1
    })
}

/// The status of the node's last ETRN reply. NULL: NULL, INVAL.
///
/// # Safety
/// `node` is NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn smtp_etrn_node_status(node: *mut smtp_etrn_node) -> *const smtp_status {
    guard(std::ptr::null(), || {
        // SAFETY: per the contract.
        let n = unsafe { etrn_ref(node) };
        check_args!(n.is_some(), std::ptr::null());
        n.map_or(std::ptr::null(), |n| n.status_ptr())
    })
}
