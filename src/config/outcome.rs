//! What `validate` prints, in the format asked for, to an injected writer.
//!
//! | format   | problems                                              | a valid file           |
//! |----------|-------------------------------------------------------|------------------------|
//! | `text`   | `file:line:col: message (at `path`)` + `hint:` lines | a one-line summary      |
//! | `json`   | `{"file", "valid": false, "problems": [...]}`         | `{"file", "valid": true, counts}` |
//! | `github` | one `::error file=…,line=…,col=…::…` per problem      | the one-line summary    |
//! | `azure`  | one `##vso[task.logissue type=error;…]…` per problem   | the one-line summary    |

use std::io::{self, Write};

use clap::ValueEnum;
use serde::Serialize;

use super::problem::{ConfigErrors, Problem};
use crate::model::{DesiredState, ScopeKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ValidateFormat {
    Text,
    Json,
    // GitHub Actions annotations (`::error file=…,line=…,col=…::…`).
    Github,
    // Azure Pipelines annotations (`##vso[task.logissue type=error;sourcepath=…;…]…`).
    Azure,
}

/// Writes every problem of an invalid file.
pub fn write_problems(
    errors: &ConfigErrors,
    format: ValidateFormat,
    w: &mut dyn Write,
) -> io::Result<()> {
    match format {
        ValidateFormat::Text => write!(w, "{errors}"),
        ValidateFormat::Json => {
            let report = JsonProblems {
                file: &errors.file,
                valid: false,
                problems: errors.problems.iter().map(JsonProblem::from).collect(),
            };
            let json = serde_json::to_string_pretty(&report)?;
            writeln!(w, "{}", crate::render::inert::json(&json))
        }
        ValidateFormat::Github => {
            for p in &errors.problems {
                writeln!(w, "{}", github_annotation(&errors.file, p))?;
            }
            Ok(())
        }
        ValidateFormat::Azure => {
            for p in &errors.problems {
                writeln!(w, "{}", azure_annotation(&errors.file, p))?;
            }
            Ok(())
        }
    }
}

/// Writes the summary of a valid file.
pub fn write_ok(state: &DesiredState, format: ValidateFormat, w: &mut dyn Write) -> io::Result<()> {
    let counts = Counts::of(state);
    match format {
        ValidateFormat::Text | ValidateFormat::Github | ValidateFormat::Azure => {
            writeln!(w, "{}", summary(state, &counts))
        }
        ValidateFormat::Json => {
            let report = JsonOk {
                file: &state.file,
                valid: true,
                counts,
            };
            serde_json::to_writer_pretty(&mut *w, &report)?;
            writeln!(w)
        }
    }
}

/// `principals.yaml is valid: 2 clusters, 3 databases, 12 grants.`
pub fn summary(state: &DesiredState, c: &Counts) -> String {
    let n = |count: usize, one: &str, many: &str| {
        format!("{count} {}", if count == 1 { one } else { many })
    };
    format!(
        "{} is valid: {}, {}, {}.",
        state.file,
        n(c.clusters, "cluster", "clusters"),
        n(c.databases, "database", "databases"),
        n(c.grants, "grant", "grants"),
    )
}

#[derive(Debug, Serialize)]
pub struct Counts {
    pub clusters: usize,
    pub databases: usize,
    pub grants: usize,
    pub ignored: usize,
}

impl Counts {
    pub fn of(state: &DesiredState) -> Self {
        let kind = |k: ScopeKind| state.scopes.iter().filter(|s| s.scope.kind() == k).count();
        Counts {
            clusters: kind(ScopeKind::Cluster),
            databases: kind(ScopeKind::Database),
            grants: state.scopes.iter().map(|s| s.grants.len()).sum(),
            ignored: state.ignore.len(),
        }
    }
}

#[derive(Serialize)]
struct JsonOk<'a> {
    file: &'a str,
    valid: bool,
    #[serde(flatten)]
    counts: Counts,
}

#[derive(Serialize)]
struct JsonProblems<'a> {
    file: &'a str,
    valid: bool,
    problems: Vec<JsonProblem<'a>>,
}

#[derive(Serialize)]
struct JsonProblem<'a> {
    line: Option<usize>,
    column: Option<usize>,
    path: &'a str,
    message: &'a str,
    hint: Option<&'a str>,
}

impl<'a> From<&'a Problem> for JsonProblem<'a> {
    fn from(p: &'a Problem) -> Self {
        JsonProblem {
            line: p.location.map(|l| l.line),
            column: p.location.map(|l| l.column),
            path: &p.path,
            message: &p.message,
            hint: p.hint.as_deref(),
        }
    }
}

