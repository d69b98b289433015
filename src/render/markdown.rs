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
//! are kept whole while they fit, then lines, and a note says how many lines were left out.

use std::collections::BTreeMap;
use std::io::{self, Write};

use crate::model::ClusterRef;
use crate::plan::{Plan, ScopePlan, Summary};

use super::Style;
use super::inert::{html, md_code, md_fence, md_text, text};
use super::text::{PENDING_HEADING, change_line, kept_line, pending_line, scope_heading};

/// GitHub's limit on the body of an issue or pull-request comment, in characters.
pub const GITHUB_COMMENT_LIMIT: usize = 65_536;

/// Room kept for the truncation note.
const NOTE_RESERVE: usize = 400;

/// Room left in a comment for what CI puts around the plan: the GitHub Action's hidden marker,
/// the link to the run's plan artifact and, when the plan failed, the error (capped at 1,200).
pub const CI_WRAPPER_RESERVE: usize = 2_048;

pub fn write_plan_markdown(plan: &Plan, file: &str, w: &mut dyn Write) -> io::Result<()> {
    w.write_all(render(plan, file, GITHUB_COMMENT_LIMIT - CI_WRAPPER_RESERVE).as_bytes())
}

/// A `<details>` section: text blocks and code blocks, so that truncation can stop between lines
/// and still close what it opened.
struct Section {
    blocks: Vec<Block>,
}

