//! One function per command: the glue between the stages. Output goes to stdout; logs, progress and
//! errors to stderr.

use std::io::{IsTerminal, Write};
use std::path::Path;

use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use crate::apply::ApplyOptions;
use crate::arm::{
    ArmClient, Connection, Endpoints, RetryPolicy, build_http_client, client_secret_credential,
    credential_for, resolve_endpoints,
};
use crate::cli::{
    ApplyArgs, Cli, ColorChoice, Command, ExportArgs, GlobalArgs, PlanArgs, ReportFormat,
    ValidateArgs, ValidateFormat,
};
use crate::emulator::{Emulator, EmulatorOptions, EmulatorState};
use crate::error::{Error, Result};
use crate::export::ClusterExport as ExportedCluster;
use crate::model::{DesiredState, Scope, ScopeKind};
use crate::plan::{Plan, SavedPlan, finish, plan_scope, planfile};
use crate::render::{OutputFormat, Style, write_plan, write_report_text};

/// Runs a parsed command line; returns the exit code.
pub fn run(cli: Cli) -> Result<i32> {
    init_tracing(&cli.global);
    let g = &cli.global;
    match &cli.command {
        Command::Validate(args) => validate(g, args),
        Command::Plan(args) => runtime()?.block_on(plan_command(g, args)),
        Command::Apply(args) => runtime()?.block_on(apply_command(g, args)),
        Command::Export(args) => runtime()?.block_on(export_command(g, args)),
        Command::Schema => {
            println!("{}", crate::config::schema_json().trim_end());
            Ok(0)
        }
        Command::Emulator(args) => {
            runtime()?.block_on(crate::emulator::serve(args))?;
            Ok(0)
        }
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut cmd, "kusto-principals", &mut std::io::stdout());
            Ok(0)
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(anyhow::Error::from)?)
}

fn init_tracing(g: &GlobalArgs) {
    // Only this crate gets chatty: HTTP and identity libraries stay at warn, so nothing they might
    // print about requests can reach the terminal.
    let ours = match (g.quiet, g.verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        (false, _) => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::new(format!("warn,kusto_principals={ours}"));
    // Escape codes only on a terminal: CI logs and captured stderr stay plain text.
    let ansi = match g.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal()
        }
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .try_init();
}

fn style(g: &GlobalArgs) -> Style {
    let color = match g.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal()
        }
    };
    Style { color }
}

fn load_desired(g: &GlobalArgs, targets: &[String]) -> Result<DesiredState> {
    let mut desired = crate::config::load(&g.file)?;
    // A mistyped target must not silently narrow the plan to the other targets.
    let unmatched: Vec<&str> = targets
        .iter()
        .filter(|t| !desired.scopes.iter().any(|s| s.scope.matches_target(t)))
        .map(String::as_str)
        .collect();
    if !unmatched.is_empty() {
        return Err(Error::Usage(format!(
            "no cluster or database in {} matches --target {}",
            desired.file,
            unmatched.join(", ")
        )));
    }
    desired.retain_targets(targets);
    Ok(desired)
}

fn validate(g: &GlobalArgs, args: &ValidateArgs) -> Result<i32> {
    let mut out = std::io::stdout().lock();
    match (crate::config::load(&g.file), args.format) {
        (Ok(desired), format) => {
            crate::config::report::write_ok(&desired, format, &mut out)
                .map_err(anyhow::Error::from)?;
            Ok(0)
        }
        // Text problems go to stderr through the one error printer.
        (Err(e), ValidateFormat::Text) => Err(e.into()),
        (Err(e), format) => {
            crate::config::report::write_problems(&e, format, &mut out)
                .map_err(anyhow::Error::from)?;
            Err(Error::Invalid {
                file: e.file.clone(),
                count: e.problems.len(),
            })
        }
    }
}

/// A connected client, and the in-process emulator it talks to when `--emulator` is given.
struct Session {
    client: ArmClient,
    _emulator: Option<Emulator>,
}

