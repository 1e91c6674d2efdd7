//! The process's user identity, for libESMTP's certificate-file ownership
//! checks (files must belong to the *real* uid).

/// The real user id of the calling process (`getuid()`).
pub fn real_uid() -> u32 {
    // SAFETY: getuid() takes no arguments, touches no memory of ours and
    // cannot fail (POSIX: "always successful").
    unsafe { libc::getuid() }
}

/// The effective user id of the calling process (`geteuid()`).
pub fn effective_uid() -> u32 {
    // SAFETY: as for getuid(): no arguments, no memory, cannot fail.
    unsafe { libc::geteuid() }
}

#[cfg(test)]
mod tests {
    #[test]
    fn uids_match_the_metadata_of_a_new_file() {
        use std::os::unix::fs::MetadataExt;
        let dir = std::env::temp_dir().join(format!("esmtp-uid-{}", std::process::id()));
        std::fs::write(&dir, b"x").ok();
        if let Ok(md) = std::fs::metadata(&dir) {
            assert_eq!(md.uid(), super::effective_uid());
        }
        std::fs::remove_file(&dir).ok();
        let _ = super::real_uid();
    }
}
