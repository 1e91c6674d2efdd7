//! Errors of the core, each mapping to one libESMTP `smtp_errno` value.

use std::fmt;

/// A failure of the core. The C layer maps each to libESMTP's `smtp_errno`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// SMTP_ERR_NOTHING_TO_DO (2)
    NothingToDo,
    /// SMTP_ERR_DROPPED_CONNECTION (3)
    DroppedConnection,
    /// SMTP_ERR_INVALID_RESPONSE_SYNTAX (4)
    InvalidResponseSyntax,
    /// SMTP_ERR_STATUS_MISMATCH (5)
    StatusMismatch,
    /// SMTP_ERR_INVALID_RESPONSE_STATUS (6)
    InvalidResponseStatus,
    /// SMTP_ERR_INVAL (7)
    Inval,
    /// SMTP_ERR_EXTENSION_NOT_AVAILABLE (8)
    ExtensionNotAvailable,
    /// SMTP_ERR_UNTERMINATED_RESPONSE (19)
    UnterminatedResponse,
    /// SMTP_ERR_CLIENT_ERROR (20)
    ClientError,
    /// A getaddrinfo() failure: the raw (glibc, negative) EAI code and, for
    /// EAI_SYSTEM, the errno that came with it.
    Resolver { eai: i32, errno: i32 },
    /// A failing system call: the positive errno value (stored negated in smtp_errno).
    Os(i32),
}

impl Error {
    pub fn from_io(err: &std::io::Error) -> Error {
        match err.raw_os_error() {
            Some(code) => Error::Os(code),
            None => match err.kind() {
                std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
                    Error::DroppedConnection
                }
                std::io::ErrorKind::UnexpectedEof => Error::DroppedConnection,
                _ => Error::ClientError,
            },
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;
