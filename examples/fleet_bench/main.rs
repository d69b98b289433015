//! Fleet-scale benchmark (issue 9): `plan` and `apply` of the real release binary against the emulator
//! with a generated estate, ARM latency and ARM throttling on.
//!
//! ```sh
//! cargo build --release && cargo run --release --example fleet_bench -- [--clusters 200] [--databases 10] \
//!     [--grants 20] [--subscriptions 2] [--latency-ms 50] [--parallelism 10] [--change 0.05] [--throttle 1 (0: off)] \
//!     [--lro-polls 0]
//! ```
//!
//! For each phase it prints wall time, requests by kind, retries (429, 5xx and reset answers that the
//! client had to repeat), 429s and the CLI's peak RSS, against the physical minimum (issue 15):
//!
//! - requests: one list per scope for a plan; an apply adds one list per touched scope, and per write
//!   its PUT or DELETE and the `1 + lro-polls` operation polls the service forces; plus one token;
//! - bound: `max(latency bound, throttle bound)` of those minimum requests. The latency bound is the
//!   critical path: the token, the plan's lists `parallelism` at a time, then the clusters'
//!   serial chains (its guard lists, then per write its request and polls) `parallelism` at a time.
//!   The throttle bound is the time ARM's token buckets need to let the minimum through.
//!
//! The emulator runs in this process; the CLI runs as its own process, so its RSS is its own.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

mod minimum;

use minimum::Minimum;

use kusto_emulator::{
    AssignmentState, ClusterState, DatabaseState, Emulator, EmulatorOptions, EmulatorState,
    RequestRecord,
};
use kusto_emulator::{PrincipalType, Role, ScopeKind};

pub struct Args {
    clusters: usize,
    databases: usize,
    grants: usize,
    subscriptions: usize,
    latency_ms: u64,
    parallelism: usize,
    change: f64,
    throttle: f64,
    lro_polls: u32,
}

fn num<T: std::str::FromStr>(flag: &str, value: &str) -> T {
    value
        .parse()
        .unwrap_or_else(|_| panic!("bad value for {flag}: `{value}`"))
}

fn parse_args() -> Args {
    let mut a = Args {
        clusters: 200,
        databases: 10,
        grants: 20,
        subscriptions: 2,
        latency_ms: 50,
        parallelism: 10,
        change: 0.05,
        throttle: 1.0,
        lro_polls: 0,
    };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    for pair in argv.chunks(2) {
        let value = pair.get(1).map(String::as_str).unwrap_or("");
        match pair[0].as_str() {
            "--clusters" => a.clusters = num(&pair[0], value),
            "--databases" => a.databases = num(&pair[0], value),
            "--grants" => a.grants = num(&pair[0], value),
            "--subscriptions" => a.subscriptions = num(&pair[0], value),
            "--latency-ms" => a.latency_ms = num(&pair[0], value),
            "--parallelism" => a.parallelism = num(&pair[0], value),
            "--change" => a.change = num(&pair[0], value),
            "--throttle" => a.throttle = num(&pair[0], value),
            "--lro-polls" => a.lro_polls = num(&pair[0], value),
            other => panic!("unknown argument {other}"),
        }
    }
    a
}

fn subscription(i: usize) -> String {
    format!("{:08x}-0000-4000-8000-00000000beef", i + 1)
}

fn principal(scope: usize, j: usize) -> String {
    format!("{scope:08x}-{j:04x}-4000-8000-000000000000")
}

