//! Whatever the value, the inert form holds no hostile character and reads back as the value.

use proptest::prelude::*;

use super::*;

/// Strings rich in what breaks formats: controls, escapes, separators, quotes, YAML and Markdown
/// punctuation, backtick runs.
fn nasty() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "\u{1b}[2J",
        "\u{1b}]0;pwned\u{7}",
        "\r",
        "\n",
        "\r\n- user: evil",
        "\u{85}",
        "\u{2028}",
        "\u{2029}",
        "\u{202e}",
        "\u{9b}31m",
        "\t",
        "#",
        ": ",
        "\"",
        "'",
        "\\",
        "```",
        "`",
        "|",
        "</details>",
        "<b>",
        "*",
        "_",
        "[x](http://e)",
        "- ",
        "a",
        "Z",
        "0",
        "ü",
        "😀",
        " ",
        "{",
        "}",
        "&",
        "\u{0}",
        "\u{7f}",
        "\u{feff}",
        "yes",
        "~",
        "@",
    ]);
    prop::collection::vec(pieces, 0..12).prop_map(|v| v.concat())
}

fn no_hostile(s: &str) -> bool {
    !s.chars().any(hostile)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn terminal_text_has_no_controls(s in nasty()) {
        prop_assert!(no_hostile(&text(&s)));
        prop_assert!(lines(&s).chars().all(|c| c == '\n' || c == '\t' || !hostile(c)));
        prop_assert!(no_hostile(&md_text(&s)) && no_hostile(&html(&s)));
    }

    #[test]
    fn yaml_scalars_read_back_exactly_in_block_and_flow(s in nasty()) {
        let q = yaml_scalar(&s);
        prop_assert!(no_hostile(&q), "{q:?}");
        let block = format!("a: {q}   # {}\nb: 1\n", text(&s));
        let m: serde_yaml::Mapping = serde_yaml::from_str(&block).unwrap();
        prop_assert_eq!(m.len(), 2);
        prop_assert_eq!(m.get("a").and_then(|v| v.as_str()), Some(s.as_str()));
        let flow = format!("- {{user: {q}, role: Viewer}}\n");
        let v: Vec<serde_yaml::Mapping> = serde_yaml::from_str(&flow).unwrap();
        prop_assert_eq!(v.len(), 1);
        prop_assert_eq!(v[0].get("user").and_then(|v| v.as_str()), Some(s.as_str()));
    }

    #[test]
    fn code_spans_and_blocks_cannot_be_closed_by_content(s in nasty()) {
        let span = md_code(&s);
        let fence_len = span.chars().take_while(|&c| c == '`').count();
        let inner = &span[fence_len..span.len() - fence_len];
        prop_assert!(!inner.contains(&"`".repeat(fence_len)), "{span:?}");
        let lines = vec![s.clone(), "x".into()];
        let fence = md_fence(&lines);
        prop_assert!(fence.len() >= 3 && !s.contains(fence.as_str()));
    }
}

#[test]
fn escapes_are_visible() {
    assert_eq!(text("a\u{1b}[31mb\r\n"), "a\\u{1b}[31mb\\r\\n");
    assert_eq!(text("plain"), "plain");
    assert_eq!(lines("one\ntwo\u{7}"), "one\ntwo\\u{7}");
    assert_eq!(md_code("a``b"), "```a``b```");
    assert_eq!(md_code("`x"), "`` `x ``");
    assert_eq!(md_text("<b>*x*|"), "&lt;b&gt;\\*x\\*\\|");
}

#[test]
fn scalars_are_quoted_only_when_needed() {
    for plain in [
        "alice@contoso.com",
        "kp-0123",
        "db1",
        "12345678-1234-1234-1234-123456789012",
    ] {
        assert_eq!(yaml_scalar(plain), plain);
    }
    assert_eq!(yaml_scalar("a b"), "\"a b\"");
    assert_eq!(yaml_scalar("-x"), "\"-x\"");
    assert_eq!(yaml_scalar("x: y"), "\"x: y\"");
    assert_eq!(yaml_scalar(""), "\"\"");
    assert_eq!(yaml_scalar("yes"), "\"yes\"");
    assert_eq!(yaml_scalar("2024"), "\"2024\"");
    assert_eq!(yaml_scalar("a\u{2028}b"), "\"a\\u2028b\"");
}

#[test]
fn json_keeps_its_value() {
    let v = serde_json::json!({"n": "a\u{9b}b\u{2028}c\u{1b}"});
    let text = serde_json::to_string_pretty(&v).unwrap();
    let inert = json(&text);
    assert!(no_hostile(&inert.replace(['\n'], "")), "{inert}");
    let back: serde_json::Value = serde_json::from_str(&inert).unwrap();
    assert_eq!(back, v);
}

/// A value cannot form a CI logging command: Azure's `##vso[` anywhere, GitHub's `::` at a line's
/// start.
#[test]
fn ci_logging_commands_are_escaped() {
    assert_eq!(
        text("Eve ##vso[task.setvariable variable=x]1"),
        "Eve ##vso\\u{5b}task.setvariable variable=x]1"
    );
    assert_eq!(text("##VSO[task.complete]"), "##VSO\\u{5b}task.complete]");
    assert_eq!(
        lines("fine\n  ::add-mask::x\nok ::not-a-command"),
        "fine\n  \\u{3a}:add-mask::x\nok ::not-a-command"
    );
    assert_eq!(text("plain (a::b)"), "plain (a::b)");
}
