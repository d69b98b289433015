//! The saved plan (`plan --out PLAN.json`, read by `apply PLAN.json`): the JSON document of the plan
//! plus what `apply` needs to refuse a stale plan.
//!
//! | field            | meaning                                                               |
//! |------------------|-----------------------------------------------------------------------|
//! | (document)       | every field of `PlanDocument`, `format_version` first                  |
//! | `tool_version`   | the version of kusto-principals that made the plan                     |
//! | `api_version`    | the Microsoft.Kusto api-version the scopes were read with              |
//! | `file_sha256`    | `sha256:` of the desired-state file's bytes when the plan was made     |
//! | `targets`        | the `--target`s the plan was made with (`apply PLAN.json -f` re-plans with them) |
//! | `scopes[]`       | every scope the plan writes to, with the `fingerprint` of what ARM listed |
//!
//! The file holds no clock reading, so the same inputs save byte-identical files. Reading checks
//! `format_version` before anything else, then every field (`check`): a plan file is input like
//! any other, and is refused whole when one field is wrong. The `safety` verdict it carries is
//! shown to reviewers but never trusted: `apply` recomputes it (`stale`). This module does no other
//! I/O than `read`, `write` and `file_sha256`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::model::Scope;

use super::document::{FORMAT_VERSION, PlanDocument, WireScope};
use super::fingerprint::ListedEntry;
use super::whole::Plan;

mod check;

/// Plan files larger than this are refused before parsing (a 100,000-grant plan is about 60 MiB).
pub const MAX_PLAN_BYTES: u64 = 512 << 20;

/// A plan as saved to and read from a file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedPlan {
    #[serde(flatten)]
    pub document: PlanDocument,
    pub tool_version: String,
    pub api_version: String,
    /// `sha256:` + 64 hex digits of the desired-state file's bytes.
    pub file_sha256: String,
    /// The `--target`s the plan was made with; empty for the whole file.
    pub targets: Vec<String>,
    pub scopes: Vec<SavedScope>,
}

/// One scope the plan writes to, and a digest of what ARM listed there when the plan was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedScope {
    pub scope: WireScope,
    /// `fingerprint()` of the scope's assignments as listed at plan time.
    pub fingerprint: String,
    /// The same listing (`fingerprint::listing`): the loader checks it hashes to `fingerprint` and
    /// that every delete is in it; a refused apply says what was added or removed since.
    pub listed: Vec<ListedEntry>,
}

#[derive(Debug, thiserror::Error)]
pub enum PlanFileError {
    #[error("cannot read the plan file `{path}`")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write the plan file `{path}`")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    /// `apply principals.yaml` (the `-f` forgotten): saying so beats a JSON parse error at 1:1.
    #[error(
        "`{p}` is not a saved plan: this looks like a desired-state file; did you mean `apply -f {p}`?",
        p = path.display()
    )]
    DesiredState { path: PathBuf },
    #[error("`{path}` is not a kusto-principals plan file")]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error(
        "`{path}` has plan format_version {found}, this kusto-principals reads version {FORMAT_VERSION}; make the plan again with this version"
    )]
    Version { path: PathBuf, found: u64 },
    #[error("`{path}` is larger than {} MiB; it is not a plan this tool wrote", MAX_PLAN_BYTES >> 20)]
    TooLarge { path: PathBuf },
    #[error(
        "`{path}` is not a plan this tool wrote, or was edited; nothing was changed:\n  {}",
        problems.join("\n  ")
    )]
    Invalid {
        path: PathBuf,
        problems: Vec<String>,
    },
}

impl SavedPlan {
    /// The plan of `file` (whose bytes hash to `file_sha256`, planned for `targets`), read from ARM
    /// with `api_version`, as it is saved.
    pub fn new(
        plan: &Plan,
        file: &str,
        file_sha256: String,
        targets: &[String],
        api_version: &str,
    ) -> Self {
        SavedPlan {
            document: PlanDocument::new(plan, file),
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            api_version: api_version.to_string(),
            file_sha256,
            targets: targets.to_vec(),
            scopes: plan
                .scopes
                .iter()
                .filter(|sp| sp.is_touched())
                .filter_map(|sp| {
                    sp.fingerprint.as_ref().map(|f| SavedScope {
                        scope: (&sp.scope).into(),
                        fingerprint: f.clone(),
                        listed: super::fingerprint::listing(sp.listed()),
                    })
                })
                .collect(),
        }
    }