async fn connect(g: &GlobalArgs) -> Result<Session> {
    connect_with_api(g, &g.api_version).await
}

/// Connects using `api_version` (a saved plan is applied with the api-version it was made with).
async fn connect_with_api(g: &GlobalArgs, api_version: &str) -> Result<Session> {
    if let Some(state_path) = &g.emulator {
        let state = match state_path {
            None => crate::emulator::demo_state(),
            Some(path) => EmulatorState::load(path)?,
        };
        let emu = Emulator::start(state, EmulatorOptions::default()).await?;
        let http = build_http_client(Some(emu.ca_cert_pem().as_bytes()))?;
        let endpoint = emu.endpoint().to_string();
        let credential = client_secret_credential(
            &http,
            &endpoint,
            emu.tenant_id(),
            emu.client_id(),
            emu.client_secret(),
        )?;
        tracing::info!("using the in-process emulator at {endpoint}");
        let conn = Connection {
            endpoint: url::Url::parse(&endpoint).map_err(anyhow::Error::from)?,
            token_scope: format!("{endpoint}/.default"),
            credential,
            http,
            identity: format!("the emulator's client `{}`", emu.client_id()),
        };
        return Ok(Session {
            client: client(conn, g, api_version)?,
            _emulator: Some(emu),
        });
    }
    let authority_env = std::env::var("AZURE_AUTHORITY_HOST").ok();
    let Endpoints {
        arm: endpoint,
        authority,
    } = resolve_endpoints(g.cloud, g.arm_endpoint.as_deref(), authority_env.as_deref())
        .map_err(Error::Usage)?;
    tracing::info!("ARM endpoint {endpoint}, authority {authority}");
    let ca =
        match &g.ca_cert {
            Some(p) => Some(std::fs::read(p).map_err(|e| {
                Error::Usage(format!("cannot read --ca-cert `{}`: {e}", p.display()))
            })?),
            None => None,
        };
    let http = build_http_client(ca.as_deref())?;
    let (credential, identity) = credential_for(g.auth, &http, &authority)?;
    let conn = Connection {
        endpoint: url::Url::parse(&endpoint)
            .map_err(|e| Error::Usage(format!("invalid --arm-endpoint `{endpoint}`: {e}")))?,
        token_scope: format!("{endpoint}/.default"),
        credential,
        http,
        identity,
    };
    Ok(Session {
        client: client(conn, g, api_version)?,
        _emulator: None,
    })
}

fn client(conn: Connection, g: &GlobalArgs, api_version: &str) -> Result<ArmClient> {
    Ok(ArmClient::new(conn, api_version)?
        .with_operation_timeout(g.operation_timeout)
        .with_retry(RetryPolicy {
            principal_budget: g.principal_wait,
            ..RetryPolicy::default()
        }))
}

/// Why a scope that ARM says does not exist could not be planned.
fn not_found_message(scope: &Scope, e: &crate::arm::ArmError) -> String {
    let what = match scope.kind() {
        ScopeKind::Cluster => format!(
            "cluster `{}` not found in resource group `{}` of subscription `{}`",
            scope.cluster.cluster, scope.cluster.resource_group, scope.cluster.subscription
        ),
        ScopeKind::Database => format!(
            "database `{}` not found in cluster `{}`",
            scope.database_name().unwrap_or_default(),
            scope.cluster.cluster
        ),
    };
    format!("{what} ({})", e.message)
}