enum Block {
    Text(String),
    /// A fenced block: `diff` for changes (GitHub colours `+` and `-`), plain for kept grants.
    Code(&'static str, Vec<String>),
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// The whole comment, at most `limit` characters.
pub fn render(plan: &Plan, file: &str, limit: usize) -> String {
    let head = head(plan, file);
    let foot = foot(plan);
    let sections = sections(plan);
    let full: String =
        head.clone() + &sections.iter().map(full_section).collect::<String>() + &foot;
    if chars(&full) <= limit {
        return full;
    }
    let mut budget = limit.saturating_sub(chars(&head) + chars(&foot) + NOTE_RESERVE);
    let mut out = head;
    let mut omitted = 0;
    for s in &sections {
        let whole = full_section(s);
        if chars(&whole) <= budget {
            budget -= chars(&whole);
            out.push_str(&whole);
        } else {
            let (part, left_out) = cut_section(s, budget);
            budget = budget.saturating_sub(chars(&part));
            out.push_str(&part);
            omitted += left_out;
        }
    }
    out.push_str(&format!(
        "> [!NOTE]\n> This plan is too long for one comment: {omitted} line(s) are not shown. \
         The saved plan file (`plan --out`) has every change; in CI it is kept as the run's plan \
         artifact.\n\n"
    ));
    out.push_str(&foot);
    if chars(&out) > limit {
        // Only a head alone past the limit gets here (thousands of unsafe or unreadable scopes).
        let note = "\n\n(truncated)\n";
        out = out.chars().take(limit - chars(note)).collect::<String>() + note;
    }
    out
}

fn head(plan: &Plan, file: &str) -> String {
    let mut s = format!("### kusto-principals plan for {}\n\n", md_code(file));
    if !plan.safety.ok {
        s.push_str("> [!CAUTION]\n> **Unsafe plan: `apply` will refuse it without `--force`.**\n");
        for r in &plan.safety.reasons {
            // Reasons are this program's sentences around validated scope names.
            s.push_str(&format!("> - {}\n", text(r)));
        }
        s.push('\n');
    }
    let errors: Vec<&ScopePlan> = plan.scopes.iter().filter(|s| s.error.is_some()).collect();
    if !errors.is_empty() {
        s.push_str(&format!(
            "> [!WARNING]\n> **{} scope(s) could not be read and are not planned:**\n",
            errors.len()
        ));
        for sp in errors {
            let e = sp
                .error
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default();
            s.push_str(&format!(
                "> - {}: {}\n",
                md_code(&sp.scope.to_string()),
                md_text(&e)
            ));
        }
        s.push('\n');
    }
    let skipped: Vec<_> = plan.not_checked().collect();
    if !skipped.is_empty() {
        s.push_str(&format!(
            "> [!NOTE]\n> **{} scope(s) not checked: their cluster is not Running.** Nothing is written \
             there; start the cluster to plan them.\n",
            skipped.len()
        ));
        for (scope, reason) in skipped {
            s.push_str(&format!("> - `{scope}`: {reason}\n"));
        }
        s.push('\n');
    }
    let followers: Vec<&ScopePlan> = plan.scopes.iter().filter(|s| s.follows.is_some()).collect();
    if !followers.is_empty() {
        s.push_str("Follower databases (their grants combine with the leader's):\n");
        for sp in followers {
            if let Some(f) = &sp.follows {
                s.push_str(&format!(
                    "- `{}` follows `{}` (principalsModificationKind `{}`)\n",
                    sp.scope,
                    f.leader_name(),
                    f.modification_kind
                ));
            }
        }
        s.push('\n');
    }
    s.push_str("| Cluster | Create | Replace | Delete | Unchanged | Unmanaged (kept) |\n");
    s.push_str("|---|---:|---:|---:|---:|---:|\n");
    for (cluster, scopes) in by_cluster(plan) {
        s.push_str(&row(&md_code(&cluster.to_string()), &summary(&scopes)));
    }
    s.push_str(&row("**Total**", &plan.summary()));
    s.push('\n');
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

fn sections(plan: &Plan) -> Vec<Section> {
    let mut out = Vec::new();
    for (cluster, scopes) in by_cluster(plan) {
        let s = summary(&scopes);
        if !s.has_changes() && s.unmanaged == 0 && s.pending == 0 {
            continue;
        }
        let mut blocks = vec![Block::Text(format!(
            "<details><summary><code>{}</code>: {} to add, {} to replace, {} to delete, {} unmanaged kept</summary>\n\n",
            html(&cluster.to_string()),
            s.create,
            s.replace,
            s.delete,
            s.unmanaged
        ))];
        for sp in &scopes {
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
        out.push(Section { blocks });
    }
    // One cluster: nothing to choose between, so show it rather than make a reviewer click.
    if let [only] = out.as_mut_slice()
        && let Some(Block::Text(t)) = only.blocks.first_mut()
    {
        *t = t.replacen("<details>", "<details open>", 1);
    }
    out
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

const CLOSE: &str = "</details>\n\n";

/// A code block of `lines` behind `fence` (`md_fence` of the whole block, so that a cut block
/// keeps the fence its size was counted with).
fn code(fence: &str, lang: &str, lines: &[String]) -> String {
    let body: String = lines.iter().map(|l| format!("{l}\n")).collect();
    format!("{fence}{lang}\n{body}{fence}\n\n")
}

fn full_section(s: &Section) -> String {
    let mut out = String::new();
    for b in &s.blocks {
        match b {
            Block::Text(t) => out.push_str(t),
            Block::Code(lang, lines) => out.push_str(&code(&md_fence(lines), lang, lines)),
        }
    }
    out + CLOSE
}

/// As much of `s` as fits in `budget` characters, closed properly, and how many lines were left out.
fn cut_section(s: &Section, budget: usize) -> (String, usize) {
    let budget = budget.saturating_sub(chars(CLOSE));
    let mut out = String::new();
    let mut used = 0;
    let mut left_out = 0;
    let mut full = false;
    for b in &s.blocks {
        match b {
            Block::Text(t) => {
                if !full && used + chars(t) <= budget {
                    used += chars(t);
                    out.push_str(t);
                } else {
                    full = true;
                }
            }
            Block::Code(lang, lines) => {
                let fence = md_fence(lines);
                let mut size = chars(&code(&fence, lang, &[]));
                let mut shown = Vec::new();
                for l in lines {
                    let line = chars(l) + "\n".len();
                    if !full && used + size + line <= budget {
                        size += line;
                        shown.push(l.clone());
                    } else {
                        full = true;
                        left_out += 1;
                    }
                }
                if !shown.is_empty() {
                    used += size;
                    out.push_str(&code(&fence, lang, &shown));
                }
            }
        }
    }
    if out.is_empty() {
        return (out, left_out);
    }
    (out + CLOSE, left_out)
}

#[cfg(test)]
mod tests;