/// The estate: every scope holds `grants` app grants (cluster scopes: two admins, the rest viewers).
fn estate(a: &Args) -> EmulatorState {
    let mut state = kusto_emulator::demo_state();
    state.directory = None;
    state.clusters = (0..a.clusters)
        .map(|c| {
            let scope_base = c * (a.databases + 1);
            let db_roles = Role::for_scope(ScopeKind::Database);
            let grants = |scope: usize, db: bool| -> Vec<AssignmentState> {
                (0..a.grants)
                    .map(|j| AssignmentState {
                        name: format!("g{j}"),
                        principal_id: principal(scope, j),
                        principal_type: PrincipalType::App,
                        role: match (db, j) {
                            (false, 0 | 1) => Role::AllDatabasesAdmin,
                            (false, _) => Role::AllDatabasesViewer,
                            (true, j) => db_roles[j % db_roles.len()],
                        },
                        tenant_id: None,
                    })
                    .collect()
            };
            ClusterState {
                subscription: subscription(c % a.subscriptions),
                resource_group: "fleet-rg".into(),
                name: format!("kusto{c:04}"),
                location: "East US".into(),
                state: Default::default(),
                principals: grants(scope_base, false),
                databases: (0..a.databases)
                    .map(|d| DatabaseState {
                        name: format!("db{d:02}"),
                        follower: None,
                        principals: grants(scope_base + 1 + d, true),
                    })
                    .collect(),
            }
        })
        .collect();
    state
}

/// The desired file for `state`; every `1/change`-th grant of each database gets a new principal,
/// which plans as one create and one delete. Also returns, per cluster, how many grants of which
/// database it changes.
fn desired_file(state: &EmulatorState, change: f64) -> (String, Vec<BTreeMap<usize, usize>>) {
    let every = if change > 0.0 {
        (1.0 / change).round().max(1.0) as usize
    } else {
        usize::MAX
    };
    let mut out = String::from("version: 1\nclusters:\n");
    let mut touched = vec![BTreeMap::new(); state.clusters.len()];
    let mut n = 0usize;
    let mut line = |out: &mut String, indent: &str, g: &AssignmentState, at: (usize, usize)| {
        n += 1;
        let id = if n.is_multiple_of(every) {
            *touched[at.0].entry(at.1).or_insert(0) += 1;
            format!("{}-{}", &g.principal_id[..23], "00000000c0de")
        } else {
            g.principal_id.clone()
        };
        out.push_str(&format!(
            "{indent}- app: {id}\n{indent}  role: {}\n",
            g.role
        ));
    };
    for (ci, c) in state.clusters.iter().enumerate() {
        out.push_str(&format!(
            "  - name: {}\n    subscription: {}\n    resource_group: {}\n    principals:\n",
            c.name, c.subscription, c.resource_group
        ));
        for g in &c.principals {
            // Cluster admins are never touched: the safety verdict would (rightly) object.
            out.push_str(&format!(
                "      - app: {}\n        role: {}\n",
                g.principal_id, g.role
            ));
        }
        out.push_str("    databases:\n");
        for (di, d) in c.databases.iter().enumerate() {
            out.push_str(&format!("      - name: {}\n        principals:\n", d.name));
            for g in &d.principals {
                line(&mut out, "          ", g, (ci, di));
            }
        }
    }
    (out, touched)
}

