//! Plans and reports for people and machines. Each renderer writes to an injected writer; none of
//! them decides anything.
//!
//! | file           | writes                                                                |
//! |----------------|-----------------------------------------------------------------------|
//! | `text`         | the Terraform-like plan for a terminal                                |
//! | `json`         | the versioned plan document, for machines                             |
//! | `markdown`     | a pull-request comment, under GitHub's size limit                     |
//! | `diff`         | a unified diff of each scope's grants, now vs after apply             |
//! | `apply_report` | the apply report, as text and as `apply --format json`                |
//! | `style`        | colour or not                                                         |
//! | `inert`        | how untrusted text is written in each format (every renderer uses it) |
//! | `golden`       | (tests) the golden files of every plan format                         |

mod apply_report;
mod diff;
pub mod inert;
mod json;
mod markdown;
mod style;
mod text;

#[cfg(test)]
mod golden;

use std::io::{self, Write};

use crate::plan::Plan;

pub use apply_report::{
    REPORT_FORMAT_VERSION, ReportContext, write_report_json, write_report_text,
};
pub use diff::write_plan_diff;
pub use json::write_plan_json;
pub use markdown::{GITHUB_COMMENT_LIMIT, write_plan_markdown};
pub use style::Style;
pub use text::write_plan_text;

/// How `plan` prints its plan (`--format`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Terraform-like, for a terminal.
    #[default]
    Text,
    /// The versioned plan document (docs/plan-format.md).
    Json,
    /// For a pull-request comment.
    Markdown,
    /// A unified diff of each scope's grants, now vs after apply.
    Diff,
}

/// Writes `plan` in `format`; `file` names the desired-state file.
pub fn write_plan(
    format: OutputFormat,
    plan: &Plan,
    file: &str,
    style: Style,
    w: &mut dyn Write,
) -> io::Result<()> {
    match format {
        OutputFormat::Text => write_plan_text(plan, file, style, w),
        OutputFormat::Json => write_plan_json(plan, file, w),
        OutputFormat::Markdown => write_plan_markdown(plan, file, w),
        OutputFormat::Diff => write_plan_diff(plan, style, w),
    }
}