/// Lists every managed scope, `parallelism` at a time, and plans each one as its listing arrives,
/// so that a fleet-wide plan never holds every listing at once: a scope with nothing to write keeps
/// only its counts. A scope that does not exist becomes an error of that scope (the plan still
/// shows the rest); any other failure fails the command.
async fn make_plan(g: &GlobalArgs, targets: &[String]) -> Result<(Plan, String, Session)> {
    let desired = load_desired(g, targets)?;
    let session = connect(g).await?;
    let client = &session.client;
    let DesiredState {
        file,
        scopes,
        ignore,
        safety,
    } = desired;
    let mut planned = Vec::with_capacity(scopes.len());
    let mut listings = futures::stream::iter(scopes)
        .map(|ds| async move {
            let listed = client.list_assignments(&ds.scope).await;
            (ds, listed)
        })
        .buffered(g.parallelism as usize);
    let mut first_error = None;
    while let Some((ds, listed)) = listings.next().await {
        let mut sp = match listed {
            Ok(items) => plan_scope(ds, items, None, &ignore),
            Err(e) if e.is_not_found() => {
                let message = not_found_message(&ds.scope, &e);
                plan_scope(ds, Vec::new(), Some(message), &ignore)
            }
            Err(e) => {
                first_error.get_or_insert(e);
                continue;
            }
        };
        sp.compact();
        planned.push(sp);
    }
    drop(listings);
    if let Some(e) = first_error {
        return Err(e.into());
    }
    // A missing cluster makes every one of its databases "not found" too: say why, once.
    let missing: Vec<crate::model::ClusterRef> = planned
        .iter()
        .filter(|sp| sp.error.is_some() && sp.scope.kind() == ScopeKind::Cluster)
        .map(|sp| sp.scope.cluster.clone())
        .collect();
    for sp in &mut planned {
        if sp.error.is_some()
            && sp.scope.kind() == ScopeKind::Database
            && missing.contains(&sp.scope.cluster)
        {
            sp.error = Some(format!(
                "its cluster `{}` was not found in resource group `{}` of subscription `{}`",
                sp.scope.cluster.cluster,
                sp.scope.cluster.resource_group,
                sp.scope.cluster.subscription
            ));
        }
    }
    Ok((finish(planned, &safety), file, session))
}

fn print_plan(g: &GlobalArgs, plan: &Plan, file: &str, format: OutputFormat) -> Result<()> {
    let mut out = std::io::stdout().lock();
    write_plan(format, plan, file, style(g), &mut out).map_err(anyhow::Error::from)?;
    out.flush().map_err(anyhow::Error::from)?;
    Ok(())
}

/// Names every scope that could not be read, whatever format the plan was printed in.
fn scope_errors(plan: &Plan) -> Error {
    let failed: Vec<String> = plan
        .scopes
        .iter()
        .filter_map(|s| s.error.as_ref().map(|e| format!("\n  `{}`: {e}", s.scope)))
        .collect();
    Error::Usage(format!(
        "{} scope(s) in the file could not be read:{}",
        failed.len(),
        failed.concat()
    ))
}

async fn plan_command(g: &GlobalArgs, args: &PlanArgs) -> Result<i32> {
    let (plan, file, _session) = make_plan(g, &args.target).await?;
    print_plan(g, &plan, &file, args.format)?;
    if plan.has_errors() {
        return Err(scope_errors(&plan));
    }
    if let Some(path) = &args.out {
        planfile::write(path, &SavedPlan::new(&plan, &file, &g.api_version))?;
        tracing::info!("saved the plan to {}", path.display());
    }
    Ok(if args.detailed_exitcode && plan.summary().has_changes() {
        2
    } else {
        0
    })
}

async fn apply_command(g: &GlobalArgs, args: &ApplyArgs) -> Result<i32> {
    if let Some(path) = &args.plan {
        return apply_saved(g, args, path).await;
    }
    let (plan, file, session) = make_plan(g, &args.target).await?;
    show_plan_for_apply(g, args, &plan, &file)?;
    if plan.has_errors() {
        return Err(scope_errors(&plan));
    }
    if !plan.summary().has_changes() {
        return Ok(0);
    }
    refuse_if_unsafe(&plan, args)?;
    if !args.auto_approve && !confirm()? {
        return Err(Error::Refused(
            "apply cancelled; nothing was changed".into(),
        ));
    }
    execute(g, args, &plan, &session.client).await
}

