//! What a user meets first: every subcommand's `--help` (own options first, global ones under their
//! own heading, none that do not apply), shell completion, and a reader that closes the pipe.
//! Help texts are golden files in `tests/fixtures/help/`; `UPDATE_GOLDEN=1` rewrites them.

use std::process::{Command, Stdio};

use crate::harness::{bare_command, repo_file};

const SUBCOMMANDS: [&str; 7] = [
    "validate",
    "plan",
    "apply",
    "export",
    "schema",
    "emulator",
    "completions",
];

fn help_of(args: &[&str]) -> String {
    let out = bare_command()
        .args(args)
        .arg("--help")
        .env("COLUMNS", "100")
        .output()
        .expect("run --help");
    assert!(out.status.success(), "{args:?} --help: {out:?}");
    assert!(out.stderr.is_empty(), "{args:?} --help wrote to stderr");
    String::from_utf8(out.stdout).expect("utf-8 help")
}

#[test]
fn every_subcommand_help_is_exactly_its_golden_file() {
    let mut stale = Vec::new();
    for (name, args) in std::iter::once(("kusto-principals", vec![]))
        .chain(SUBCOMMANDS.iter().map(|s| (*s, vec![*s])))
    {
        let got = help_of(&args);
        let path = repo_file(&format!("tests/fixtures/help/{name}.txt"));
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(&path, &got).expect("write golden help");
            continue;
        }
        let want = std::fs::read_to_string(&path).unwrap_or_default();
        if got != want {
            stale.push(format!("--- {}\n{got}", path.display()));
        }
    }
    assert!(
        stale.is_empty(),
        "help differs (UPDATE_GOLDEN=1 to accept):\n{}",
        stale.join("\n")
    );
}

/// The headings and which options sit under them, independent of wording.
#[test]
fn help_lists_own_options_first_and_only_those_that_apply() {
    let azure = [
        "--emulator",
        "--auth",
        "--principal-wait",
        "--arm-endpoint",
        "--ca-cert",
    ];
    for sub in SUBCOMMANDS {
        let help = help_of(&[sub]);
        let own = help.find("Options:").expect("own options heading");
        let global = help.find("Global options:").expect("global heading");
        assert!(own < global, "{sub}: own options come first");
        assert!(help[global..].contains("--verbose"), "{sub}: -v is global");
        let calls_azure = matches!(sub, "plan" | "apply" | "export");
        for flag in azure {
            assert_eq!(help.contains(flag), calls_azure, "{sub} --help and {flag}");
        }
        let reads_file = matches!(sub, "validate" | "plan" | "apply");
        assert_eq!(
            help.contains("--file"),
            reads_file,
            "{sub} --help and --file"
        );
    }
}

#[test]
fn options_that_do_not_apply_are_rejected() {
    for args in [
        ["emulator", "--emulator"],
        ["emulator", "--auth=auto"],
        ["emulator", "--principal-wait=1s"],
        ["emulator", "-f"],
        ["schema", "--ca-cert=x.pem"],
        ["validate", "--emulator"],
    ] {
        let out = bare_command().args(args).output().expect("run");
        assert_eq!(out.status.code(), Some(2), "{args:?} must be a usage error");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("unexpected argument"), "{args:?}: {err}");
    }
}

#[test]
fn export_usage_does_not_make_env_options_look_required() {
    let out = bare_command()
        .arg("export")
        .env("KUSTO_PRINCIPALS_ARM_ENDPOINT", "https://127.0.0.1:1")
        .env("KUSTO_PRINCIPALS_CA_CERT", "ca.pem")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: the following required arguments were not provided:\n  --subscription \
         <SUBSCRIPTION>\n\nUsage: kusto-principals export --subscription <SUBSCRIPTION> \
         [OPTIONS]\n\nFor more information, try '--help'.\n"
    );
}

fn script(shell: &str) -> String {
    let out = bare_command()
        .args(["completions", shell])
        .output()
        .expect("run");
    assert!(out.status.success());
    String::from_utf8(out.stdout).expect("utf-8 script")
}

/// Sources the generated script in bash and calls its function as bash would for `line` + TAB.
fn bash_complete(words: &[&str]) -> Vec<String> {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("kp.bash");
    std::fs::write(&path, script("bash")).expect("write script");
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let cword = words.len() - 1;
    let prev = if cword > 0 { words[cword - 1] } else { "" };
    let program = format!(
        "source '{}'; COMP_WORDS=({}); COMP_CWORD={cword}; \
         _kusto__principals kusto-principals '{}' '{prev}'; for w in \"${{COMPREPLY[@]}}\"; do echo \"$w\"; done",
        path.display(),
        quoted.join(" "),
        words[cword],
    );
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program])
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "bash: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn bash_completes_a_subcommands_own_flags() {
    assert_eq!(
        bash_complete(&["kusto-principals", "plan", "--det"]),
        ["--detailed-exitcode"]
    );
    assert_eq!(
        bash_complete(&["kusto-principals", "apply", "--auto"]),
        ["--auto-approve"]
    );
    assert_eq!(
        bash_complete(&["kusto-principals", "emulator", "--print"]),
        ["--print-env"]
    );
    assert_eq!(
        bash_complete(&["kusto-principals", "emulator", "--emu"]),
        Vec::<String>::new()
    );
    assert_eq!(bash_complete(&["kusto-principals", "pl"]), ["plan"]);
    assert_eq!(
        bash_complete(&["kusto-principals", "plan", "--format", ""]),
        ["text", "json", "markdown", "diff"]
    );
}

#[test]
fn zsh_and_fish_scripts_complete_a_subcommands_own_flags() {
    let zsh = script("zsh");
    assert!(
        zsh.starts_with("#compdef kusto-principals\n"),
        "{}",
        &zsh[..40]
    );
    assert!(zsh.contains(
        "'--detailed-exitcode[Exit 2 when there are changes, 0 when there are none, 1 on error]' \\"
    ));
    let fish = script("fish");
    assert!(fish.contains(
        "complete -c kusto-principals -n \"__fish_kusto_principals_using_subcommand plan\" -l \
         detailed-exitcode -d 'Exit 2 when there are changes, 0 when there are none, 1 on error'"
    ));
    assert!(!fish.contains("using_subcommand emulator\" -l emulator"));
}

/// `kusto-principals ARGS | head -c 0`: stdout is a pipe whose reader is already gone, so the
/// first write fails with EPIPE every time (no race with a reader that leaves late).
fn closed_pipe(args: &[&str]) -> std::process::Output {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let child = Command::new(assert_cmd::cargo::cargo_bin("kusto-principals"))
        .args(args)
        .current_dir(repo_file(""))
        .env_remove("KUSTO_PRINCIPALS_FILE")
        .stdout(writer)
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child.wait_with_output().expect("exit")
}

#[test]
fn a_closed_pipe_ends_quietly_with_exit_0() {
    for args in [
        &["completions", "bash"][..],
        &["schema"],
        &[
            "plan",
            "--emulator",
            "-f",
            "principals.example.yaml",
            "--no-progress",
        ],
    ] {
        let out = closed_pipe(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {out:?}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{args:?}");
    }
}
