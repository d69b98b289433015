//! Benchmark of `config::parse`: a generated desired-state file of 50,000 grants across 500 clusters
//! (each cluster: 4 cluster grants, 4 databases of 24 grants; some named, some through a set).
//!
//! ```text
//! cargo run --release --example bench_validate
//! /usr/bin/time -v target/release/examples/bench_validate   # peak RSS from the outside too
//! ```
//!
//! Prints the file size, the best and median parse times of a few runs, and the peak resident set size
//! of the process (`VmHWM`, Linux).

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use kusto_principals::config;

const CLUSTERS: usize = 500;
const DATABASES: usize = 4;
const CLUSTER_GRANTS: usize = 4;
const DB_GRANTS: usize = 24;
const DB_ROLES: [&str; 6] = [
    "Admin",
    "Ingestor",
    "Monitor",
    "User",
    "UnrestrictedViewer",
    "Viewer",
];
const CLUSTER_ROLES: [&str; 3] = [
    "AllDatabasesAdmin",
    "AllDatabasesViewer",
    "AllDatabasesMonitor",
];

/// The file: every cluster and database written out, as a large estate would be.
fn generate() -> String {
    let mut y = String::with_capacity(8 << 20);
    y.push_str("version: 1\ndefaults:\n  subscription: 12345678-1234-1234-1234-123456789098\n");
    y.push_str("  resource_group: bench-rg\n  unmanaged: delete\n");
    y.push_str("principal_sets:\n  oncall:\n");
    for m in 0..4 {
        let _ = writeln!(y, "    - user: oncall{m}@contoso.com");
    }
    y.push_str("clusters:\n");
    for c in 0..CLUSTERS {
        let _ = writeln!(y, "  - name: kusto{c:05}\n    principals:");
        for g in 0..CLUSTER_GRANTS {
            let _ = writeln!(
                y,
                "      - app: {:08x}-1234-4234-8234-{:012x}\n        role: {}",
                c,
                g,
                CLUSTER_ROLES[g % 3]
            );
        }
        y.push_str("    databases:\n");
        for d in 0..DATABASES {
            let _ = writeln!(y, "      - name: db{d}\n        principals:");
            // One set entry (4 members) and 20 single entries: 24 grants.
            y.push_str("          - set: oncall\n            role: Monitor\n");
            for g in 0..DB_GRANTS - 4 {
                let role = DB_ROLES[g % 6];
                let _ = writeln!(
                    y,
                    "          - user: u{g}.d{d}@contoso.com\n            role: {role}"
                );
                if g % 10 == 0 {
                    let _ = writeln!(y, "            name: grant-{c}-{d}-{g}");
                }
            }
        }
    }
    y
}

/// Peak resident set size of this process in KiB (Linux `VmHWM`).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let text = generate();
    let rss_before = peak_rss_kib();
    let mut times: Vec<Duration> = Vec::new();
    let mut grants = 0;
    for _ in 0..5 {
        let started = Instant::now();
        let state = config::parse(&text, "bench.yaml").unwrap_or_else(|e| panic!("{e}"));
        times.push(started.elapsed());
        grants = state.scopes.iter().map(|s| s.grants.len()).sum::<usize>();
        assert_eq!(state.scopes.len(), CLUSTERS * (1 + DATABASES));
    }
    times.sort();
    println!(
        "validated {grants} grants across {CLUSTERS} clusters ({} databases), {:.1} MiB of YAML, {} lines",
        CLUSTERS * DATABASES,
        text.len() as f64 / (1 << 20) as f64,
        text.lines().count()
    );
    println!(
        "parse + validate: best {:?}, median {:?} (5 runs)",
        times[0], times[2]
    );
    match (rss_before, peak_rss_kib()) {
        (Some(before), Some(after)) => println!(
            "peak RSS: {:.1} MiB (of which {:.1} MiB before parsing: the generated text)",
            after as f64 / 1024.0,
            before as f64 / 1024.0
        ),
        _ => println!("peak RSS: not available on this platform; use /usr/bin/time -v"),
    }
}
