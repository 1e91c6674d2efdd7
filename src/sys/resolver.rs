//! getaddrinfo(3), so /etc/hosts and nsswitch behave as with libESMTP:
//! `AF_UNSPEC`, `SOCK_STREAM`, `AI_CANONNAME`, addresses in resolver order.

use std::ffi::{CStr, CString};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// What the resolver returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// `ai_canonname` of the first result, if any.
    pub canonical_name: Option<String>,
    /// Every IPv4/IPv6 stream address, in the resolver's order.
    pub addresses: Addresses,
}

/// The addresses of one resolution. An address literal gives exactly one,
/// held without an allocation: the usual `host:port` of a local relay costs
/// nothing per session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Addresses {
    One(SocketAddr),
    List(Vec<SocketAddr>),
}

impl std::ops::Deref for Addresses {
    type Target = [SocketAddr];

    fn deref(&self) -> &[SocketAddr] {
        match self {
            Addresses::One(address) => std::slice::from_ref(address),
            Addresses::List(list) => list,
        }
    }
}

/// A getaddrinfo failure: the raw EAI code (glibc, negative) and, for
/// `EAI_SYSTEM`, the errno that came with it (0 otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResolveError {
    pub eai: i32,
    pub errno: i32,
}

/// Names up to this long are passed to getaddrinfo from the stack.
const NAME_ON_STACK: usize = 256;

/// A name as a C string: in `buf` when it fits, else allocated. `None`
/// when it holds a NUL (glibc would call such a name unknown anyway).
fn c_name<'b>(name: &str, buf: &'b mut [u8; NAME_ON_STACK]) -> Option<std::borrow::Cow<'b, CStr>> {
    if name.len() < NAME_ON_STACK {
        buf[..name.len()].copy_from_slice(name.as_bytes());
        buf[name.len()] = 0;
        CStr::from_bytes_with_nul(&buf[..=name.len()])
            .ok()
            .map(std::borrow::Cow::Borrowed)
    } else {
        CString::new(name).ok().map(std::borrow::Cow::Owned)
    }
}

/// Resolves `host` (None = no node) and `service` like libESMTP does.
pub fn resolve(host: Option<&str>, service: &str) -> Result<Resolved, ResolveError> {
    if let Some(resolved) = host.and_then(|h| resolve_numeric(h, service)) {
        return Ok(resolved);
    }
    resolve_with_getaddrinfo(host, service)
}

/// What getaddrinfo gives for an address literal and a port number, found
/// without it: glibc converts a literal without consulting /etc/hosts or
/// NSS, returns one stream address and the literal itself as the canonical
/// name. Only the plain forms are taken here (dotted quad without leading
/// zeros, IPv6 without a scope, a decimal port); anything else, like
/// `127.1` or `fe80::1%eth0`, goes to getaddrinfo.
fn resolve_numeric(host: &str, service: &str) -> Option<Resolved> {
    if service.is_empty() || !service.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let port = service.parse::<u16>().ok()?;
    let ip = host.parse::<IpAddr>().ok()?;
    Some(Resolved {
        // getaddrinfo's canonical name for a literal is the literal: the
        // host as the application gave it, which the session already has.
        canonical_name: None,
        addresses: Addresses::One(SocketAddr::new(ip, port)),
    })
}

