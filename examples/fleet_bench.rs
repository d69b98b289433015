//! Fleet-scale benchmark (issue 9): `plan` and `apply` of the real release binary against the emulator
//! with a generated estate, ARM latency and ARM throttling on.
//!
//! ```sh
//! cargo build --release && cargo run --release --example fleet_bench -- [--clusters 200] [--databases 10] \
//!     [--grants 20] [--subscriptions 2] [--latency-ms 50] [--parallelism 10] [--change 0.05] [--throttle 1] \
//!     [--plan-only 1]
//! ```
//!
//! `--throttle 0` turns ARM's throttling off (the emulator then reports full budgets, as a
//! subscription with room to spare does); `--plan-only 1` runs the first phase only.
//!
//! For each phase it prints wall time, requests by kind, retries (429, 5xx and reset answers that the
//! client had to repeat), 429s, the CLI's peak RSS, and the lower bound
//! `max(requests / parallelism × latency, the throttle's minimum time for those requests)`, with the
//! ratio wall / bound. The emulator runs in this process; the CLI runs as its own process, so its RSS
//! is its own.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kusto_emulator::{
    AssignmentState, ClusterState, DatabaseState, Emulator, EmulatorOptions, EmulatorState,
    RequestRecord,
};
use kusto_emulator::{PrincipalType, Role, ScopeKind};

struct Args {
    clusters: usize,
    databases: usize,
    grants: usize,
    subscriptions: usize,
    latency_ms: u64,
    parallelism: usize,
    change: f64,
    throttle: f64,
    plan_only: bool,
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
        plan_only: false,
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
            "--plan-only" => a.plan_only = num::<u8>(&pair[0], value) != 0,
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
/// which plans as one create and one delete.
fn desired_file(state: &EmulatorState, change: f64) -> String {
    let every = if change > 0.0 {
        (1.0 / change).round().max(1.0) as usize
    } else {
        usize::MAX
    };
    let mut out = String::from("version: 1\nclusters:\n");
    let mut n = 0usize;
    let mut line = |out: &mut String, indent: &str, g: &AssignmentState| {
        n += 1;
        let id = if n.is_multiple_of(every) {
            format!("{}-{}", &g.principal_id[..23], "00000000c0de")
        } else {
            g.principal_id.clone()
        };
        out.push_str(&format!(
            "{indent}- app: {id}\n{indent}  role: {}\n",
            g.role
        ));
    };
    for c in &state.clusters {
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
        for d in &c.databases {
            out.push_str(&format!("      - name: {}\n        principals:\n", d.name));
            for g in &d.principals {
                line(&mut out, "          ", g);
            }
        }
    }
    out
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
}

fn run_phase(emu: &Emulator, a: &Args, phase: Phase<'_>) {
    // Each phase starts with full ARM budgets, as the bound assumes: GET and PUT budgets refill
    // in the emulator's 60 s resource window, POST and DELETE in 200 / 10 = 20 s.
    if a.throttle > 0.0 {
        std::thread::sleep(
            Duration::from_secs_f64(60.0 / a.throttle).min(Duration::from_secs(120)),
        );
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
    let arm: Vec<&RequestRecord> = log
        .iter()
        .filter(|r| !matches!(r.kind.as_str(), "token" | "discovery"))
        .collect();
    let bound = lower_bound(&arm, a);
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
    println!("  429s             {throttled}");
    println!("  retried answers  {retried}");
    println!("  CLI peak RSS     {rss:.1} MB (max over the CLI runs so far)");
    println!("  lower bound      {:.2} s", bound.as_secs_f64());
    println!(
        "  wall / bound     {:.2}",
        wall.as_secs_f64() / bound.as_secs_f64()
    );
}

/// max(requests / parallelism × latency, the throttle's minimum time), per the budgets real Kusto
/// answers report (the emulator's model): per subscription, GET 1,100 and PUT 800 resource
/// requests per 60 s window, POST and DELETE 200 + 10/s each (their global budgets, 3,000 +
/// 150/s, bind later), times `--throttle`; with `--throttle 0` the network term alone.
fn lower_bound(arm: &[&RequestRecord], a: &Args) -> Duration {
    let network = arm.len() as f64 / a.parallelism as f64 * a.latency_ms as f64 / 1000.0;
    if a.throttle <= 0.0 {
        return Duration::from_secs_f64(network);
    }
    let mut per_budget: BTreeMap<(String, &str), f64> = BTreeMap::new();
    for r in arm {
        let sub = r.path.split('/').nth(2).unwrap_or("").to_ascii_lowercase();
        *per_budget.entry((sub, r.method.as_str())).or_default() += 1.0;
    }
    let throttle = per_budget
        .iter()
        .map(|((_, method), n)| {
            let (cap, rate) = match *method {
                "GET" | "HEAD" => (1100.0, 1100.0 / 60.0),
                "PUT" | "PATCH" => (800.0, 800.0 / 60.0),
                _ => (200.0, 10.0),
            };
            ((n - cap * a.throttle).max(0.0)) / (rate * a.throttle)
        })
        .fold(0.0, f64::max);
    Duration::from_secs_f64(network.max(throttle))
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
    std::fs::write(&same, desired_file(&state, 0.0)).expect("write");
    std::fs::write(&changed, desired_file(&state, a.change)).expect("write");
    println!(
        "estate: {} clusters × {} databases, {grants} grants in {} subscriptions; latency {} ms, throttle ×{}, parallelism {}",
        a.clusters, a.databases, a.subscriptions, a.latency_ms, a.throttle, a.parallelism
    );
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let mut options = EmulatorOptions::default()
        .seed(1)
        .latency_ms(a.latency_ms)
        .lro_polls(1);
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
        },
    );
    if a.plan_only {
        rt.block_on(emu.shutdown());
        return;
    }
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
        },
    );
    rt.block_on(emu.shutdown());
}
