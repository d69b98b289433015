//! `plan --format diff`: per touched scope, a unified diff of its grants in Azure now against its
//! grants after apply, each side as a sorted YAML list, one flow mapping per grant:
//!
//! ```text
//! --- kusto1/sales (Azure now)
//! +++ kusto1/sales (after apply)
//! @@ -1,2 +1,2 @@
//! -- {group: analysts@contoso.com, role: Viewer, name: analysts-viewer}  # Analysts
//! +- {group: analysts@contoso.com, role: Admin, name: kp-58e1c0b4e1d7f3a2}
//! ```
//!
//! Both sides list what will exist, so an adopted grant reads the same on both (under its ARM
//! name), and a kept unmanaged grant too, and a pending one (with `# pending: Creating`).
//! Ignored assignments are never shown. Scopes without
//! changes, and scopes that could not be read, print nothing.

use std::collections::BTreeSet;
use std::io::{self, Write};

use similar::TextDiff;

use crate::model::{AssignmentKey, CurrentAssignment};
use crate::plan::{Change, Plan, ScopePlan};

use super::Style;

pub fn write_plan_diff(plan: &Plan, style: Style, w: &mut dyn Write) -> io::Result<()> {
    for sp in plan.scopes.iter().filter(|sp| sp.is_touched()) {
        let (now, after) = sides(sp);
        let now: String = now.into_iter().collect();
        let after: String = after.into_iter().collect();
        let text = TextDiff::from_lines(&now, &after)
            .unified_diff()
            .context_radius(3)
            .header(
                &format!("{} (Azure now)", sp.scope),
                &format!("{} (after apply)", sp.scope),
            )
            .to_string();
        for line in text.lines() {
            writeln!(w, "{}", paint(style, line))?;
        }
    }
    Ok(())
}

fn paint(style: Style, line: &str) -> String {
    if line.starts_with("+++") || line.starts_with("---") {
        style.bold(line)
    } else if line.starts_with("@@") {
        style.cyan(line)
    } else if line.starts_with('+') {
        style.green(line)
    } else if line.starts_with('-') {
        style.red(line)
    } else {
        line.to_string()
    }
}

/// The scope's grants now and after apply, as sorted, distinct YAML lines.
fn sides(sp: &ScopePlan) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut now = BTreeSet::new();
    let mut after = BTreeSet::new();
    for c in &sp.changes {
        match c {
            Change::Create { after: a } => {
                after.insert(line(&a.key, &a.create_name(), None));
            }
            Change::Delete { before } => {
                now.insert(existing(before));
            }
            Change::Replace { before, after: a } => {
                now.insert(existing(before));
                after.insert(line(
                    &a.key,
                    &a.create_name(),
                    before.principal_name.as_deref(),
                ));
            }
            Change::NoOp { before, .. } => {
                now.insert(existing(before));
                after.insert(existing(before));
            }
        }
    }
    for a in &sp.kept {
        now.insert(existing(a));
        after.insert(existing(a));
    }
    // Left as they are by this apply, on both sides, with why.
    for p in &sp.pending {
        let a = &p.assignment;
        let why = match &p.waits_for {
            None => format!("pending: {}", a.provisioning.as_str()),
            Some(by) => format!("delete waits for {by}"),
        };
        let l = line(&a.key, &a.name, Some(&why));
        now.insert(l.clone());
        after.insert(l);
    }
    (now, after)
}

fn existing(a: &CurrentAssignment) -> String {
    line(&a.key, &a.name, a.principal_name.as_deref())
}

fn line(key: &AssignmentKey, name: &str, display: Option<&str>) -> String {
    let mut s = format!(
        "- {{{}: {}, role: {}, name: {}}}",
        key.principal_type.file_key(),
        scalar(key.principal_id.as_str()),
        key.role,
        scalar(name)
    );
    if let Some(d) = display {
        s.push_str("  # ");
        s.push_str(&d.replace(['\n', '\r'], " "));
    }
    s.push('\n');
    s
}

/// A YAML scalar: plain when that is unambiguous inside a flow mapping, else double-quoted (JSON
/// string syntax is valid YAML).
fn scalar(s: &str) -> String {
    let plain = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'@'))
        && !s.starts_with(['-', '@', '.']);
    if plain {
        s.to_string()
    } else {
        serde_json::to_string(s).expect("a string serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::diff;
    use crate::plan::fixtures::sample;

    #[test]
    fn scalars_are_quoted_only_when_needed() {
        assert_eq!(scalar("alice@contoso.com"), "alice@contoso.com");
        assert_eq!(scalar("kp-0123"), "kp-0123");
        assert_eq!(scalar("a b"), "\"a b\"");
        assert_eq!(scalar("-x"), "\"-x\"");
        assert_eq!(scalar("x: y"), "\"x: y\"");
        assert_eq!(scalar(""), "\"\"");
    }

    #[test]
    fn each_side_is_valid_yaml() {
        let (d, c) = sample();
        let plan = diff(&d, &c);
        for sp in &plan.scopes {
            let (now, after) = sides(sp);
            for side in [now, after] {
                let text: String = side.into_iter().collect();
                let parsed: Vec<serde_yaml::Mapping> =
                    serde_yaml::from_str(&text).unwrap_or_default();
                assert!(text.is_empty() || !parsed.is_empty(), "{text}");
            }
        }
    }
}