    /// The scopes `apply` must list again, each with the fingerprint it must still have.
    pub fn fingerprints(&self) -> Vec<(Scope, &str)> {
        self.scopes
            .iter()
            .map(|s| (Scope::from(&s.scope), s.fingerprint.as_str()))
            .collect()
    }

    /// The plan to apply: its changes by scope, the safety verdict, and each touched scope's
    /// fingerprint (see `PlanDocument::to_plan` for what a saved plan does not carry).
    pub fn to_plan(&self) -> Plan {
        let mut plan = self.document.to_plan();
        for (scope, fingerprint) in self.fingerprints() {
            if let Some(sp) = plan.scopes.iter_mut().find(|sp| sp.scope == scope) {
                sp.fingerprint = Some(fingerprint.to_string());
            }
        }
        plan
    }

    /// Pretty JSON with a final newline.
    pub fn to_json(&self) -> String {
        let s = serde_json::to_string_pretty(self).expect("a plan always serialises");
        // A plan file is read by people too (`cat`, review tools): no terminal control in it.
        crate::render::inert::json(&s).into_owned() + "\n"
    }

    /// Parses a saved plan and checks every field (`check::problems`); `path` names it in errors.
    pub fn from_json(text: &str, path: &Path) -> Result<Self, PlanFileError> {
        let parse = |source| PlanFileError::Parse {
            path: path.to_path_buf(),
            source,
        };
        #[derive(Deserialize)]
        struct Version {
            format_version: u64,
        }
        let v: Version = serde_json::from_str(text).map_err(parse)?;
        if v.format_version != u64::from(FORMAT_VERSION) {
            return Err(PlanFileError::Version {
                path: path.to_path_buf(),
                found: v.format_version,
            });
        }
        let saved: SavedPlan = serde_json::from_str(text).map_err(parse)?;
        let problems = check::problems(&saved);
        if !problems.is_empty() {
            return Err(PlanFileError::Invalid {
                path: path.to_path_buf(),
                problems,
            });
        }
        Ok(saved)
    }
}

/// Reads a plan saved by `plan --out`.
pub fn read(path: &Path) -> Result<SavedPlan, PlanFileError> {
    let read_err = |source| PlanFileError::Read {
        path: path.to_path_buf(),
        source,
    };
    let len = std::fs::metadata(path).map_err(read_err)?.len();
    if len > MAX_PLAN_BYTES {
        return Err(PlanFileError::TooLarge {
            path: path.to_path_buf(),
        });
    }
    let text = std::fs::read_to_string(path).map_err(read_err)?;
    if looks_like_desired_state(&text) {
        return Err(PlanFileError::DesiredState {
            path: path.to_path_buf(),
        });
    }
    SavedPlan::from_json(&text, path)
}

/// A YAML mapping with `clusters` or `version`, not JSON: a desired-state file given as the plan.
fn looks_like_desired_state(text: &str) -> bool {
    if text.trim_start().starts_with('{') {
        return false;
    }
    let yaml: Option<serde_yaml::Mapping> = serde_yaml::from_str(text).ok();
    yaml.is_some_and(|m| m.contains_key("clusters") || m.contains_key("version"))
}

/// `sha256:` + 64 hex digits of a file's bytes: what a saved plan records of its desired-state file.
pub fn file_sha256(path: &Path) -> std::io::Result<String> {
    use sha2::{Digest, Sha256};
    let bytes = std::fs::read(path)?;
    let hex: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(format!("sha256:{hex}"))
}

/// Writes a plan for `apply PLAN.json`.
pub fn write(path: &Path, saved: &SavedPlan) -> Result<(), PlanFileError> {
    std::fs::write(path, saved.to_json()).map_err(|source| PlanFileError::Write {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
pub(crate) mod tests;
