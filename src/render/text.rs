//! The text plan: Terraform-like, grouped by scope, `+` create, `-` delete, `-/+` replace.

use std::io::{self, Write};

use crate::model::{CurrentAssignment, DesiredGrant, Scope, ScopeKind};
use crate::plan::{Change, Plan};

/// Colour or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    pub(super) fn green(&self, s: &str) -> String {
        self.paint("32", s)
    }
    pub(super) fn red(&self, s: &str) -> String {
        self.paint("31", s)
    }
    pub(super) fn yellow(&self, s: &str) -> String {
        self.paint("33", s)
    }
    fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
}

fn scope_heading(scope: &Scope) -> String {
    match scope.kind() {
        ScopeKind::Cluster => format!(
            "cluster {} (subscription {}, resource group {})",
            scope.cluster.cluster, scope.cluster.subscription, scope.cluster.resource_group
        ),
        ScopeKind::Database => format!("database {scope}"),
    }
}

fn who_current(a: &CurrentAssignment) -> String {
    let mut s = format!("{}:{}", a.key.principal_type.file_key(), a.key.principal_id);
    if let Some(n) = &a.principal_name {
        s.push_str(&format!(" ({n})"));
    }
    s
}

fn who_desired(g: &DesiredGrant) -> String {
    format!("{}:{}", g.key.principal_type.file_key(), g.key.principal_id)
}

/// Writes the plan; `file` names the desired-state file in the headline.
pub fn write_plan_text(plan: &Plan, file: &str, style: Style, w: &mut dyn Write) -> io::Result<()> {
    let summary = plan.summary();
    if !plan.safety.ok {
        writeln!(
            w,
            "{}",
            style.red(&style.bold("UNSAFE: apply will refuse this plan without --force:"))
        )?;
        for r in &plan.safety.reasons {
            writeln!(w, "  - {r}")?;
        }
        writeln!(w)?;
    }
    if summary.has_changes() {
        writeln!(
            w,
            "kusto-principals will make these changes to match {file}:"
        )?;
    }
    for sp in &plan.scopes {
        let changes: Vec<&Change> = sp.changes.iter().filter(|c| !c.is_noop()).collect();
        if changes.is_empty() {
            continue;
        }
        writeln!(w)?;
        writeln!(
            w,
            "  {}",
            style.bold(&format!("# {}", scope_heading(&sp.scope)))
        )?;
        for c in changes {
            match c {
                Change::Create { after } => writeln!(
                    w,
                    "  {} {}  {}  [{}]",
                    style.green("+"),
                    who_desired(after),
                    after.key.role,
                    after.create_name()
                )?,
                Change::Delete { before } => writeln!(
                    w,
                    "  {} {}  {}  [{}]",
                    style.red("-"),
                    who_current(before),
                    before.key.role,
                    before.name
                )?,
                Change::Replace { before, after } => {
                    let what = if before.key.principal_type != after.key.principal_type {
                        format!(
                            "{} {} → {} {}",
                            before.key.principal_type.file_key(),
                            before.key.role,
                            after.key.principal_type.file_key(),
                            after.key.role
                        )
                    } else {
                        format!("{} → {}", before.key.role, after.key.role)
                    };
                    writeln!(
                        w,
                        "  {} {}  {}  [{} → {}]",
                        style.yellow("-/+"),
                        who_current(before),
                        what,
                        before.name,
                        after.create_name()
                    )?
                }
                Change::NoOp { .. } => {}
            }
        }
    }
    let kept: Vec<&CurrentAssignment> = plan.scopes.iter().flat_map(|s| s.kept.iter()).collect();
    if !kept.is_empty() {
        writeln!(w)?;
        writeln!(w, "Not in the file, kept (unmanaged: keep):")?;
        for a in kept {
            writeln!(
                w,
                "  {}  {}  {}  [{}]",
                a.key.scope,
                who_current(a),
                a.key.role,
                a.name
            )?;
        }
    }
    let errors: Vec<_> = plan
        .scopes
        .iter()
        .filter_map(|s| s.error.as_ref().map(|e| (&s.scope, e)))
        .collect();
    if !errors.is_empty() {
        writeln!(w)?;
        writeln!(w, "{}", style.red("Could not plan these scopes:"))?;
        for (scope, e) in errors {
            writeln!(w, "  {scope}: {e}")?;
        }
    }
    writeln!(w)?;
    if summary.has_changes() {
        writeln!(
            w,
            "{}",
            style.bold(&format!(
                "Plan: {} to add, {} to replace, {} to delete.",
                summary.create, summary.replace, summary.delete
            ))
        )?;
    } else {
        writeln!(
            w,
            "No changes. Azure matches {file} ({} grants in {} scopes).",
            summary.unchanged,
            plan.scopes.len()
        )?;
    }
    Ok(())
}
