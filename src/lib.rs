//! kusto-principals: keep Azure Data Explorer (Kusto) principal assignments in Git.
//!
//! The pipeline, one module per stage:
//!
//! | module     | owns                                                                   |
//! |------------|------------------------------------------------------------------------|
//! | `cli`      | the command line → a `Command` value                                   |
//! | `config`   | the desired-state file → a validated `DesiredState` (no I/O past reading the file) |
//! | `model`    | the shared vocabulary: scopes, principals, roles, keys, states         |
//! | `arm`      | talking to Azure Resource Manager: auth, client, paging, polling, retry |
//! | `plan`     | the pure diff of desired vs current, and the saved plan file           |
//! | `resolve`  | the file's principals looked up in Microsoft Graph (optional)          |
//! | `survey`   | reading the estate: listings, cluster states, followers, "not found"   |
//! | `render`   | plans (text, json, markdown, diff) and reports, to an injected writer  |
//! | `apply`    | a plan → ordered ARM calls → a report                                  |
//! | `progress` | apply progress on stderr: a bar on a terminal, plain lines otherwise   |
//! | `export`   | what Azure has now → a desired-state file in the canonical format      |
//! | `error`    | the one error type, gathered from each layer's, and its exit code       |
//! | `run`      | the command line resolved once, and one function per command: connect, call, print |
//!
//! The local ARM + Entra ID emulator (`emulator`, `--emulator`) is its own crate, `kusto-emulator`.

// Errors are on the cold path: ARM errors carry operation, resource, code, message and request id
// unboxed so that every layer can read them directly.
#![allow(clippy::result_large_err)]

pub mod apply;
pub mod arm;
pub mod cli;
pub mod config;
pub mod error;
pub mod export;
pub mod model;
pub mod plan;
pub mod progress;
pub mod render;
pub mod resolve;
pub mod run;
pub mod survey;

pub use error::{Error, Result};
