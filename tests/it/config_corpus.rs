//! The corpus of invalid desired-state files: each `tests/fixtures/invalid/NAME.yaml` must fail with
//! exactly the report in `NAME.expected` (every message, line, column, path and hint).
//!
//! After a deliberate change of wording, `UPDATE_GOLDEN=1 cargo test config_corpus` rewrites the expected
//! files; review their diff like code.

use std::fs;
use std::path::{Path, PathBuf};

use kusto_principals::cli::ValidateFormat;
use kusto_principals::config::{self, outcome};

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/invalid")
}

/// The fixture's report as `validate --format text` prints it, or a note that it passed.
fn text_report(yaml: &Path) -> String {
    let name = yaml.file_name().unwrap().to_string_lossy().to_string();
    let text = fs::read_to_string(yaml).unwrap();
    match config::parse(&text, &name) {
        Ok(_) => "(the file is valid)\n".into(),
        Err(errors) => {
            let mut out = Vec::new();
            outcome::write_problems(&errors, ValidateFormat::Text, &mut out).unwrap();
            String::from_utf8(out).unwrap()
        }
    }
}

fn fixtures() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_invalid_fixture_reports_exactly_what_is_expected() {
    let bless = std::env::var_os("UPDATE_GOLDEN").is_some();
    let files = fixtures();
    assert!(
        files.len() >= 30,
        "the corpus shrank to {} files",
        files.len()
    );
    let mut failures = Vec::new();
    for yaml in &files {
        let got = text_report(yaml);
        let expected_path = yaml.with_extension("expected");
        if bless {
            fs::write(&expected_path, &got).unwrap();
            continue;
        }
        let expected = fs::read_to_string(&expected_path).unwrap_or_default();
        if got != expected {
            failures.push(format!(
                "{}\n--- expected\n{expected}--- got\n{got}",
                yaml.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_expected_report_has_its_fixture() {
    for entry in fs::read_dir(corpus_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "expected") {
            assert!(
                path.with_extension("yaml").exists(),
                "{} has no .yaml",
                path.display()
            );
        }
    }
}

#[test]
fn one_run_reports_all_five_mistakes() {
    let text = fs::read_to_string(corpus_dir().join("53-five-mistakes.yaml")).unwrap();
    let errors = config::parse(&text, "five.yaml").unwrap_err();
    let messages: Vec<&str> = errors.problems.iter().map(|p| p.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "`app` must be an application id (a GUID), not `deploy-pipeline`",
            "`Viewer` is a database role, not a cluster role",
            "unknown role `Viewr`",
            "unknown key `rol`",
            "duplicate grant `user:carol@contoso.com Admin`, also at line 19",
        ]
    );
    let mut github = Vec::new();
    outcome::write_problems(&errors, ValidateFormat::Github, &mut github).unwrap();
    let github = String::from_utf8(github).unwrap();
    assert_eq!(github.lines().count(), 5);
    assert!(github.starts_with("::error file=five.yaml,line=8,col=14::`app` must be"));
}

#[test]
fn hostile_files_are_refused_quickly() {
    for name in ["41-alias-bomb.yaml", "42-deep-nesting.yaml"] {
        let started = std::time::Instant::now();
        let text = fs::read_to_string(corpus_dir().join(name)).unwrap();
        assert!(config::parse(&text, name).is_err());
        assert!(
            started.elapsed().as_secs() < 2,
            "{name} took {:?}",
            started.elapsed()
        );
    }
    // Much deeper than the fixture: the parser must not recurse or hang.
    let deep = format!(
        "version: 1\nclusters: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let errors = config::parse(&deep, "deep.yaml").unwrap_err();
    assert!(errors.problems[0].message.contains("nests deeper"));
}
