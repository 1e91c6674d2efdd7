//! Socket calls std does not offer: a send or receive that never waits
//! (`MSG_DONTWAIT`), so that the transport sets a timeout only when it is
//! about to wait, and a vectored send without SIGPIPE.

use std::io::{self, IoSlice};
use std::net::TcpStream;
use std::os::fd::AsRawFd;

fn result(n: isize) -> io::Result<usize> {
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

/// Receives what has arrived without waiting (`WouldBlock` when nothing has).
pub fn recv_nowait(stream: &TcpStream, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `buf` is a live, writable slice of `buf.len()` bytes; recv
    // writes at most that many and keeps no pointer.
    let n = unsafe {
        libc::recv(
            stream.as_raw_fd(),
            buf.as_mut_ptr().cast(),
            buf.len(),
            libc::MSG_DONTWAIT,
        )
    };
    result(n)
}

/// Sends as much of `buf` as fits without waiting, without SIGPIPE.
pub fn send_nowait(stream: &TcpStream, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: `buf` is a live slice of `buf.len()` bytes; send only reads it.
    let n = unsafe {
        libc::send(
            stream.as_raw_fd(),
            buf.as_ptr().cast(),
            buf.len(),
            libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
        )
    };
    result(n)
}

/// Sends the slices in order (one `sendmsg`), without SIGPIPE; waits as
/// the socket's timeout allows unless `nowait`.
pub fn send_vectored(stream: &TcpStream, bufs: &[IoSlice<'_>], nowait: bool) -> io::Result<usize> {
    let count = bufs.len().min(libc::UIO_MAXIOV as usize);
    // SAFETY: an all-zero msghdr is a valid empty message.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    // IoSlice is ABI-compatible with struct iovec (documented by std);
    // sendmsg only reads the iovecs and the bytes they describe.
    msg.msg_iov = bufs.as_ptr() as *mut libc::iovec;
    msg.msg_iovlen = count as _;
    let flags = libc::MSG_NOSIGNAL | if nowait { libc::MSG_DONTWAIT } else { 0 };
    // SAFETY: `msg` points to `count` valid iovecs borrowed for the call.
    let n = unsafe { libc::sendmsg(stream.as_raw_fd(), &msg, flags) };
    result(n)
}