/// With `--format json` stdout carries only the report, so the plan shows on stderr.
fn show_plan_for_apply(g: &GlobalArgs, args: &ApplyArgs, plan: &Plan, file: &str) -> Result<()> {
    match args.format {
        ReportFormat::Text => write_plan(
            OutputFormat::Text,
            plan,
            file,
            style(g),
            &mut std::io::stdout().lock(),
        ),
        ReportFormat::Json => write_plan(
            OutputFormat::Text,
            plan,
            file,
            Style::PLAIN,
            &mut std::io::stderr().lock(),
        ),
    }
    .map_err(anyhow::Error::from)?;
    Ok(())
}

fn refuse_if_unsafe(plan: &Plan, args: &ApplyArgs) -> Result<()> {
    if plan.safety.ok || args.force {
        return Ok(());
    }
    Err(Error::Refused(format!(
        "the plan is unsafe ({}); nothing was changed. Review it, then rerun with --force to apply it anyway",
        plan.safety.reasons.join("; ")
    )))
}

/// `apply PLAN.json`: list every scope the plan writes to again; if any changed since the plan was
/// made, refuse before any write and say what changed. Otherwise apply exactly the saved changes.
async fn apply_saved(g: &GlobalArgs, args: &ApplyArgs, path: &Path) -> Result<i32> {
    let saved = planfile::read(path)?;
    let session = connect_with_api(g, &saved.api_version).await?;
    let client = &session.client;
    let checks: Vec<_> = futures::stream::iter(saved.scopes.iter())
        .map(|s| async move {
            let scope = Scope::from(&s.scope);
            let now = client.list_assignments(&scope).await;
            (scope, s, now)
        })
        .buffered(g.parallelism as usize)
        .collect()
        .await;
    let mut stale = Vec::new();
    for (scope, s, now) in checks {
        let now = match now {
            Ok(items) => items,
            Err(e) if e.is_not_found() => {
                stale.push(format!("  {scope}: no longer exists"));
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        if crate::plan::fingerprint(&now) == s.fingerprint {
            continue;
        }
        let (added, removed) = crate::plan::listing_changes(&s.listed, &crate::plan::listing(&now));
        let mut what = format!("  {scope}: changed since the plan");
        for a in added {
            what.push_str(&format!("\n    + {a}"));
        }
        for r in removed {
            what.push_str(&format!("\n    - {r}"));
        }
        stale.push(what);
    }
    if !stale.is_empty() {
        return Err(Error::Refused(format!(
            "the saved plan `{}` is stale: Azure changed after it was made, so nothing was written.\n{}\n  hint: make a new plan and review it",
            path.display(),
            stale.join("\n")
        )));
    }
    let plan = saved.to_plan();
    show_plan_for_apply(g, args, &plan, &saved.document.file)?;
    if !plan.summary().has_changes() {
        return Ok(0);
    }
    refuse_if_unsafe(&plan, args)?;
    // The saved plan was reviewed; it is applied without another question.
    execute(g, args, &plan, client).await
}

/// Runs the writes of a plan and prints the report.
async fn execute(g: &GlobalArgs, args: &ApplyArgs, plan: &Plan, client: &ArmClient) -> Result<i32> {
    let cancel = CancellationToken::new();
    watch_ctrl_c(cancel.clone());
    let progress = crate::progress::for_stderr(
        plan.actions()
            .map(|c| match c {
                crate::plan::Change::Replace { .. } => 2,
                crate::plan::Change::Create { .. }
                | crate::plan::Change::Delete { .. }
                | crate::plan::Change::NoOp { .. } => 1,
            })
            .sum(),
        std::io::stderr().is_terminal(),
        !g.no_progress && !g.quiet,
    );
    let options = ApplyOptions {
        parallelism: g.parallelism as usize,
        cancel: cancel.clone(),
        progress: progress.as_ref(),
    };
    let report = crate::apply::apply(plan, client, &options).await;
    let mut out = std::io::stdout().lock();
    match args.format {
        ReportFormat::Text => {
            writeln!(out).map_err(anyhow::Error::from)?;
            write_report_text(&report, style(g), &mut out).map_err(anyhow::Error::from)?;
        }
        ReportFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &report).map_err(anyhow::Error::from)?;
            writeln!(out).map_err(anyhow::Error::from)?;
        }
    }
    out.flush().map_err(anyhow::Error::from)?;
    if cancel.is_cancelled() {
        return Err(Error::Interrupted);
    }
    let failed = report.failed();
    if failed > 0 {
        return Err(Error::ApplyFailed {
            failed,
            total: report.actions.len(),
        });
    }
    Ok(0)
}

