//! Resolving and connecting: every address in order, with a timeout.

use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use crate::core::error::Error;
use crate::sys::connect_limit;
use crate::sys::resolver::{self, Resolved};

/// Resolves the server like libESMTP (spec 3.2). An empty host is passed as
/// "no node"; a bracketed IPv6 literal (`[::1]`) is accepted too.
pub fn resolve(host: &str, service: &str) -> Result<Resolved, Error> {
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let node = if host.is_empty() { None } else { Some(host) };
    resolver::resolve(node, service).map_err(|e| Error::Resolver {
        eai: e.eai,
        errno: e.errno,
    })
}

/// Connects to one address. `timeout_ms` bounds the attempt (libESMTP has
/// none and relies on the kernel's; we use the greeting timeout). Returns
/// the socket and the send timeout left set on it, if any.
///
/// Linux bounds a blocking `connect` by the socket's send timeout, so one
/// `setsockopt` replaces the usual non-blocking connect, `poll` and two
/// mode switches. The kernel also gives up by itself once its SYN retries
/// are spent (127 s by default): a timeout at least that long (libESMTP's
/// default greeting timeout is 300 s) could never expire first, and is not
/// set at all.
pub fn connect(
    address: &SocketAddr,
    timeout_ms: i64,
) -> Result<(TcpStream, Option<Duration>), Error> {
    let timeout = Duration::from_millis(u64::try_from(timeout_ms.max(1)).unwrap_or(1));
    let os_error = |err: std::io::Error| match err.raw_os_error() {
        Some(code) => Error::Os(code),
        None => Error::from_io(&err),
    };
    let socket = Socket::new(
        Domain::for_address(*address),
        Type::STREAM,
        Some(Protocol::TCP),
    )
    .map_err(os_error)?;
    let send_timeout = if connect_limit::kernel_connect_limit().is_none_or(|limit| timeout < limit)
    {
        socket.set_write_timeout(Some(timeout)).map_err(os_error)?;
        Some(timeout)
    } else {
        None
    };
    // TCP_NODELAY is left to the connection, which sets it before the
    // first write that Nagle's algorithm could delay.
    let target = SockAddr::from(*address);
    // A signal interrupts the wait, not the handshake: asking again waits
    // for the same attempt (and says EISCONN once it has completed).
    let mut interrupted = 0;
    loop {
        match socket.connect(&target) {
            Ok(()) => break,
            Err(err) => match err.raw_os_error() {
                Some(libc::EINTR) if interrupted < MAX_INTERRUPTS => interrupted += 1,
                Some(libc::EISCONN) if interrupted > 0 => break,
                // The send timeout expired with the handshake unfinished.
                Some(libc::EINPROGRESS) | Some(libc::EALREADY) => {
                    return Err(Error::Os(libc::ETIMEDOUT))
                }
                _ => return Err(os_error(err)),
            },
        }
    }
    Ok((socket.into(), send_timeout))
}

/// Bound on restarts of one connect after signals.
const MAX_INTERRUPTS: u32 = 1000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bracketed_ipv6_literal() {
        let r = resolve("[::1]", "2525").map(|r| r.addresses);
        assert!(r
            .map(|a| !a.is_empty() && a.iter().all(|a| a.is_ipv6()))
            .unwrap_or(false));
    }

    #[test]
    fn empty_host_is_badflags() {
        assert_eq!(
            resolve("", "25").map(|_| ()),
            Err(Error::Resolver {
                eai: libc::EAI_BADFLAGS,
                errno: 0
            })
        );
    }

    #[test]
    fn connect_gives_up_after_its_timeout() {
        // A listener whose accept queue is full drops further SYNs, so a
        // connect to it can only end by its own timeout.
        let Ok(listener) = Socket::new(Domain::IPV4, Type::STREAM, None) else {
            return;
        };
        let any: SocketAddr = ([127, 0, 0, 1], 0).into();
        if listener.bind(&any.into()).is_err() || listener.listen(0).is_err() {
            return;
        }
        let Some(addr) = listener.local_addr().ok().and_then(|a| a.as_socket()) else {
            return;
        };
        // Fill the queue (the kernel admits backlog + 1 connections).
        let mut held = Vec::new();
        let started = std::time::Instant::now();
        let mut outcome = Ok(());
        for _ in 0..8 {
            match connect(&addr, 300) {
                Ok((stream, _)) => held.push(stream),
                Err(e) => {
                    outcome = Err(e);
                    break;
                }
            }
        }
        assert_eq!(outcome, Err(Error::Os(libc::ETIMEDOUT)));
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn connect_sets_the_send_timeout_it_reports() {
        let Ok(listener) = std::net::TcpListener::bind("127.0.0.1:0") else {
            return;
        };
        let Ok(addr) = listener.local_addr() else {
            return;
        };
        let (stream, timeout) = match connect(&addr, 2000) {
            Ok(connected) => connected,
            Err(e) => panic!("connect failed: {e:?}"),
        };
        assert_eq!(timeout, Some(Duration::from_millis(2000)));
        assert_eq!(stream.write_timeout().ok().flatten(), timeout);
    }

    #[test]
    fn a_timeout_past_the_kernels_own_limit_is_not_set() {
        let Some(limit) = connect_limit::kernel_connect_limit() else {
            return;
        };
        let Ok(listener) = std::net::TcpListener::bind("127.0.0.1:0") else {
            return;
        };
        let Ok(addr) = listener.local_addr() else {
            return;
        };
        let at_limit = i64::try_from(limit.as_millis()).unwrap_or(i64::MAX);
        let (stream, timeout) = match connect(&addr, at_limit) {
            Ok(connected) => connected,
            Err(e) => panic!("connect failed: {e:?}"),
        };
        assert_eq!(timeout, None);
        assert_eq!(stream.write_timeout().ok().flatten(), None);
        let below = match connect(&addr, at_limit - 1) {
            Ok((_, timeout)) => timeout,
            Err(e) => panic!("connect failed: {e:?}"),
        };
        assert_eq!(below, Some(limit - Duration::from_millis(1)));
    }

    #[test]
    fn refused_connection_gives_errno() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0");
        let addr = listener.and_then(|l| l.local_addr());
        if let Ok(addr) = addr {
            // The listener is dropped: nothing listens there any more.
            assert_eq!(
                connect(&addr, 1000).map(|_| ()),
                Err(Error::Os(libc::ECONNREFUSED))
            );
        }
    }
}
