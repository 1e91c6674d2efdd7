//! The SMTP protocol engine: one session run over one connection.

use crate::core::error::Error;
use crate::core::events::SessionHooks;
use crate::core::model::Session;

/// What `smtp_start_session` returns and sets.
#[derive(Debug)]
pub struct Outcome {
    pub ret: bool,
    pub error: Option<Error>,
}

/// Placeholder until the engine lands.
pub fn run(session: &Session, _hostname: &str, _hooks: &mut dyn SessionHooks) -> Outcome {
    let error = if session.has_work() {
        Error::ClientError
    } else {
        Error::NothingToDo
    };
    Outcome {
        ret: false,
        error: Some(error),
    }
}
