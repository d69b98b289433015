//! The text plan: Terraform-like, grouped by scope, `+` create, `-` delete, `-/+` replace.

use std::io::{self, Write};

use crate::model::{CurrentAssignment, DesiredGrant, Scope, ScopeKind};
use crate::plan::{Change, Pending, Plan};

use super::Style;
use super::inert::text;

pub(super) fn scope_heading(scope: &Scope) -> String {
    match scope.kind() {
        ScopeKind::Cluster => format!(
            "cluster {} (subscription {}, resource group {})",
            scope.cluster.cluster, scope.cluster.subscription, scope.cluster.resource_group
        ),
        ScopeKind::Database => format!("database {scope}"),
    }
}

fn who_current(a: &CurrentAssignment) -> String {
    let id = a.key.principal_id.as_str();
    let mut s = format!("{}:{}", a.key.principal_type.file_key(), text(id));
    if let Some(n) = a
        .principal_name
        .as_deref()
        .and_then(|n| display_name(n, id))
    {
        s.push_str(&format!(" ({})", text(n)));
    }
    s
}

/// ARM's `principalName` without what the line already shows: ARM writes a user as
/// `Bob Jones (bob@contoso.com)`, and the id is already there, so the line reads
/// `user:bob@contoso.com (Bob Jones)`, not `(Bob Jones (bob@contoso.com))`.
pub(super) fn display_name<'a>(name: &'a str, id: &str) -> Option<&'a str> {
    let name = name.trim();
    let lower = name.to_ascii_lowercase();
    let suffix = format!("({})", id.to_ascii_lowercase());
    let name = if lower.ends_with(&suffix) {
        name[..name.len() - suffix.len()].trim_end()
    } else {
        name
    };
    (!name.is_empty() && !name.eq_ignore_ascii_case(id)).then_some(name)
}

/// Terminal text carries no Markdown: the safety reasons quote names in backticks for the
/// Markdown plan and JSON readers.
fn plain(s: &str) -> String {
    text(&s.replace('`', "")).into_owned()
}

fn who_desired(g: &DesiredGrant) -> String {
    let mut s = format!(
        "{}:{}",
        g.key.principal_type.file_key(),
        text(g.key.principal_id.as_str())
    );
    if let Some(n) = g.resolved.as_ref().and_then(|r| r.display_name.as_deref()) {
        s.push_str(&format!(" ({})", text(n)));
    }
    s
}

/// Writes the plan; `file` names the desired-state file in the headline. Scopes that could not be
/// read are named here; their errors are the command's error, on stderr, once.
pub fn write_plan_text(plan: &Plan, file: &str, style: Style, w: &mut dyn Write) -> io::Result<()> {
    let mut out = Sections::default();
    if !plan.safety.ok {
        let heading =
            style.red(&style.bold("UNSAFE: apply will refuse this plan without --force:"));
        let reasons = plan
            .safety
            .reasons
            .iter()
            .map(|r| format!("- {}", plain(r)));
        out.section(w, &heading, reasons)?;
    }
    let file = text(file);
    write_changes(plan, &file, style, &mut out, w)?;
    let kept = plan
        .scopes
        .iter()
        .flat_map(|s| s.kept.iter())
        .map(kept_line);
    out.list(w, "Not in the file, kept (unmanaged: keep):", kept)?;
    let pending = plan
        .scopes
        .iter()
        .flat_map(|s| &s.pending)
        .map(pending_line);
    out.list(w, PENDING_HEADING, pending)?;
    let unread: Vec<&Scope> = plan
        .scopes
        .iter()
        .filter(|s| s.error.is_some())
        .map(|s| &s.scope)
        .collect();
    let heading = style.red("Could not read (the error says why):");
    out.list(
        w,
        &heading,
        unread.iter().map(|s| text(&s.to_string()).into_owned()),
    )?;
    let heading = style.yellow("Not checked (cluster not Running; nothing is written there):");
    let skipped = plan
        .not_checked()
        .map(|(scope, reason)| format!("{scope}: {reason}"));
    out.list(w, &heading, skipped)?;
    out.list(
        w,
        "Follower databases (their grants combine with the leader's):",
        plan.scopes.iter().filter_map(|s| {
            s.follows.as_ref().map(|f| {
                format!(
                    "{}: follows {} (principalsModificationKind {})",
                    s.scope,
                    f.leader_name(),
                    f.modification_kind
                )
            })
        }),
    )?;
    out.start(w)?;
    write_summary_line(plan, &file, unread.len(), style, w)
}

/// The sections of the text plan: a blank line separates them, never opens the output.
#[derive(Default)]
struct Sections {
    wrote: bool,
}

impl Sections {
    fn start(&mut self, w: &mut dyn Write) -> io::Result<()> {
        if self.wrote {
            writeln!(w)?;
        }
        self.wrote = true;
        Ok(())
    }

    /// A section of `heading` and its indented `lines`; nothing when there are no lines.
    fn list(
        &mut self,
        w: &mut dyn Write,
        heading: &str,
        lines: impl IntoIterator<Item = String>,
    ) -> io::Result<()> {
        let mut lines = lines.into_iter().peekable();
        if lines.peek().is_none() {
            return Ok(());
        }
        self.section(w, heading, lines)
    }

