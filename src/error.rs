//! The one error type of the program, gathered from each layer's typed errors, and its exit code.

use crate::config::ConfigErrors;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] ConfigErrors),

    #[error(transparent)]
    Arm(#[from] crate::arm::ArmError),

    #[error(transparent)]
    Setup(#[from] crate::arm::SetupError),

    #[error(transparent)]
    PlanFile(#[from] crate::plan::PlanFileError),

    /// The command line asks for something that cannot be done (`--target` with a saved plan,
    /// apply without a terminal and without `--auto-approve`, an invalid endpoint URL).
    #[error("{0}")]
    Usage(String),

    /// Reading or writing a file or a standard stream failed; `what` says which, when it is not
    /// stdout or stderr. The I/O error is part of the message, not a separate cause.
    #[error("{}", match .what { Some(w) => format!("{w}: {}", .err), None => .err.to_string() })]
    Io {
        what: Option<String>,
        err: std::io::Error,
    },

    /// Some scopes of the file could not be read (the plan names them too).
    #[error(transparent)]
    Scopes(#[from] crate::plan::UnreadableScopes),

    /// `--target` names no cluster or database of the file.
    #[error("no cluster or database in {file} matches --target {}", .targets.join(", "))]
    UnmatchedTargets { file: String, targets: Vec<String> },

    /// Principals of the file that Microsoft Graph does not know (`--resolve-principals graph`),
    /// each with its place in the file.
    #[error("{} principal(s) of the file could not be resolved:\n  {}", .0.len(), .0.join("\n  "))]
    Unresolved(Vec<String>),

    /// The file has problems, already reported on stdout in the requested format.
    #[error("{file} has {count} problem{}", if *count == 1 { "" } else { "s" })]
    Invalid { file: String, count: usize },

    /// Refused before any write: an unsafe plan without `--force`, or a stale saved plan.
    #[error("{0}")]
    Refused(String),

    /// Some actions of an apply failed; the report has the details.
    #[error(
        "{failed} of {total} writes failed (the apply report names them); rerun apply to retry them"
    )]
    ApplyFailed { failed: usize, total: usize },

    /// Ctrl-C during an apply: running operations finished, nothing new started.
    #[error("interrupted by Ctrl-C; the apply report says what was applied. Rerun apply to finish")]
    Interrupted,

    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl Error {
    /// 1 for errors, 3 for refusals (nothing was written).
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Refused(_) => 3,
            Error::Interrupted => 130,
            Error::Config(_)
            | Error::Arm(_)
            | Error::Setup(_)
            | Error::PlanFile(_)
            | Error::Usage(_)
            | Error::Io { .. }
            | Error::Scopes(_)
            | Error::UnmatchedTargets { .. }
            | Error::Unresolved(_)
            | Error::Invalid { .. }
            | Error::ApplyFailed { .. }
            | Error::Other(_) => 1,
        }
    }
}

impl Error {
    /// An I/O error of `what` (a file, named as the user gave it).
    pub fn io_at(what: impl Into<String>, err: std::io::Error) -> Self {
        Error::Io {
            what: Some(what.into()),
            err,
        }
    }
}

impl From<std::io::Error> for Error {
    /// An I/O error on stdout, stderr or stdin.
    fn from(err: std::io::Error) -> Self {
        Error::Io { what: None, err }
    }
}
