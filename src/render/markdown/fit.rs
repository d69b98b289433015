//! The Markdown plan under a character limit: each `<details>` section is a list of text and code
//! blocks, so that a cut can stop between lines and still close every block it opened.

use crate::render::inert::md_fence;

/// Room kept for the truncation note.
pub(super) const NOTE_RESERVE: usize = 400;

/// A `<details>` section: text blocks and code blocks, so that truncation can stop between lines
/// and still close what it opened.
pub(super) struct Section {
    pub blocks: Vec<Block>,
}

pub(super) enum Block {
    Text(String),
    /// A fenced block: `diff` for changes (GitHub colours `+` and `-`), plain for kept grants.
    Code(&'static str, Vec<String>),
}

pub(super) fn chars(s: &str) -> usize {
    s.chars().count()
}

/// `head`, the `sections` and `foot`, at most `limit` characters: sections are kept whole while
/// they fit, then lines, and a note says how many lines were left out.
pub(super) fn fit(head: String, sections: &[Section], foot: String, limit: usize) -> String {
    let full: String =
        head.clone() + &sections.iter().map(full_section).collect::<String>() + &foot;
    if chars(&full) <= limit {
        return full;
    }
    let mut budget = limit.saturating_sub(chars(&head) + chars(&foot) + NOTE_RESERVE);
    let mut out = head;
    let mut omitted = 0;
    for s in sections {
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