/// The message of an annotation: `message (at `path`)` with the hint on a second line.
fn annotation_message(p: &Problem) -> String {
    let mut message = p.message.clone();
    if !p.path.is_empty() {
        message.push_str(&format!(" (at `{}`)", p.path));
    }
    if let Some(h) = &p.hint {
        message.push_str(&format!("\nhint: {h}"));
    }
    message
}

/// `::error file=F,line=L,col=C::message (at `path`)` with the hint on a second line.
fn github_annotation(file: &str, p: &Problem) -> String {
    // Problems quote the file: inert first (`render::inert`), then GitHub's own escaping.
    let mut props = format!(
        "file={}",
        escape_property(&crate::render::inert::text(file))
    );
    if let Some(loc) = p.location {
        props.push_str(&format!(",line={},col={}", loc.line, loc.column));
    }
    format!(
        "::error {props}::{}",
        escape_data(&crate::render::inert::lines(&annotation_message(p)))
    )
}

/// Azure Pipelines' logging command: `##vso[task.logissue type=error;sourcepath=F;linenumber=L;
/// columnnumber=C]message`, escaped as the agent unescapes it (azure-pipelines-task-lib's rules).
fn azure_annotation(file: &str, p: &Problem) -> String {
    let mut props = format!(
        "type=error;sourcepath={}",
        azure_escape_property(&crate::render::inert::text(file))
    );
    if let Some(loc) = p.location {
        props.push_str(&format!(
            ";linenumber={};columnnumber={}",
            loc.line, loc.column
        ));
    }
    format!(
        "##vso[task.logissue {props}]{}",
        azure_escape_data(&crate::render::inert::lines(&annotation_message(p)))
    )
}

/// The agent's escaping of a logging command's message: `%` first, then line breaks.
fn azure_escape_data(s: &str) -> String {
    escape_message(s, "%AZP25")
}

/// The agent's escaping of a property value: also `;` (between properties) and `]` (the end).
fn azure_escape_property(s: &str) -> String {
    azure_escape_data(s).replace(';', "%3B").replace(']', "%5D")
}

/// GitHub's escaping of a workflow command's message.
fn escape_data(s: &str) -> String {
    escape_message(s, "%25")
}

/// The escaping both CI runners unescape in a command's message: `%` (as `percent`, which each
/// runner spells its own way) first, then line breaks.
fn escape_message(s: &str, percent: &str) -> String {
    s.replace('%', percent)
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// GitHub's escaping of a workflow command's property value.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SourceLocation;

    fn errors() -> ConfigErrors {
        ConfigErrors {
            file: "p.yaml".into(),
            problems: vec![Problem {
                location: Some(SourceLocation { line: 3, column: 7 }),
                path: "clusters[0].name".into(),
                message: "100% wrong".into(),
                hint: Some("fix it".into()),
            }],
        }
    }

    fn render(format: ValidateFormat) -> String {
        let mut out = Vec::new();
        write_problems(&errors(), format, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn github_annotations_are_escaped() {
        assert_eq!(
            render(ValidateFormat::Github),
            "::error file=p.yaml,line=3,col=7::100%25 wrong (at `clusters[0].name`)%0Ahint: fix it\n"
        );
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }

    #[test]
    fn azure_annotations_carry_file_line_column_and_are_escaped() {
        assert_eq!(
            render(ValidateFormat::Azure),
            "##vso[task.logissue type=error;sourcepath=p.yaml;linenumber=3;columnnumber=7]\
             100%AZP25 wrong (at `clusters[0].name`)%0Ahint: fix it\n"
        );
        assert_eq!(azure_escape_property("a;b]c%"), "a%3Bb%5Dc%AZP25");
        // A problem without a place (e.g. an unreadable file) still names the file.
        let whole_file = ConfigErrors {
            file: "dir/p;x.yaml".into(),
            problems: vec![Problem {
                location: None,
                path: String::new(),
                message: "cannot read\r\nthe file".into(),
                hint: None,
            }],
        };
        let mut out = Vec::new();
        write_problems(&whole_file, ValidateFormat::Azure, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "##vso[task.logissue type=error;sourcepath=dir/p%3Bx.yaml]cannot read\\r%0Athe file\n"
        );
    }

    #[test]
    fn text_and_json_carry_the_same_facts() {
        assert_eq!(
            render(ValidateFormat::Text),
            "p.yaml has 1 problem:\n  p.yaml:3:7: 100% wrong (at `clusters[0].name`)\n    hint: fix it\n"
        );
        let json: serde_json::Value = serde_json::from_str(&render(ValidateFormat::Json)).unwrap();
        assert_eq!(json["valid"], false);
        assert_eq!(json["problems"][0]["line"], 3);
        assert_eq!(json["problems"][0]["hint"], "fix it");
    }
}