    /// A section of `heading` and its indented `lines`.
    fn section(
        &mut self,
        w: &mut dyn Write,
        heading: &str,
        lines: impl IntoIterator<Item = String>,
    ) -> io::Result<()> {
        self.start(w)?;
        writeln!(w, "{heading}")?;
        for line in lines {
            writeln!(w, "  {line}")?;
        }
        Ok(())
    }
}

/// The changes, scope by scope under a headline naming `file`.
fn write_changes(
    plan: &Plan,
    file: &str,
    style: Style,
    out: &mut Sections,
    w: &mut dyn Write,
) -> io::Result<()> {
    if plan.summary().has_changes() {
        out.start(w)?;
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
        let heading = format!("# {}", text(&scope_heading(&sp.scope)));
        writeln!(w, "  {}", style.bold(&heading))?;
        for c in changes {
            if let Some(line) = change_line(c, style) {
                writeln!(w, "  {line}")?;
            }
        }
    }
    Ok(())
}

fn write_summary_line(
    plan: &Plan,
    file: &str,
    unread: usize,
    style: Style,
    w: &mut dyn Write,
) -> io::Result<()> {
    let summary = plan.summary();
    let skipped = plan.not_checked().count();
    if !plan.safety.ok {
        let line = "UNSAFE: apply will refuse this plan without --force (reasons at the top).";
        writeln!(w, "{}", style.red(line))?;
    }
    let total = plan.scopes.len();
    let read = total - unread;
    if summary.has_changes() {
        let line = format!(
            "Plan: {} to add, {} to replace, {} to delete.",
            summary.create, summary.replace, summary.delete
        );
        writeln!(w, "{}", style.bold(&line))
    } else if read == 0 && unread > 0 {
        writeln!(
            w,
            "Nothing to compare: none of the {unread} scope{} in {file} could be read.",
            plural(unread)
        )
    } else if unread > 0 {
        writeln!(
            w,
            "No changes in the {read} scope{} that could be read; {unread} could not be read.",
            plural(read)
        )
    } else if summary.pending > 0 {
        writeln!(
            w,
            "No changes to make now; {} assignment{} pending in Azure (listed above): plan again once they settle.",
            summary.pending,
            plural(summary.pending)
        )
    } else if skipped > 0 {
        writeln!(
            w,
            "No changes in the {} scope{} checked; {skipped} not checked (listed above).",
            plan.scopes.len() - skipped,
            plural(plan.scopes.len() - skipped)
        )
    } else {
        writeln!(
            w,
            "No changes. Azure matches {file} ({} grant{} in {read} scope{}).",
            summary.unchanged,
            plural(summary.unchanged),
            plural(read)
        )
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// One change as a plan line (without indentation): `+` create, `-` delete, `-/+` replace; `None`
/// for a no-op. Shared with the Markdown plan.
pub(super) fn change_line(c: &Change, style: Style) -> Option<String> {
    Some(match c {
        Change::Create { after } => format!(
            "{} {}  {}  [{}]",
            style.green("+"),
            who_desired(after),
            after.key.role,
            text(&after.create_name())
        ),
        Change::Delete { before } => format!(
            "{} {}  {}  [{}]",
            style.red("-"),
            who_current(before),
            before.key.role,
            text(&before.name)
        ),
        Change::Replace { before, after } => {
            let what = if before.key.principal_type != after.key.principal_type {
                format!(
                    "{} {} → {} {}",
                    before.key.principal_type.file_key(),
                    before.key.role,
                    after.key.principal_type.file_key(),
                    after.key.role
                )
            } else if !before.is_held() {
                // The old half never took effect (`Failed`): say so, not `Viewer → Viewer`.
                let state = before.provisioning.as_str();
                format!("{} ({state}) → {}", before.key.role, after.key.role)
            } else {
                format!("{} → {}", before.key.role, after.key.role)
            };
            format!(
                "{} {}  {}  [{} → {}]",
                style.yellow("-/+"),
                who_current(before),
                what,
                text(&before.name),
                text(&after.create_name())
            )
        }
        Change::NoOp { .. } => return None,
    })
}

/// An unmanaged grant left alone: `scope  principal  role  [name]`.
pub(super) fn kept_line(a: &CurrentAssignment) -> String {
    format!(
        "{}  {}  {}  [{}]",
        text(&a.key.scope.to_string()),
        who_current(a),
        a.key.role,
        text(&a.name)
    )
}

/// The heading of the pending section, shared with the Markdown plan.
pub(super) const PENDING_HEADING: &str =
    "Pending in Azure, not counted as held and not acted on until they settle:";

/// An assignment left for a later run: `scope  principal  role  [name]  why`.
pub(super) fn pending_line(p: &Pending) -> String {
    let why = match &p.waits_for {
        None => format!(
            "{} (not Succeeded)",
            text(p.assignment.provisioning.as_str())
        ),
        Some(by) => format!(
            "delete waits until [{}], which replaces it, has succeeded",
            text(by)
        ),
    };
    format!("{}  {why}", kept_line(&p.assignment))
}
