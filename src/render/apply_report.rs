//! The apply report, as text and as the versioned JSON document of `apply --format json`
//! (`docs/apply-report-format.md`). Both count the same way: *changes* as the plan counts them (a
//! replace is one change) and *writes* as ARM sees them (a replace is a create then a delete).

use std::io::{self, Write};

use serde::Serialize;

use crate::apply::{ApplyReport, Outcome, WriteKind};
use crate::model::{PrincipalType, Role};
use crate::plan::document::WireScope;
use crate::plan::{Plan, Summary};

use super::Style;
use super::inert::text;

/// The version of the JSON report's shape; it changes when a field changes meaning or disappears.
pub const REPORT_FORMAT_VERSION: u32 = 1;

/// What the report is about, besides the writes themselves.
#[derive(Debug, Clone)]
pub struct ReportContext {
    /// The plan's counts of changes.
    pub changes: Summary,
    /// Writes the plan needs (a replace counts two).
    pub writes: usize,
    /// Ctrl-C stopped the apply before every write started.
    pub interrupted: bool,
}

impl ReportContext {
    pub fn new(plan: &Plan, interrupted: bool) -> Self {
        ReportContext {
            changes: plan.summary(),
            writes: plan.write_count(),
            interrupted,
        }
    }
}

/// `summary` of the JSON report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportSummary {
    /// Changes of the plan: `create + replace + delete`.
    pub changes: usize,
    pub create: usize,
    pub replace: usize,
    pub delete: usize,
    /// ARM writes the plan needs; a replace is two.
    pub writes: usize,
    pub applied: usize,
    pub failed: usize,
    /// Writes not made: guarded deletes, deletes after a failed create, and after Ctrl-C.
    pub skipped: usize,
}

impl ReportSummary {
    fn of(report: &ApplyReport, cx: &ReportContext) -> Self {
        let c = &cx.changes;
        ReportSummary {
            changes: c.create + c.replace + c.delete,
            create: c.create,
            replace: c.replace,
            delete: c.delete,
            writes: cx.writes,
            applied: report.count(|o| matches!(o, Outcome::Applied)),
            failed: report.failed(),
            skipped: report.count(|o| matches!(o, Outcome::Skipped { .. })),
        }
    }
}

/// One write in the JSON report; `scope` has the shape of the plan document's.
#[derive(Debug, Clone, Serialize)]
pub struct WireWrite<'a> {
    pub action: &'static str,
    pub scope: WireScope,
    pub principal_type: PrincipalType,
    pub principal_id: &'a str,
    pub role: Role,
    pub name: &'a str,
    #[serde(flatten)]
    pub outcome: &'a Outcome,
}

/// `apply --format json`.
#[derive(Debug, Clone, Serialize)]
pub struct ReportDocument<'a> {
    pub format_version: u32,
    /// `complete`, `failed` (some write failed) or `interrupted` (Ctrl-C).
    pub status: &'static str,
    pub summary: ReportSummary,
    pub actions: Vec<WireWrite<'a>>,
}

impl<'a> ReportDocument<'a> {
    pub fn new(report: &'a ApplyReport, cx: &ReportContext) -> Self {
        let summary = ReportSummary::of(report, cx);
        ReportDocument {
            format_version: REPORT_FORMAT_VERSION,
            status: status(cx, &summary),
            summary,
            actions: report
                .actions
                .iter()
                .map(|a| WireWrite {
                    action: a.action.as_str(),
                    scope: (&a.key.scope).into(),
                    principal_type: a.key.principal_type,
                    principal_id: a.key.principal_id.as_str(),
                    role: a.key.role,
                    name: &a.name,
                    outcome: &a.outcome,
                })
                .collect(),
        }
    }
}

fn status(cx: &ReportContext, s: &ReportSummary) -> &'static str {
    if cx.interrupted {
        "interrupted"
    } else if s.failed > 0 {
        "failed"
    } else {
        "complete"
    }
}

pub fn write_report_json(
    report: &ApplyReport,
    cx: &ReportContext,
    w: &mut dyn Write,
) -> io::Result<()> {
    let json = serde_json::to_string_pretty(&ReportDocument::new(report, cx))?;
    writeln!(w, "{}", super::inert::json(&json))
}

pub fn write_report_text(
    report: &ApplyReport,
    cx: &ReportContext,
    style: Style,
    w: &mut dyn Write,
) -> io::Result<()> {
    if report.actions.is_empty() {
        writeln!(w, "Nothing to apply.")?;
        return Ok(());
    }
    writeln!(w, "Apply report:")?;
    for a in &report.actions {
        let sign = match a.action {
            WriteKind::Create => "+",
            WriteKind::Delete => "-",
        };
        let (label, note) = match &a.outcome {
            Outcome::Applied => (style.green("ok    "), None),
            Outcome::Failed { message, .. } => (style.red("FAILED"), Some(message.as_str())),
            Outcome::Skipped { reason } => (style.yellow("skip  "), Some(reason.as_str())),
        };
        writeln!(
            w,
            "  {label} {sign} {} [{}]",
            text(&a.key.to_string()),
            text(&a.name)
        )?;
        for line in note.into_iter().flat_map(str::lines) {
            writeln!(w, "           {}", text(line))?;
        }
    }
    writeln!(w)?;
    writeln!(
        w,
        "{}",
        style.bold(&headline(&ReportSummary::of(report, cx), cx))
    )
}

/// The last line: what happened overall, in changes and in writes, and what to do next.
fn headline(s: &ReportSummary, cx: &ReportContext) -> String {
    let changes = format!(
        "{} change{} ({} add, {} replace, {} delete) in {} write{}",
        s.changes,
        plural(s.changes),
        s.create,
        s.replace,
        s.delete,
        s.writes,
        plural(s.writes)
    );
    let writes = format!(
        "{} applied, {} failed, {} skipped",
        s.applied, s.failed, s.skipped
    );
    match status(cx, s) {
        "interrupted" => format!(
            "Apply interrupted (Ctrl-C) before it finished: {changes}; {writes}. Rerun apply to finish."
        ),
        "failed" => format!(
            "Apply finished with failures: {changes}; {writes}. Rerun apply to retry; it picks up where this one stopped."
        ),
        _ if s.skipped > 0 => format!("Apply complete: {changes}; {writes} (see the reasons)."),
        _ => format!("Apply complete: {changes}; {writes}."),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
