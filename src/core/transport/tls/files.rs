//! libESMTP's certificate-file layout and its file checks (tls-auth.md
//! 5.3–5.4): where the user's client certificate, CA list and host-specific
//! certificates live, and when a file counts as absent, usable or a problem.

use std::io::ErrorKind;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

/// The configuration directory, `$XDG_CONFIG_DIR/libesmtp` when that
/// variable is set (sic: not `XDG_CONFIG_HOME`, quirk Q9, reproduced),
/// otherwise `$HOME/.config/libesmtp`. `None` when neither variable is set
/// (libESMTP formats a null string; we then use no files at all).
pub fn config_dir() -> Option<PathBuf> {
    config_dir_from(
        std::env::var_os("XDG_CONFIG_DIR").as_deref(),
        std::env::var_os("HOME").as_deref(),
    )
}

/// [`config_dir`] with the two variables given (empty counts as unset).
pub fn config_dir_from(
    xdg_config_dir: Option<&std::ffi::OsStr>,
    home: Option<&std::ffi::OsStr>,
) -> Option<PathBuf> {
    if let Some(x) = xdg_config_dir.filter(|x| !x.is_empty()) {
        return Some(Path::new(x).join("libesmtp"));
    }
    home.filter(|h| !h.is_empty())
        .map(|h| Path::new(h).join(".config").join("libesmtp"))
}

/// The files of the layout, under one configuration directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub dir: PathBuf,
}

impl Layout {
    /// The user's default client certificate and key.
    pub fn user_certificate(&self) -> PathBuf {
        self.dir.join("private").join("smtp-starttls.pem")
    }

    /// Trusted CA certificates, a PEM bundle.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    /// Trusted CA directory (OpenSSL hashed format).
    pub fn ca_dir(&self) -> PathBuf {
        self.dir.join("ca")
    }

    /// The host-specific client certificate, `private/<host>.pem`. `None`
    /// for a name that is not a plain file name (libESMTP pastes the name
    /// in unescaped; we refuse `/`, NUL and a leading dot, so a server name
    /// cannot point outside `private/`): such a file counts as absent.
    pub fn host_certificate(&self, host: &str) -> Option<PathBuf> {
        if host.is_empty() || host.starts_with('.') || host.contains(['/', '\0']) {
            return None;
        }
        Some(self.dir.join("private").join(format!("{host}.pem")))
    }
}

/// How a file or directory passed the checks of 5.4.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileState {
    /// Does not exist (`ENOENT`): not an error.
    Absent,
    /// Exists and passed the checks.
    Usable,
    /// Any other `stat()` failure, or a failed check.
    Problem,
}

/// Checks a certificate or CA file: a regular file (symbolic links
/// followed), not empty, owned by the real uid, no owner-execute bit and
/// no group/other bits (0600 and 0400 pass; 0700, 0640, 0644 fail).
pub fn check_file(path: &Path) -> FileState {
    check_file_for(path, crate::sys::user::real_uid())
}

/// Checks the CA directory: a directory owned by the real uid with no
/// group/other bits (any owner bits).
pub fn check_dir(path: &Path) -> FileState {
    check_dir_for(path, crate::sys::user::real_uid())
}

fn stat(path: &Path) -> Result<std::fs::Metadata, FileState> {
    match std::fs::metadata(path) {
        Ok(md) => Ok(md),
        Err(e) if e.kind() == ErrorKind::NotFound => Err(FileState::Absent),
        Err(_) => Err(FileState::Problem),
    }
}

/// [`check_file`] for a given uid.
pub fn check_file_for(path: &Path, uid: u32) -> FileState {
    let md = match stat(path) {
        Ok(md) => md,
        Err(state) => return state,
    };
    let ft = md.file_type();
    let ok =
        ft.is_file() && !ft.is_fifo() && md.len() > 0 && md.uid() == uid && md.mode() & 0o177 == 0;
    if ok {
        FileState::Usable
    } else {
        FileState::Problem
    }
}

/// [`check_dir`] for a given uid.
pub fn check_dir_for(path: &Path, uid: u32) -> FileState {
    let md = match stat(path) {
        Ok(md) => md,
        Err(state) => return state,
    };
    if md.is_dir() && md.uid() == uid && md.mode() & 0o077 == 0 {
        FileState::Usable
    } else {
        FileState::Problem
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn config_dir_variables() {
        assert_eq!(
            config_dir_from(Some(OsStr::new("/x")), Some(OsStr::new("/h"))),
            Some(PathBuf::from("/x/libesmtp"))
        );
        assert_eq!(
            config_dir_from(None, Some(OsStr::new("/h"))),
            Some(PathBuf::from("/h/.config/libesmtp"))
        );
        assert_eq!(
            config_dir_from(Some(OsStr::new("")), Some(OsStr::new("/h"))),
            Some(PathBuf::from("/h/.config/libesmtp"))
        );
        assert_eq!(config_dir_from(None, None), None);
    }

    #[test]
    fn host_file_names() {
        let l = Layout {
            dir: PathBuf::from("/c"),
        };
        assert_eq!(
            l.host_certificate("mail.example.com"),
            Some(PathBuf::from("/c/private/mail.example.com.pem"))
        );
        assert_eq!(l.host_certificate("../x"), None);
        assert_eq!(l.host_certificate("a/b"), None);
        assert_eq!(l.host_certificate(""), None);
        assert_eq!(
            l.user_certificate(),
            PathBuf::from("/c/private/smtp-starttls.pem")
        );
    }

    #[test]
    fn permission_checks() {
        let dir = std::env::temp_dir().join(format!("esmtp-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).ok();
        let uid = crate::sys::user::effective_uid();
        let f = dir.join("f.pem");
        std::fs::write(&f, b"data").ok();
        let set = |p: &Path, m: u32| {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).ok();
        };
        for (mode, want) in [
            (0o600, FileState::Usable),
            (0o400, FileState::Usable),
            (0o700, FileState::Problem),
            (0o640, FileState::Problem),
            (0o644, FileState::Problem),
        ] {
            set(&f, mode);
            assert_eq!(check_file_for(&f, uid), want, "mode {mode:o}");
        }
        set(&f, 0o600);
        assert_eq!(check_file_for(&f, uid.wrapping_add(1)), FileState::Problem);
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, b"").ok();
        set(&empty, 0o600);
        assert_eq!(check_file_for(&empty, uid), FileState::Problem);
        assert_eq!(check_file_for(&dir.join("none"), uid), FileState::Absent);
        let d = dir.join("ca");
        std::fs::create_dir_all(&d).ok();
        set(&d, 0o700);
        assert_eq!(check_dir_for(&d, uid), FileState::Usable);
        set(&d, 0o755);
        assert_eq!(check_dir_for(&d, uid), FileState::Problem);
        assert_eq!(check_file_for(&d, uid), FileState::Problem);
        assert_eq!(check_dir_for(&f, uid), FileState::Problem);
        std::fs::remove_dir_all(&dir).ok();
    }
}
