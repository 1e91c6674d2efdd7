//! How long the kernel itself lets a TCP connect try. A connect timeout at
//! least that long can never expire first, so it need not be set.

use std::sync::OnceLock;
use std::time::Duration;

/// Where Linux keeps the number of SYN retransmissions (IPv4 and IPv6).
const SYN_RETRIES: &str = "/proc/sys/net/ipv4/tcp_syn_retries";

/// The longest a blocking connect can wait before the kernel gives up with
/// `ETIMEDOUT`; `None` when it cannot be read. Read once per process.
pub fn kernel_connect_limit() -> Option<Duration> {
    static LIMIT: OnceLock<Option<Duration>> = OnceLock::new();
    *LIMIT.get_or_init(|| {
        let text = std::fs::read_to_string(SYN_RETRIES).ok()?;
        let retries = text.trim().parse::<u32>().ok()?;
        Some(syn_retry_limit(retries))
    })
}

/// The SYN goes out, then `retries` more times; the wait before each resend
/// and after the last one starts at the 1 s initial retransmission timeout
/// and doubles up to the 120 s ceiling. Kernels with linear SYN timeouts
/// (`tcp_syn_linear_timeouts`) or a lower ceiling wait less, so this bounds
/// them all.
pub fn syn_retry_limit(retries: u32) -> Duration {
    let seconds: u64 = (0..=retries.min(255))
        .map(|attempt| (1u64 << attempt.min(7)).min(120))
        .sum();
    Duration::from_secs(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_for_known_retry_counts() {
        // Linux's default of 6: 1 + 2 + 4 + 8 + 16 + 32 + 64 seconds.
        assert_eq!(syn_retry_limit(6), Duration::from_secs(127));
        assert_eq!(syn_retry_limit(1), Duration::from_secs(3));
        // Past 64 s every wait is the 120 s ceiling.
        assert_eq!(syn_retry_limit(8), Duration::from_secs(127 + 120 + 120));
        assert_eq!(syn_retry_limit(127), Duration::from_secs(127 + 121 * 120));
    }

    #[test]
    fn the_running_kernel_has_a_limit() {
        if std::path::Path::new(SYN_RETRIES).exists() {
            let limit = kernel_connect_limit();
            assert!(limit.is_some_and(|l| l >= Duration::from_secs(1)));
        }
    }
}
