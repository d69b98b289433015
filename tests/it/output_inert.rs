//! Issue 12: text from ARM (display names, principal ids) is inert in every output: no escape
//! sequence reaches the terminal, no principal id closes a Markdown fence, and no display name adds
//! a key or a grant to an exported file.

use kusto_emulator::{AssignmentState, EmulatorState, PrincipalType, Role, demo_state};

use crate::harness::{Run, TestEnv, repo_file};

const SUBSCRIPTION: &str = "12345678-1234-1234-1234-123456789098";

/// Display names as a hostile directory could return them: terminal escapes (OSC title, clear
/// screen, 8-bit CSI), line breaks that would start a grant, YAML and Markdown punctuation.
const HOSTILE: [&str; 4] = [
    "\u{1b}]0;owned\u{7}\u{1b}[2J\u{9b}31mBob\r\n- user: evil@contoso.com\n  role: AllDatabasesAdmin",
    "x: y # \"' \u{2028}- app: 87654321-1234-1234-1234-123456789123\u{85}role: Admin",
    "</details>```\n<img src=x onerror=alert(1)> | cell | \u{202e}evil",
    "\rname: evil\u{0}\u{7f}",
];

/// The fence-closing principal id ARM lists at the cluster (the example file deletes it).
const FENCE_ID: &str = "mallory```</details>``````@contoso.com";

fn hostile_state() -> EmulatorState {
    let mut state = demo_state();
    for (i, e) in state.directory.as_mut().unwrap().iter_mut().enumerate() {
        e.display_name = HOSTILE[i % HOSTILE.len()].to_string();
    }
    state.clusters[0].principals.push(AssignmentState {
        name: "fence".into(),
        principal_id: FENCE_ID.into(),
        principal_type: PrincipalType::User,
        role: Role::AllDatabasesViewer,
        tenant_id: None,
    });
    state
}

fn assert_inert(what: &str, run: &Run) {
    for (stream, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        let bad: Vec<char> = text
            .chars()
            .filter(|&c| {
                c != '\n'
                    && c != '\t'
                    && (c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202e}'))
            })
            .collect();
        assert!(bad.is_empty(), "{what}: {stream} holds {bad:?}: {run:?}");
    }
}

#[test]
fn no_escape_sequence_from_arm_reaches_the_terminal() {
    let env = TestEnv::with_state(hostile_state());
    let text = std::fs::read_to_string(repo_file("principals.example.yaml")).unwrap();
    let file = env.write("principals.yaml", &text);
    let file = file.to_str().unwrap();
    for format in ["text", "diff", "markdown", "json"] {
        let run = env.run(&["plan", "-f", file, "--format", format, "--color", "never"]);
        assert_eq!(run.code, 0, "{format}: {run:?}");
        assert_inert(format, &run);
    }
    let run = env.run(&["plan", "-f", file]);
    assert!(
        run.stdout
            .contains("\\u{1b}]0;owned\\u{7}\\u{1b}[2J\\u{9b}31mBob\\r\\n- user"),
        "escapes are shown: {run:?}"
    );
    let apply = env.run(&["apply", "-f", file, "--auto-approve", "--color", "never"]);
    assert_eq!(apply.code, 0, "{apply:?}");
    assert_inert("apply", &apply);
    let json = env.run(&["apply", "-f", file, "--auto-approve", "--format", "json"]);
    assert_inert("apply --format json", &json);
}

#[test]
fn a_principal_id_cannot_close_the_markdown_fence() {
    let env = TestEnv::with_state(hostile_state());
    let text = std::fs::read_to_string(repo_file("principals.example.yaml")).unwrap();
    let file = env.write("principals.yaml", &text);
    let run = env.run(&["plan", "-f", file.to_str().unwrap(), "--format", "markdown"]);
    assert_eq!(run.code, 0, "{run:?}");
    let md = &run.stdout;
    let at = md.find("mallory").expect("the id is shown");
    // The block around the id is fenced with more backticks than any run in it, and closes after it.
    let open = md[..at].rfind("\n`").unwrap() + 1;
    let fence: String = md[open..].chars().take_while(|&c| c == '`').collect();
    assert!(fence.len() > 6, "fence {fence:?} in {md}");
    let close = md[at..].find(&format!("\n{fence}\n")).map(|i| at + i);
    assert!(close.is_some(), "{md}");
    let inside = &md[open + fence.len()..close.unwrap()];
    assert!(!inside.contains(&fence), "{md}");
    // Outside code blocks (read as GitHub does), nothing from ARM opens HTML or a section.
    let mut fence_open: Option<String> = None;
    let (mut opened, mut closed) = (0, 0);
    for line in md.lines() {
        match &fence_open {
            Some(f) if line == f.as_str() => fence_open = None,
            Some(f) => assert!(!line.starts_with(f.as_str()), "{line:?} closes {f:?}"),
            None if line.starts_with("```") => {
                fence_open = Some(line.chars().take_while(|&c| c == '`').collect())
            }
            None => {
                assert!(
                    !line.contains("<img") && !line.contains("mallory"),
                    "{line:?}"
                );
                opened += line.matches("<details").count();
                closed += line.matches("</details>").count();
            }
        }
    }
    assert!(
        fence_open.is_none() && opened == closed && opened > 0,
        "{md}"
    );
}

#[test]
fn exported_display_names_cannot_inject_grants() {
    let env = TestEnv::with_state(hostile_state());
    let run = env.run(&[
        "export",
        "--subscription",
        SUBSCRIPTION,
        "-o",
        "exported.yaml",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_inert("export", &run);
    let exported = std::fs::read_to_string(env.dir.path().join("exported.yaml")).unwrap();
    assert!(
        !exported.contains("\r") && !exported.contains('\u{2028}') && !exported.contains('\u{85}'),
        "{exported}"
    );
    assert!(
        !exported
            .lines()
            .any(|l| l.trim_start().starts_with("- user: evil")
                || l.trim_start().starts_with("name: evil")),
        "{exported}"
    );
    let plan = env.run(&["plan", "-f", "exported.yaml", "--detailed-exitcode"]);
    assert_eq!(
        plan.code, 0,
        "export then plan has no changes: {plan:?}\n{exported}"
    );
    assert!(plan.stdout.contains("No changes."), "{plan:?}");
    assert_eq!(env.emu().request_counts().writes(), 0);
}

#[test]
fn a_value_echoed_back_in_an_error_reaches_no_terminal() {
    // Whether the file's validation or ARM's answer quotes it, the printed error is inert.
    let env = TestEnv::demo();
    let file = env.write(
        "bad.yaml",
        &format!(
            "version: 1\ndefaults:\n  subscription: {SUBSCRIPTION}\n  resource_group: testrg\n  unmanaged: keep\nclusters:\n  - name: mykustocluster\n    unmanaged: keep\n    principals:\n      - user: \"x\\e[2J\\e]0;owned\\a\\u009b1m@contoso.com\"\n        role: AllDatabasesViewer\n"
        ),
    );
    let file = file.to_str().unwrap();
    for args in [vec!["validate", "-f", file], vec!["plan", "-f", file]] {
        let run = env.run(&args);
        assert_inert(&args.join(" "), &run);
    }
    let apply = [
        "apply",
        "-f",
        file,
        "--auto-approve",
        "--principal-wait",
        "0s",
    ];
    let run = env.run(&apply);
    assert_ne!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("error"), "{run:?}");
    assert_inert("apply", &run);
}
