//! Seeded soak (issue 9): rounds of random changes to the desired file, each applied by the real
//! binary against the emulator with faults and throttling on, rerun until it succeeds; after every
//! round `plan --detailed-exitcode` must say nothing changes, and the emulator's write history must
//! show that no grant desired in that round was ever deleted.
//!
//! ```sh
//! cargo build && cargo run --example soak -- [--rounds 5] [--seed 1] [--clusters 3] [--fault-rate 0.2]
//! ```
//! Exits non-zero on the first violation. CI runs it at a small size.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use kusto_emulator::{Emulator, EmulatorOptions};
use rand::{Rng, SeedableRng, rngs::StdRng};

const SUB: &str = "12345678-1234-1234-1234-123456789098";
const ROLES_DB: [&str; 4] = ["Viewer", "Admin", "Ingestor", "Monitor"];

/// (scope "cluster[/db]", principal id, role).
type Grant = (String, String, String);

fn arg<T: std::str::FromStr>(name: &str, default: T) -> T {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| v.parse().unwrap_or_else(|_| panic!("bad value for {name}")))
        .unwrap_or(default)
}

fn principal(n: u32) -> String {
    format!("00000000-0000-4000-8000-{n:012x}")
}

/// Writes the desired file: every cluster keeps its two admins (the safety rails stay quiet).
fn desired_file(clusters: usize, grants: &BTreeSet<Grant>) -> String {
    let mut out = format!(
        "version: 1\ndefaults:\n  subscription: {SUB}\n  resource_group: soak\nclusters:\n"
    );
    for c in 0..clusters {
        let name = format!("soak{c}");
        out.push_str(&format!("  - name: {name}\n    principals:\n"));
        for admin in [principal(1), principal(2)] {
            out.push_str(&format!(
                "      - app: {admin}\n        role: AllDatabasesAdmin\n"
            ));
        }
        out.push_str("    databases:\n");
        for d in 0..2 {
            let scope = format!("{name}/db{d}");
            out.push_str(&format!("      - name: db{d}\n        principals:\n"));
            let mine: Vec<&Grant> = grants.iter().filter(|g| g.0 == scope).collect();
            if mine.is_empty() {
                out.push_str("          []\n");
            }
            for (_, id, role) in mine {
                out.push_str(&format!(
                    "          - app: {id}\n            role: {role}\n"
                ));
            }
        }
    }
    out
}

fn binary() -> PathBuf {
    let exe = std::env::current_exe().expect("exe");
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .expect("target dir")
        .join("kusto-principals");
    assert!(
        bin.exists(),
        "{} missing: run `cargo build` first",
        bin.display()
    );
    bin
}

fn run(emu: &Emulator, args: &[&str]) -> i32 {
    let out = std::process::Command::new(binary())
        .args(args)
        .args([
            "--no-progress",
            "-q",
            "--principal-wait",
            "2s",
            "--operation-timeout",
            "60s",
        ])
        .envs(emu.env())
        .env_remove("AZURE_FEDERATED_TOKEN_FILE")
        .output()
        .expect("run the CLI");
    out.status.code().unwrap_or(-1)
}

fn main() {
    let rounds: usize = arg("--rounds", 5);
    let seed: u64 = arg("--seed", 1);
    let clusters: usize = arg("--clusters", 3);
    let fault_rate: f64 = arg("--fault-rate", 0.2);
    let mut rng = StdRng::seed_from_u64(seed);

    let mut state = kusto_emulator::demo_state();
    state.directory = None;
    state.clusters = (0..clusters)
        .map(|c| kusto_emulator::ClusterState {
            subscription: SUB.into(),
            resource_group: "soak".into(),
            name: format!("soak{c}"),
            location: "East US".into(),
            state: Default::default(),
            principals: vec![],
            databases: (0..2)
                .map(|d| kusto_emulator::DatabaseState {
                    name: format!("db{d}"),
                    follower: None,
                    principals: vec![],
                })
                .collect(),
        })
        .collect();

    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let emu = rt
        .block_on(Emulator::start(
            state,
            EmulatorOptions::default()
                .seed(seed)
                .fault_rate(fault_rate)
                .throttle(1.0)
                .lro_polls(1),
        ))
        .expect("emulator");
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("soak.yaml");
    let file_arg = file.to_str().expect("utf-8").to_string();

    let mut grants: BTreeSet<Grant> = BTreeSet::new();
    for round in 1..=rounds {
        // Random changes: add some grants, drop some, change some roles.
        for _ in 0..rng.random_range(1..8) {
            let scope = format!(
                "soak{}/db{}",
                rng.random_range(0..clusters),
                rng.random_range(0..2)
            );
            let id = principal(rng.random_range(10..40));
            let role = ROLES_DB[rng.random_range(0..ROLES_DB.len())].to_string();
            match rng.random_range(0..3) {
                0 | 1 => {
                    grants.insert((scope, id, role));
                }
                _ => {
                    if let Some(g) = grants
                        .iter()
                        .nth(rng.random_range(0..grants.len().max(1)))
                        .cloned()
                    {
                        grants.remove(&g);
                        if rng.random_bool(0.5) {
                            grants.insert((g.0, g.1, role));
                        }
                    }
                }
            }
        }
        std::fs::write(&file, desired_file(clusters, &grants)).expect("write");
        let history_before = emu.write_history().len();

        let mut attempts = 0;
        loop {
            attempts += 1;
            match run(&emu, &["apply", "-f", &file_arg, "--auto-approve"]) {
                0 => break,
                code if attempts < 10 => eprintln!("round {round}: apply exited {code}; rerunning"),
                code => panic!(
                    "round {round}: apply did not converge after {attempts} runs (last exit {code})"
                ),
            }
        }
        let plan = run(&emu, &["plan", "-f", &file_arg, "--detailed-exitcode"]);
        assert_eq!(
            plan, 0,
            "round {round}: plan after apply exited {plan}, expected 0 (converged)"
        );

        for w in emu.write_history().into_iter().skip(history_before) {
            if !w.deleted() {
                continue;
            }
            let key = (
                w.scope.clone(),
                w.principal_id
                    .clone()
                    .unwrap_or_default()
                    .to_ascii_lowercase(),
                w.role.map(|r| r.to_string()).unwrap_or_default(),
            );
            assert!(
                !grants.contains(&key),
                "round {round}: the desired grant {key:?} was deleted"
            );
        }
        println!(
            "round {round}: {} desired database grants, converged after {attempts} apply run(s)",
            grants.len()
        );
    }
    rt.block_on(emu.shutdown());
    println!("soak passed: {rounds} rounds, seed {seed}, fault rate {fault_rate}");
}