/// [`resolve`] through getaddrinfo(3).
fn resolve_with_getaddrinfo(host: Option<&str>, service: &str) -> Result<Resolved, ResolveError> {
    // A NUL inside a name cannot be passed on; glibc would call it unknown.
    let no_name = ResolveError {
        eai: libc::EAI_NONAME,
        errno: 0,
    };
    let (mut host_buf, mut service_buf) = ([0u8; NAME_ON_STACK], [0u8; NAME_ON_STACK]);
    let host_c = match host {
        Some(h) => Some(c_name(h, &mut host_buf).ok_or(no_name)?),
        None => None,
    };
    let service_c = c_name(service, &mut service_buf).ok_or(ResolveError {
        eai: libc::EAI_SERVICE,
        errno: 0,
    })?;

    // SAFETY: addrinfo is a plain C struct for which all-zero bytes (null
    // pointers, zero integers) are a valid value.
    let mut hints: libc::addrinfo = unsafe { std::mem::zeroed() };
    hints.ai_flags = libc::AI_CANONNAME;
    hints.ai_family = libc::AF_UNSPEC;
    hints.ai_socktype = libc::SOCK_STREAM;

    let mut list: *mut libc::addrinfo = std::ptr::null_mut();
    let node_ptr = host_c.as_ref().map_or(std::ptr::null(), |c| c.as_ptr());
    // SAFETY: node_ptr is NULL or a NUL-terminated string that outlives the
    // call; service_c likewise; hints is a valid addrinfo; list is a valid
    // out-pointer. On success the list is released below with freeaddrinfo.
    let rc = unsafe { libc::getaddrinfo(node_ptr, service_c.as_ptr(), &hints, &mut list) };
    if rc != 0 {
        let errno = if rc == libc::EAI_SYSTEM {
            std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
        } else {
            0
        };
        return Err(ResolveError { eai: rc, errno });
    }

    let mut canonical_name = None;
    let mut addresses = Vec::new();
    let mut cursor = list;
    let mut first = true;
    while !cursor.is_null() {
        // SAFETY: cursor is a non-NULL node of the list getaddrinfo returned,
        // which stays valid until freeaddrinfo below.
        let info = unsafe { &*cursor };
        if first && !info.ai_canonname.is_null() {
            // SAFETY: ai_canonname is a NUL-terminated string owned by the list.
            let name = unsafe { CStr::from_ptr(info.ai_canonname) };
            canonical_name = Some(name.to_string_lossy().into_owned());
        }
        first = false;
        if let Some(addr) = socket_addr(info) {
            addresses.push(addr);
        }
        cursor = info.ai_next;
    }
    // SAFETY: list came from a successful getaddrinfo and is freed once;
    // no reference into it survives (names and addresses were copied).
    unsafe { libc::freeaddrinfo(list) };
    Ok(Resolved {
        canonical_name,
        addresses: Addresses::List(addresses),
    })
}

