//! Issue 9: the parser never panics and never hangs, on arbitrary bytes or on mutated valid files.

use std::time::{Duration, Instant};

use proptest::prelude::*;

use crate::harness::repo_file;

/// Generous for a debug build on a loaded 2-core machine; a hang would blow far past it.
const BOUND: Duration = Duration::from_secs(2);

fn parse_within_bound(text: &str) {
    let started = Instant::now();
    let result = kusto_principals::config::parse(text, "fuzz.yaml");
    let took = started.elapsed();
    assert!(took < BOUND, "parse took {took:?} on:\n{text}");
    if let Err(e) = result {
        assert!(
            !e.problems.is_empty(),
            "an error names at least one problem"
        );
        for p in &e.problems {
            assert!(!p.message.is_empty());
        }
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Delete { at: usize, len: usize },
    Insert { at: usize, text: String },
    DuplicateLine { line: usize },
    SwapLines { a: usize, b: usize },
    Indent { line: usize, by: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1usize..40).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (any::<usize>(), "[ -~\n\t:&*!|>-]{1,12}")
            .prop_map(|(at, text)| Mutation::Insert { at, text }),
        any::<usize>().prop_map(|line| Mutation::DuplicateLine { line }),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines { a, b }),
        (any::<usize>(), 1usize..6).prop_map(|(line, by)| Mutation::Indent { line, by }),
    ]
}

fn apply(text: &str, m: &Mutation) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let n = lines.len().max(1);
    let boundary = |s: &str, at: usize| {
        let mut i = at % (s.len() + 1);
        while !s.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    match m {
        Mutation::Delete { at, len } => {
            let a = boundary(text, *at);
            let b = boundary(text, (a + len).min(text.len()));
            format!("{}{}", &text[..a], &text[b.max(a)..])
        }
        Mutation::Insert { at, text: ins } => {
            let a = boundary(text, *at);
            format!("{}{ins}{}", &text[..a], &text[a..])
        }
        Mutation::DuplicateLine { line } => {
            let l = lines[line % n].clone();
            lines.insert(line % n, l);
            lines.join("\n")
        }
        Mutation::SwapLines { a, b } => {
            lines.swap(a % n, b % n);
            lines.join("\n")
        }
        Mutation::Indent { line, by } => {
            let i = line % n;
            lines[i] = format!("{}{}", " ".repeat(*by), lines[i]);
            lines.join("\n")
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic_or_hang(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        parse_within_bound(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn mutated_valid_files_never_panic_or_hang(mutations in proptest::collection::vec(mutation(), 1..6)) {
        let mut text = std::fs::read_to_string(repo_file("principals.example.yaml")).unwrap();
        for m in &mutations {
            text = apply(&text, m);
        }
        parse_within_bound(&text);
    }
}

/// The characters YAML does not allow in a file, a sample of each class.
const FORBIDDEN: [char; 7] = [
    '\u{0}', '\u{7}', '\u{1b}', '\u{7f}', '\u{9b}', '\u{fffe}', '\u{b}',
];

/// Tokens of anchor-and-alias YAML, so that random documents reach the anchor code often.
fn alias_token() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "&a ", "&b ", "*a", "*b", "- ", ": ", "\n", "  ", "[", "]", "{", "}", ", ", "x", "k", "? ",
        "\"t\"",
    ])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    /// Issue 12: a control character anywhere in a valid file makes it invalid, reported at the
    /// character's own line and column; the parser never stops there and calls the rest valid.
    #[test]
    fn a_control_character_anywhere_is_an_error_at_its_place(at in any::<prop::sample::Index>(), which in 0..FORBIDDEN.len()) {
        let text = std::fs::read_to_string(repo_file("principals.example.yaml")).unwrap();
        let chars: Vec<char> = text.chars().collect();
        let i = at.index(chars.len() + 1);
        let before: String = chars[..i].iter().collect();
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        let mut bad = before.clone();
        bad.push(FORBIDDEN[which]);
        bad.extend(&chars[i..]);
        let e = kusto_principals::config::parse(&bad, "c.yaml").expect_err("a control character is an error");
        let place = e.problems.iter().find_map(|p| p.location).expect("a place");
        prop_assert_eq!((place.line, place.column), (line, column), "{:?}", e.problems);
    }

    #[test]
    fn anchors_and_aliases_never_panic_or_hang(tokens in proptest::collection::vec(alias_token(), 0..80)) {
        parse_within_bound(&tokens.concat());
    }
}
