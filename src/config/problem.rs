//! Problems found in a desired-state file, reported all at once.

use std::fmt;

use serde::Serialize;

use super::docpath::DocPath;
use crate::model::SourceLocation;

/// One problem in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Where in the file; `None` for problems of the whole file (e.g. it cannot be read).
    pub location: Option<SourceLocation>,
    /// The path in the document, e.g. `clusters[1].databases[0].principals[3].role`; empty for the root.
    pub path: String,
    pub message: String,
    /// A suggestion ("did you mean `Viewer`?", "cluster roles are …").
    pub hint: Option<String>,
}

impl Problem {
    pub fn new(
        location: Option<SourceLocation>,
        path: &DocPath,
        message: String,
        hint: Option<String>,
    ) -> Self {
        Problem {
            location,
            path: path.to_string(),
            message,
            hint,
        }
    }
}

/// Every problem found in one file, in file order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigErrors {
    pub file: String,
    pub problems: Vec<Problem>,
}

impl ConfigErrors {
    pub fn single(
        file: &str,
        location: Option<SourceLocation>,
        path: &str,
        message: String,
        hint: Option<String>,
    ) -> Self {
        ConfigErrors {
            file: file.to_string(),
            problems: vec![Problem {
                location,
                path: path.to_string(),
                message,
                hint,
            }],
        }
    }
}

impl fmt::Display for ConfigErrors {
    /// `file:line:column: message (at path)` per problem, then `  hint: …`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        writeln!(
            f,
            "{} has {} problem{}:",
            self.file,
            n,
            if n == 1 { "" } else { "s" }
        )?;
        for p in &self.problems {
            match p.location {
                Some(loc) => write!(f, "  {}:{}: {}", self.file, loc, p.message)?,
                None => write!(f, "  {}: {}", self.file, p.message)?,
            }
            if !p.path.is_empty() {
                write!(f, " (at `{}`)", p.path)?;
            }
            writeln!(f)?;
            if let Some(h) = &p.hint {
                writeln!(f, "    hint: {h}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}