fn socket_addr(info: &libc::addrinfo) -> Option<SocketAddr> {
    if info.ai_addr.is_null() {
        return None;
    }
    let len = info.ai_addrlen as usize;
    match info.ai_family {
        libc::AF_INET if len >= std::mem::size_of::<libc::sockaddr_in>() => {
            // SAFETY: for AF_INET with a large enough length, ai_addr points
            // to a sockaddr_in; read_unaligned copes with any alignment.
            let sin = unsafe { std::ptr::read_unaligned(info.ai_addr as *const libc::sockaddr_in) };
            let ip = Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr));
            Some(SocketAddr::V4(SocketAddrV4::new(
                ip,
                u16::from_be(sin.sin_port),
            )))
        }
        libc::AF_INET6 if len >= std::mem::size_of::<libc::sockaddr_in6>() => {
            // SAFETY: for AF_INET6 with a large enough length, ai_addr points
            // to a sockaddr_in6; read_unaligned copes with any alignment.
            let sin6 =
                unsafe { std::ptr::read_unaligned(info.ai_addr as *const libc::sockaddr_in6) };
            let ip = Ipv6Addr::from(sin6.sin6_addr.s6_addr);
            Some(SocketAddr::V6(SocketAddrV6::new(
                ip,
                u16::from_be(sin6.sin6_port),
                u32::from_be(sin6.sin6_flowinfo),
                sin6.sin6_scope_id,
            )))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_resolve_as_getaddrinfo_resolves_them() {
        let hosts = [
            "127.0.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "192.0.2.33",
            "::1",
            "::",
            "2001:db8::25",
            "::ffff:127.0.0.1",
            "fe80::1",
        ];
        for host in hosts {
            for service in ["25", "0", "025", "2525", "65535"] {
                let fast = resolve_numeric(host, service);
                assert!(fast.is_some(), "{host} {service}");
                let slow = resolve_with_getaddrinfo(Some(host), service).ok();
                assert_eq!(
                    fast.map(|r| r.addresses.to_vec()),
                    slow.as_ref().map(|r| r.addresses.to_vec()),
                    "{host} {service}"
                );
                // getaddrinfo names a literal by itself: the host the
                // session already has, so the fast path gives no name.
                assert_eq!(
                    slow.and_then(|r| r.canonical_name).as_deref(),
                    Some(host),
                    "{host} {service}"
                );
            }
        }
        // Forms left to getaddrinfo: glibc's readings of these differ from
        // a plain parse (octal, short forms), or need it (scopes, names).
        for (host, service) in [
            ("127.1", "25"),
            ("010.0.0.1", "25"),
            ("0x7f.0.0.1", "25"),
            ("fe80::1%lo", "25"),
            ("localhost", "25"),
            ("127.0.0.1", "smtp"),
            ("127.0.0.1", "65536"),
            ("127.0.0.1", "+25"),
            ("127.0.0.1", ""),
            (" 127.0.0.1", "25"),
        ] {
            assert!(resolve_numeric(host, service).is_none(), "{host} {service}");
        }
        assert_eq!(
            resolve(Some("127.1"), "25")
                .ok()
                .map(|r| r.addresses.to_vec()),
            Some(vec![SocketAddr::from(([127, 0, 0, 1], 25))])
        );
    }

    #[test]
    fn names_on_the_stack_and_beyond() {
        let mut buf = [0u8; NAME_ON_STACK];
        let short = c_name("mail.example", &mut buf).map(|c| c.into_owned());
        assert_eq!(short.as_deref(), Some(c"mail.example"));
        let long = "a".repeat(NAME_ON_STACK + 10);
        let owned = c_name(&long, &mut buf).map(|c| c.into_owned());
        assert_eq!(owned.map(|c| c.as_bytes().len()), Some(long.len()));
        assert!(c_name("a\0b", &mut buf).is_none());
        let err = resolve(Some("a\0b"), "25").err();
        assert_eq!(err.map(|e| e.eai), Some(libc::EAI_NONAME));
        let err = resolve(Some("127.0.0.1"), "2\0x").err();
        assert_eq!(err.map(|e| e.eai), Some(libc::EAI_SERVICE));
        // A service name too long for the stack still resolves as unknown.
        let err = resolve(Some("127.0.0.1"), &long).err();
        assert_eq!(err.map(|e| e.eai), Some(libc::EAI_SERVICE));
    }

    #[test]
    fn numeric_hosts() {
        let r = resolve(Some("127.0.0.1"), "2525");
        let r = r.unwrap_or(Resolved {
            canonical_name: None,
            addresses: Addresses::List(vec![]),
        });
        assert_eq!(
            r.addresses.to_vec(),
            vec!["127.0.0.1:2525"
                .parse::<SocketAddr>()
                .unwrap_or_else(|_| unreachable!())]
        );
        assert_eq!(r.canonical_name, None);
        let r = resolve(Some("::1"), "25");
        assert!(r
            .map(|r| r.addresses.iter().all(|a| a.is_ipv6() && a.port() == 25))
            .unwrap_or(false));
    }

    #[test]
    fn failures_carry_the_eai_code() {
        assert_eq!(
            resolve(None, "25").map(|_| ()),
            Err(ResolveError {
                eai: libc::EAI_BADFLAGS,
                errno: 0
            })
        );
        assert_eq!(
            resolve(Some("127.0.0.1"), "no-such-service-xyz").map(|_| ()),
            Err(ResolveError {
                eai: libc::EAI_SERVICE,
                errno: 0
            })
        );
    }
}
