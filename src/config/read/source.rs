//! The file's bytes → text YAML may parse, checked before any parsing, so that no character can
//! make a parser stop early and call the rest of the file valid:
//!
//! | check                                  | why                                                   |
//! |----------------------------------------|-------------------------------------------------------|
//! | at most `MAX_FILE_BYTES`, read bounded | memory is bounded by the cap, not by the file         |
//! | UTF-8, the bad byte's line and column  | the format is UTF-8 text                              |
//! | only characters YAML allows            | a NUL ended the file silently (and git shows the file |
//! |                                        | as binary, so no reviewer saw the lines after it)     |
//!
//! YAML allows tab, line feed and carriage return and the printable characters; every other C0
//! control, DEL, the C1 controls but NEL, and U+FFFE/U+FFFF are refused, each at its line:column.

use std::io::Read;
use std::path::Path;

use crate::config::docpath::DocPath;
use crate::config::problem::Problem;
use crate::model::SourceLocation;

/// Files larger than this are refused before parsing (a 50,000-grant file is about 4 MiB).
pub const MAX_FILE_BYTES: usize = 64 << 20;

/// At most this many characters are reported one by one; then a count.
const MAX_REPORTED: usize = 20;

fn too_large() -> Problem {
    Problem::new(
        Some(SourceLocation { line: 1, column: 1 }),
        &DocPath::root(),
        format!("the file is larger than {} MiB", MAX_FILE_BYTES >> 20),
        Some("split the estate into several files, one per team or subscription".into()),
    )
}

/// Reads at most `MAX_FILE_BYTES` (+1, to tell a larger file) as UTF-8: `Err(Ok)` is a problem of
/// the file's content, `Err(Err)` the I/O error's text.
pub fn read(path: &Path) -> Result<String, Result<Problem, String>> {
    let file = std::fs::File::open(path).map_err(|e| Err(e.to_string()))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Err(e.to_string()))?;
    if bytes.len() > MAX_FILE_BYTES {
        return Err(Ok(too_large()));
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let at = position(std::str::from_utf8(valid).unwrap_or_default());
        let byte = e.as_bytes()[valid.len()];
        Ok(Problem::new(
            Some(at),
            &DocPath::root(),
            format!("the file is not UTF-8 text: byte 0x{byte:02X} here starts no character"),
            Some("save the file as UTF-8".into()),
        ))
    })
}

/// A 1-based line and column moving over text (columns count characters, as the parser's do;
/// `\r\n`, `\n` and a lone `\r` each end a line).
struct Cursor {
    at: SourceLocation,
    after_cr: bool,
}

impl Cursor {
    fn new() -> Self {
        Cursor {
            at: SourceLocation { line: 1, column: 1 },
            after_cr: false,
        }
    }

    fn step(&mut self, c: char) {
        match c {
            '\n' if self.after_cr => {}
            '\n' | '\r' => {
                self.at.line += 1;
                self.at.column = 1;
            }
            _ => self.at.column += 1,
        }
        self.after_cr = c == '\r';
    }
}

/// The place just after `before`.
fn position(before: &str) -> SourceLocation {
    let mut cur = Cursor::new();
    before.chars().for_each(|c| cur.step(c));
    cur.at
}

/// True for a character YAML's `c-printable` excludes.
fn forbidden(c: char) -> bool {
    match c {
        '\t' | '\n' | '\r' | '\u{85}' => false,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}' => true,
        _ => false,
    }
}

fn describe(c: char) -> String {
    match c {
        '\u{0}' => "a NUL byte (U+0000)".into(),
        '\u{1b}' => "an escape character (U+001B)".into(),
        c => format!("the control character U+{:04X}", c as u32),
    }
}

/// The size cap, then every character YAML does not allow, at its place; empty when all is well.
pub fn check(text: &str) -> Vec<Problem> {
    if text.len() > MAX_FILE_BYTES {
        return vec![too_large()];
    }
    let mut problems = Vec::new();
    let mut found = 0;
    let mut cur = Cursor::new();
    for c in text.chars() {
        if forbidden(c) {
            found += 1;
            if found <= MAX_REPORTED {
                problems.push(Problem::new(
                    Some(cur.at),
                    &DocPath::root(),
                    format!("{} is not allowed in YAML", describe(c)),
                    Some("remove it; the file must be plain text".into()),
                ));
            }
        }
        cur.step(c);
    }
    if found > MAX_REPORTED {
        problems.push(Problem::new(
            None,
            &DocPath::root(),
            format!(
                "{} more characters YAML does not allow",
                found - MAX_REPORTED
            ),
            None,
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_found_at_their_place() {
        let p = check("a: 1\r\nb: x\u{0}y\nc: \u{1b}[31m\n\td\u{85}\n");
        let at: Vec<_> = p.iter().map(|p| p.location.unwrap().to_string()).collect();
        assert_eq!(at, ["2:5", "3:4"]);
        assert!(p[0].message.contains("NUL"));
        assert!(check("tab\there\r\n").is_empty());
    }

    #[test]
    fn positions_count_characters_and_every_line_break() {
        assert_eq!(position("ab\r\ncé").to_string(), "2:3");
        assert_eq!(position("a\rb").to_string(), "2:2");
    }
}