fn cli_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>");
    let bin = dir.join("kusto-principals");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build --release` first",
        bin.display()
    );
    bin
}

fn peak_rss_children_mb() -> f64 {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct we own.
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    usage.ru_maxrss as f64 / 1024.0
}

struct Phase<'a> {
    name: &'a str,
    args: Vec<String>,
    minimum: Minimum,
}

fn run_phase(emu: &Emulator, a: &Args, phase: Phase<'_>) {
    // Each phase starts with full budgets, as the bound assumes: the resource-request budgets
    // (GET, PUT) refill over their 60 s window, the delete budget in 200 / 10 = 20 s.
    if a.throttle > 0.0 {
        std::thread::sleep(Duration::from_secs(60));
    }
    let before = emu.request_log().len();
    let started = Instant::now();
    let out = std::process::Command::new(cli_binary())
        .args(&phase.args)
        .args([
            "--parallelism",
            &a.parallelism.to_string(),
            "--no-progress",
            "-q",
        ])
        .envs(emu.env())
        .env_remove("AZURE_FEDERATED_TOKEN_FILE")
        .stdout(std::process::Stdio::null())
        .output()
        .expect("run the CLI");
    let wall = started.elapsed();
    let rss = peak_rss_children_mb();
    let log: Vec<RequestRecord> = emu.request_log().split_off(before);
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    for r in &log {
        *kinds.entry(r.kind.clone()).or_default() += 1;
    }
    let throttled = log.iter().filter(|r| r.status == 429).count();
    let retried = log
        .iter()
        .filter(|r| r.status == 429 || r.status == 0 || r.status >= 500)
        .count();
    let (latency, throttle) = phase.minimum.bounds(a);
    let bound = latency.max(throttle);
    let minimum = phase.minimum.total();
    println!("== {}", phase.name);
    println!("  exit code        {:?}", out.status.code());
    if !out.status.success() && out.status.code() != Some(2) {
        println!(
            "  stderr           {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    println!("  wall             {:.2} s", wall.as_secs_f64());
    println!("  requests         {} ({kinds:?})", log.len());
    println!(
        "  minimum          {minimum} requests; sent / minimum {:.3}",
        log.len() as f64 / minimum as f64
    );
    println!("  429s             {throttled}");
    println!("  retried answers  {retried}");
    println!("  CLI peak RSS     {rss:.1} MB (max over the CLI runs so far)");
    println!(
        "  bound            {:.2} s (of the minimum: latency {:.2} s, throttle {:.2} s)",
        bound.as_secs_f64(),
        latency.as_secs_f64(),
        throttle.as_secs_f64()
    );
    println!(
        "  wall / bound     {:.2}",
        wall.as_secs_f64() / bound.as_secs_f64()
    );
}

fn main() {
    let a = parse_args();
    let state = estate(&a);
    let grants: usize = state
        .clusters
        .iter()
        .map(|c| {
            c.principals.len()
                + c.databases
                    .iter()
                    .map(|d| d.principals.len())
                    .sum::<usize>()
        })
        .sum();
    let dir = tempfile::tempdir().expect("temp dir");
    let same = dir.path().join("same.yaml");
    let changed = dir.path().join("changed.yaml");
    std::fs::write(&same, desired_file(&state, 0.0).0).expect("write");
    let (changed_text, changes) = desired_file(&state, a.change);
    std::fs::write(&changed, changed_text).expect("write");
    let plan_minimum = || Minimum::of(&state, None, &a);
    let apply_minimum = Minimum::of(&state, Some(&changes), &a);
    println!(
        "estate: {} clusters × {} databases, {grants} grants in {} subscriptions; latency {} ms, throttle ×{}, parallelism {}, operations running for {} poll(s)",
        a.clusters,
        a.databases,
        a.subscriptions,
        a.latency_ms,
        a.throttle,
        a.parallelism,
        a.lro_polls
    );
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let plan_min = plan_minimum();
    let after_min = plan_minimum();
    let mut options = EmulatorOptions::default()
        .seed(1)
        .latency_ms(a.latency_ms)
        .lro_polls(a.lro_polls);
    // `--throttle 0`: no throttling at all (every answer reports a full budget).
    if a.throttle > 0.0 {
        options = options.throttle(a.throttle);
    }
    let emu = rt
        .block_on(Emulator::start(state, options))
        .expect("emulator");
    let file = |p: &Path| p.to_str().expect("utf-8 path").to_string();
    run_phase(
        &emu,
        &a,
        Phase {
            name: "plan (no changes)",
            args: vec![
                "plan".into(),
                "-f".into(),
                file(&same),
                "--detailed-exitcode".into(),
            ],
            minimum: plan_min,
        },
    );
    run_phase(
        &emu,
        &a,
        Phase {
            name: &format!(
                "apply ({:.0}% of database grants changed)",
                a.change * 100.0
            ),
            args: vec![
                "apply".into(),
                "-f".into(),
                file(&changed),
                "--auto-approve".into(),
            ],
            minimum: apply_minimum,
        },
    );
    run_phase(
        &emu,
        &a,
        Phase {
            name: "plan after apply (expect no changes: exit 0)",
            args: vec![
                "plan".into(),
                "-f".into(),
                file(&changed),
                "--detailed-exitcode".into(),
            ],
            minimum: after_min,
        },
    );
    rt.block_on(emu.shutdown());
}
