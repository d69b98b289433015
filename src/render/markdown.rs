//! `plan --format markdown`: a plan for a pull-request comment.
//!
//! | part                      | when                                                     |
//! |---------------------------|----------------------------------------------------------|
//! | title                     | always                                                   |
//! | `[!CAUTION]` safety block | the plan is unsafe (first, before anything else)         |
//! | `[!WARNING]` errors block | some scopes could not be read                            |
//! | summary table             | always: one row per cluster and a total                  |
//! | `<details>` per cluster   | the cluster has changes or kept unmanaged grants         |
//! | `[!NOTE]` truncation note | the comment would pass `limit` characters                |
//! | plan line                 | always last: `**Plan: …**` or `**No changes.**`          |
//!
//! GitHub refuses comments over 65,536 characters, so the output never exceeds `limit`: clusters
//! are kept whole while they fit, then lines, and a note says how many lines were left out
//! (`markdown/fit`: the sections as blocks, and the cutting).

use std::collections::BTreeMap;
use std::io::{self, Write};

use crate::model::ClusterRef;
use crate::plan::{Plan, ScopePlan, Summary};

use super::Style;
use super::inert::{html, md_code, md_text, text};
use super::text::{PENDING_HEADING, change_line, kept_line, pending_line, scope_heading};

mod fit;

use fit::{Block, Section, chars};

/// GitHub's limit on the body of an issue or pull-request comment, in characters.
pub const GITHUB_COMMENT_LIMIT: usize = 65_536;

/// Room left in a comment for what CI puts around the plan: the GitHub Action's hidden marker,
/// the link to the run's plan artifact and, when the plan failed, the error (capped at 1,200).
pub const CI_WRAPPER_RESERVE: usize = 2_048;

pub fn write_plan_markdown(plan: &Plan, file: &str, w: &mut dyn Write) -> io::Result<()> {
    w.write_all(render(plan, file, GITHUB_COMMENT_LIMIT - CI_WRAPPER_RESERVE).as_bytes())
}

/// The whole comment, at most `limit` characters.
pub fn render(plan: &Plan, file: &str, limit: usize) -> String {
    fit::fit(head(plan, file), &sections(plan), foot(plan), limit)
}

/// Everything before the per-cluster sections: title, the blocks that call for attention, the
/// summary table.
fn head(plan: &Plan, file: &str) -> String {
    let mut s = format!("### kusto-principals plan for {}\n\n", md_code(file));
    s.push_str(&caution(plan));
    s.push_str(&unread_warning(plan));
    s.push_str(&not_checked_note(plan));
    s.push_str(&followers(plan));
    s.push_str(&summary_table(plan));
    if plan.safety.ok {
        s.push_str(
            "Safety: ok (no mass deletion, no cluster left without an `AllDatabasesAdmin`).\n\n",
        );
    }
    if plan.summary().replace > 0 {
        s.push_str(
            "`+` create, `-` delete, `~` replace (the new grant is created, then the old one deleted).\n\n",
        );
    }
    s
}

/// `first`, then one line per item, then a blank line.
fn block(first: String, items: Vec<String>) -> String {
    let mut s = first;
    for item in items {
        s.push_str(&item);
        s.push('\n');
    }
    s.push('\n');
    s
}

/// The `[!CAUTION]` block of an unsafe plan, with its reasons.
fn caution(plan: &Plan) -> String {
    if plan.safety.ok {
        return String::new();
    }
    let first = "> [!CAUTION]\n> **Unsafe plan: `apply` will refuse it without `--force`.**\n";
    // Reasons are this program's sentences around validated scope names.
    let reasons = plan
        .safety
        .reasons
        .iter()
        .map(|r| format!("> - {}", text(r)));
    block(first.to_string(), reasons.collect())
}

/// The `[!WARNING]` block naming the scopes that could not be read, and why.
fn unread_warning(plan: &Plan) -> String {
    let errors: Vec<String> = plan
        .scopes
        .iter()
        .filter_map(|sp| {
            let e = sp.error.as_ref()?.to_string();
            Some(format!(
                "> - {}: {}",
                md_code(&sp.scope.to_string()),
                md_text(&e)
            ))
        })
        .collect();
    if errors.is_empty() {
        return String::new();
    }
    let first = format!(
        "> [!WARNING]\n> **{} scope(s) could not be read and are not planned:**\n",
        errors.len()
    );
    block(first, errors)
}

/// The `[!NOTE]` block naming the scopes of clusters that are not Running.
fn not_checked_note(plan: &Plan) -> String {
    let skipped: Vec<String> = plan
        .not_checked()
        .map(|(scope, reason)| format!("> - `{scope}`: {reason}"))
        .collect();
    if skipped.is_empty() {
        return String::new();
    }
    let first = format!(
        "> [!NOTE]\n> **{} scope(s) not checked: their cluster is not Running.** Nothing is written \
         there; start the cluster to plan them.\n",
        skipped.len()
    );
    block(first, skipped)
}

/// The follower databases, with their leader.
fn followers(plan: &Plan) -> String {
    let followers: Vec<String> = plan
        .scopes
        .iter()
        .filter_map(|sp| {
            let f = sp.follows.as_ref()?;
            Some(format!(
                "- `{}` follows `{}` (principalsModificationKind `{}`)",
                sp.scope,
                f.leader_name(),
                f.modification_kind
            ))
        })
        .collect();
    if followers.is_empty() {
        return String::new();
    }
    let first = "Follower databases (their grants combine with the leader's):\n";
    block(first.to_string(), followers)
}