/// First Ctrl-C: no new writes start, running operations finish, the report is printed. Second:
/// abandon at once.
fn watch_ctrl_c(cancel: CancellationToken) {
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_err() {
            return;
        }
        eprintln!(
            "\ninterrupted: letting running operations finish, starting no new ones (Ctrl-C again to abandon them)"
        );
        cancel.cancel();
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!(
                "abandoned: operations already sent to ARM may still complete; rerun plan to see where things stand"
            );
            std::process::exit(130);
        }
    });
}

async fn export_command(g: &GlobalArgs, args: &ExportArgs) -> Result<i32> {
    let session = connect(g).await?;
    let client = &session.client;
    let mut clusters = client
        .list_clusters(&args.subscription, args.resource_group.as_deref())
        .await?;
    if !args.clusters.is_empty() {
        let missing: Vec<&String> = args
            .clusters
            .iter()
            .filter(|want| {
                !clusters
                    .iter()
                    .any(|c| c.cluster.eq_ignore_ascii_case(want))
            })
            .collect();
        if !missing.is_empty() {
            return Err(Error::Usage(format!(
                "no cluster named {} in subscription `{}`{}",
                missing
                    .iter()
                    .map(|m| format!("`{m}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                args.subscription,
                args.resource_group
                    .as_ref()
                    .map(|rg| format!(" resource group `{rg}`"))
                    .unwrap_or_default()
            )));
        }
        clusters.retain(|c| {
            args.clusters
                .iter()
                .any(|w| c.cluster.eq_ignore_ascii_case(w))
        });
    }
    let total = clusters.len();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<Result<ExportedCluster>> = futures::stream::iter(clusters)
        .map(|cluster| {
            let done = &done;
            async move {
                let scope = Scope::cluster(cluster.clone());
                let principals = client.list_assignments(&scope).await?;
                let mut databases = Vec::new();
                for db in client.list_databases(&cluster).await? {
                    let items = client
                        .list_assignments(&Scope::database(cluster.clone(), db.clone()))
                        .await?;
                    databases.push((db, items));
                }
                let n = done.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                if !g.quiet {
                    eprintln!(
                        "[{n}/{total}] exported cluster {} ({} databases)",
                        cluster.cluster,
                        databases.len()
                    );
                }
                Ok(ExportedCluster {
                    cluster,
                    principals,
                    databases,
                })
            }
        })
        .buffered(g.parallelism as usize)
        .collect()
        .await;
    let clusters = results.into_iter().collect::<Result<Vec<_>>>()?;
    let text = crate::export::render(&args.subscription, &clusters);
    match &args.out {
        Some(path) => {
            std::fs::write(path, &text)
                .map_err(|e| Error::Usage(format!("cannot write `{}`: {e}", path.display())))?;
            if !g.quiet {
                eprintln!("wrote {}", path.display());
            }
        }
        None => print!("{text}"),
    }
    Ok(0)
}

/// Asks for `yes` on a terminal; without one, `--auto-approve` is required.
fn confirm() -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        return Err(Error::Usage(
            "apply needs --auto-approve when stdin is not a terminal; nothing was changed".into(),
        ));
    }
    eprint!("\nApply these changes? Only `yes` is accepted: ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(anyhow::Error::from)?;
    Ok(line.trim() == "yes")
}

/// `error: …` and the cause chain.
pub fn format_error(err: &Error) -> String {
    let mut out = format!("error: {err}");
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        out.push_str(&format!("\n  caused by: {s}"));
        source = s.source();
    }
    out
}
