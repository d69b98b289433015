//! Making untrusted text inert: the one place that decides how a value that came from the file or
//! from ARM (principal ids, names, display names, tenants, ARM's error messages) is written, so
//! that no value can drive a terminal, close a Markdown block or add a key to YAML.
//!
//! | output                       | function       | what a value can no longer do                      |
//! |------------------------------|----------------|----------------------------------------------------|
//! | a terminal line (text, diff, report, progress) | `text`  | move the cursor, recolour, retitle, start a new line, reorder with bidi controls |
//! | several terminal lines (errors printed by main) | `lines` | the same; `\n` and tab are kept             |
//! | Markdown prose, table cells  | `md_text`      | open emphasis, links, HTML, code spans, cells      |
//! | Markdown code span           | `md_code`      | close the span (its fence is longer than any run in it) |
//! | Markdown code block          | `md_fence`     | close the block (same rule)                        |
//! | HTML inside Markdown         | `html`         | open or close a tag                                |
//! | a YAML scalar (export, diff) | `yaml_scalar`  | end the scalar, the line or the document           |
//! | a YAML comment               | `text`         | end the comment's line                             |
//! | JSON (plan, report)          | `json`         | reach a terminal as C1 controls or line separators |
//!
//! What is replaced is shown, not dropped: `\r`, `\n`, `\t`, or `\u{…}` with the code point, so a
//! reviewer sees that a display name held an escape sequence. Text this program writes itself
//! (headings, colour codes of `Style`) does not pass through here.
//!
//! Log lines on stderr (`tracing`) are escaped by `tracing-subscriber` itself, which since 0.3.20
//! sanitises control sequences in every message; nothing here switches that off.

use std::borrow::Cow;

/// A character that must not reach a terminal or a text format as itself: C0 and C1 controls,
/// DEL, the Unicode line and paragraph separators, bidirectional overrides and isolates (which
/// reorder what a reviewer reads), and the byte-order mark.
fn hostile(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{feff}'
        )
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

fn escape_into(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
    }
}

fn escape_where(s: &str, bad: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !s.chars().any(&bad) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if bad(c) {
            escape_into(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// One line of terminal text: every hostile character (line breaks and tabs included) escaped.
pub fn text(s: &str) -> Cow<'_, str> {
    no_log_commands(escape_where(s, hostile))
}

/// Several lines of terminal text: as `text`, but `\n` and tab are kept.
pub fn lines(s: &str) -> Cow<'_, str> {
    no_log_commands(escape_where(s, |c| c != '\n' && c != '\t' && hostile(c)))
}

/// CI logs are read by their agents: Azure Pipelines acts on `##vso[` anywhere in a line, GitHub
/// Actions on a line that starts with `::`. A value that would form one is shown with that `[` or
/// first `:` escaped (`\u{5b}`, `\u{3a}`), so a display name cannot run a logging command.
fn no_log_commands(s: Cow<'_, str>) -> Cow<'_, str> {
    let azure = s.to_ascii_lowercase().contains("##vso[");
    let github = s.split('\n').any(|l| l.trim_start().starts_with("::"));
    if !azure && !github {
        return s;
    }
    let mut out = String::with_capacity(s.len() + 8);
    for (i, line) in s.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let mut line = line.to_string();
        if line.trim_start().starts_with("::") {
            let at = line.len() - line.trim_start().len();
            line.replace_range(at..at + 1, "\\u{3a}");
        }
        while let Some(at) = line.to_ascii_lowercase().find("##vso[") {
            line.replace_range(at + 5..at + 6, "\\u{5b}");
        }
        out.push_str(&line);
    }
    Cow::Owned(out)
}

/// Prose in Markdown (also safe in a table cell): `text`, then every character Markdown or HTML
/// gives a meaning escaped with a backslash (or as an entity), so the value reads as itself.
pub fn md_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in text(s).chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '#' | '!' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            c => out.push(c),
        }
    }
    out
}

/// The longest run of backticks in `s`.
fn longest_backtick_run<'a>(parts: impl IntoIterator<Item = &'a str>) -> usize {
    let mut longest = 0;
    for s in parts {
        let mut run = 0;
        for c in s.chars() {
            run = if c == '`' { run + 1 } else { 0 };
            longest = longest.max(run);
        }
    }
    longest
}

/// A Markdown code span of `s` that `s` cannot close. A `|` is escaped too: GitHub splits table
/// cells on it even inside a code span.
pub fn md_code(s: &str) -> String {
    let s = text(s);
    let fence = "`".repeat(longest_backtick_run([s.as_ref()]) + 1);
    // A space on each side keeps a leading or trailing backtick from joining the fence; CommonMark
    // strips one such space.
    let pad = if s.is_empty() || s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{}{pad}{fence}", s.replace('|', "\\|"))
}

/// The fence for a Markdown code block holding `lines`: three backticks, or one more than the
/// longest run in any line, so no line can close the block.
pub fn md_fence(lines: &[String]) -> String {
    "`".repeat((longest_backtick_run(lines.iter().map(String::as_str)) + 1).max(3))
}

/// Text inside HTML (e.g. `<summary>`): `text`, with `& < > " '` as entities.
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in text(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A YAML scalar that reads back as exactly `s`, in block and flow context alike: plain when that
/// is unambiguous (a word starting with a letter, or a GUID; never a YAML 1.1 boolean or null),
/// else double-quoted with every character outside YAML's printable set, and every line break,
/// escaped.
pub fn yaml_scalar(s: &str) -> String {
    if yaml_plain(s) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if hostile(c) || c == '\u{85}' || c == '\u{fffe}' || c == '\u{ffff}' => {
                let n = c as u32;
                if n <= 0xffff {
                    out.push_str(&format!("\\u{n:04x}"));
                } else {
                    out.push_str(&format!("\\U{n:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn yaml_plain(s: &str) -> bool {
    let word = s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'));
    let guid = crate::model::PrincipalId::new(s).is_guid() && s.trim() == s;
    let special = matches!(
        s.to_ascii_lowercase().as_str(),
        "true" | "false" | "yes" | "no" | "y" | "n" | "on" | "off" | "null" | "nan" | "inf"
    );
    (word || guid) && !special
}

/// JSON text made inert for a terminal: serde_json escapes C0 controls but writes C1 controls and
/// the line separators as themselves; they become `\u` escapes (the JSON value is unchanged).
pub fn json(s: &str) -> Cow<'_, str> {
    if !s.chars().any(hostile) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        // Only C0 outside strings (newlines of pretty printing) may reach here as hostile.
        if hostile(c) && !matches!(c, '\n' | '\r' | '\t') {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests;