/// One row per cluster and a total.
fn summary_table(plan: &Plan) -> String {
    let mut s =
        String::from("| Cluster | Create | Replace | Delete | Unchanged | Unmanaged (kept) |\n");
    s.push_str("|---|---:|---:|---:|---:|---:|\n");
    for (cluster, scopes) in by_cluster(plan) {
        s.push_str(&row(&md_code(&cluster.to_string()), &summary(&scopes)));
    }
    s.push_str(&row("**Total**", &plan.summary()));
    s.push('\n');
    s
}

fn row(name: &str, s: &Summary) -> String {
    format!(
        "| {name} | {} | {} | {} | {} | {} |\n",
        s.create, s.replace, s.delete, s.unchanged, s.unmanaged
    )
}

fn foot(plan: &Plan) -> String {
    let s = plan.summary();
    let unread = plan.scopes.iter().filter(|sp| sp.error.is_some()).count();
    if s.has_changes() {
        format!(
            "**Plan: {} to add, {} to replace, {} to delete.**\n",
            s.create, s.replace, s.delete
        )
    } else if unread > 0 && unread == plan.scopes.len() {
        "**Nothing to compare: no scope could be read.**\n".to_string()
    } else if unread > 0 {
        "**No changes in the scopes that could be read.**\n".to_string()
    } else {
        "**No changes.**\n".to_string()
    }
}

fn by_cluster(plan: &Plan) -> BTreeMap<&ClusterRef, Vec<&ScopePlan>> {
    let mut map: BTreeMap<&ClusterRef, Vec<&ScopePlan>> = BTreeMap::new();
    for sp in &plan.scopes {
        map.entry(&sp.scope.cluster).or_default().push(sp);
    }
    map
}

fn summary(scopes: &[&ScopePlan]) -> Summary {
    Summary::of(scopes.iter().copied())
}

/// One `<details>` section per cluster with something to show; a lone one is open.
fn sections(plan: &Plan) -> Vec<Section> {
    let mut out: Vec<Section> = by_cluster(plan)
        .into_iter()
        .filter_map(|(cluster, scopes)| cluster_section(cluster, &scopes))
        .collect();
    // One cluster: nothing to choose between, so show it rather than make a reviewer click.
    if let [only] = out.as_mut_slice()
        && let Some(Block::Text(t)) = only.blocks.first_mut()
    {
        *t = t.replacen("<details>", "<details open>", 1);
    }
    out
}

/// A cluster's changes scope by scope, then its kept and pending grants; `None` when it has none.
fn cluster_section(cluster: &ClusterRef, scopes: &[&ScopePlan]) -> Option<Section> {
    let s = summary(scopes);
    if !s.has_changes() && s.unmanaged == 0 && s.pending == 0 {
        return None;
    }
    let mut blocks = vec![Block::Text(format!(
        "<details><summary><code>{}</code>: {} to add, {} to replace, {} to delete, {} unmanaged kept</summary>\n\n",
        html(&cluster.to_string()),
        s.create,
        s.replace,
        s.delete,
        s.unmanaged
    ))];
    for sp in scopes {
        let lines: Vec<String> = sp
            .changes
            .iter()
            .filter_map(|c| change_line(c, Style::PLAIN))
            .flat_map(|l| diff_lines(&l))
            .collect();
        if lines.is_empty() {
            continue;
        }
        blocks.push(Block::Text(format!(
            "**{}**\n\n",
            md_text(&scope_heading(&sp.scope))
        )));
        blocks.push(Block::Code("diff", lines));
    }
    let kept: Vec<String> = scopes
        .iter()
        .flat_map(|sp| sp.kept.iter())
        .map(kept_line)
        .collect();
    if !kept.is_empty() {
        blocks.push(Block::Text(
            "Not in the file, kept (`unmanaged: keep`):\n\n".into(),
        ));
        blocks.push(Block::Code("", kept));
    }
    let pending: Vec<String> = scopes
        .iter()
        .flat_map(|sp| sp.pending.iter())
        .map(pending_line)
        .collect();
    if !pending.is_empty() {
        blocks.push(Block::Text(format!("{PENDING_HEADING}\n\n")));
        blocks.push(Block::Code("", pending));
    }
    Some(Section { blocks })
}

/// Lines of a ```` ```diff ```` block wider than this wrap (GitHub scrolls code blocks instead).
const WRAP: usize = 100;

/// A plan line as `diff` lines. GitHub colours a line by its first character, so a replace
/// (`-/+` in the terminal) starts with `~` here, or it would show red as if deleted; a long line
/// wraps before its `[names]`, the continuation keeping the sign (and the colour).
fn diff_lines(line: &str) -> Vec<String> {
    let line = match line.strip_prefix("-/+") {
        Some(rest) => format!("~{rest}"),
        None => line.to_string(),
    };
    if chars(&line) <= WRAP {
        return vec![line];
    }
    match line.rfind("  [") {
        Some(i) if i > 0 => {
            let sign = &line[..1];
            vec![
                line[..i].to_string(),
                format!("{sign}     {}", &line[i + 2..]),
            ]
        }
        _ => vec![line],
    }
}

#[cfg(test)]
mod tests;
