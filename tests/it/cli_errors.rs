//! Issue 17: each error a new user meets says which host or file, what went wrong and what to do,
//! once, on stderr.

use crate::harness::{Run, TestEnv};

fn example() -> String {
    std::fs::read_to_string(crate::harness::repo_file("principals.example.yaml")).expect("example")
}

/// A loopback port with nothing listening (bound, then closed).
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

fn error_lines(run: &Run) -> Vec<&str> {
    run.stderr
        .lines()
        .filter(|l| l.starts_with("error:"))
        .collect()
}

fn plan(env: &TestEnv, set: &[(&str, &str)], unset: &[&str]) -> Run {
    let file = env.write("principals.yaml", &example());
    env.run_with(
        &["plan", "-f", file.to_str().unwrap(), "--no-progress"],
        set,
        unset,
    )
}

#[test]
fn nothing_listening_on_the_token_endpoint_names_the_host_and_the_setting() {
    let env = TestEnv::demo();
    let port = closed_port();
    let authority = format!("https://127.0.0.1:{port}");
    let run = plan(&env, &[("AZURE_AUTHORITY_HOST", &authority)], &[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(error_lines(&run).len(), 1, "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "cannot reach the token endpoint at 127.0.0.1:{port}: nothing is listening there (connection refused)\n  \
             hint: check --cloud and AZURE_AUTHORITY_HOST, and that the service (or the emulator) is running"
        )),
        "{run:?}"
    );
    assert!(!run.stderr.contains("reqwest"), "{run:?}");
}

#[test]
fn an_unknown_ca_hints_at_ca_cert_once() {
    let env = TestEnv::demo();
    let run = plan(&env, &[], &["KUSTO_PRINCIPALS_CA_CERT"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        run.stderr.lines().count(),
        2,
        "one error and its hint: {run:?}"
    );
    let host = env
        .emu()
        .endpoint()
        .trim_start_matches("https://")
        .to_string();
    assert!(
        run.stderr.contains(&format!(
            "at {host}: its TLS certificate is not signed by a trusted certificate authority (UnknownIssuer)\n  \
             hint: if this is the emulator or a TLS-inspecting proxy, pass its CA certificate with --ca-cert FILE.pem (or KUSTO_PRINCIPALS_CA_CERT)"
        )),
        "{run:?}"
    );
}

#[test]
fn a_wrong_secret_gives_entra_ids_code_and_message_and_never_the_secret() {
    let env = TestEnv::demo();
    let secret = "s3cr3t-WRONG-value";
    let run = plan(&env, &[("AZURE_CLIENT_SECRET", secret)], &[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains(
            "Entra ID refused a token for app `0e0e0e0e-0000-4000-8000-000000000001` (client secret): \
             AADSTS7000215: Invalid client secret provided."
        ),
        "{run:?}"
    );
    assert!(
        run.stderr
            .contains("hint: AZURE_CLIENT_SECRET must be the secret's value"),
        "{run:?}"
    );
    for noise in [
        "invalid type",
        "expected a borrowed string",
        "Trace ID",
        secret,
    ] {
        assert!(!run.stderr.contains(noise), "`{noise}` in {run:?}");
    }
}

#[test]
fn apply_of_a_desired_state_file_suggests_dash_f() {
    let env = TestEnv::demo();
    env.write("principals.yaml", &example());
    let run = env.run(&["apply", "principals.yaml"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        run.stderr,
        "error: `principals.yaml` is not a saved plan: this looks like a desired-state file; did you \
         mean `apply -f principals.yaml`?\n"
    );
    assert_eq!(env.emu().request_counts().writes(), 0);
}

const MISSING: &str = "version: 1
defaults: {subscription: 12345678-1234-1234-1234-123456789098, resource_group: testrg}
clusters:
  - name: mykustoclustr
    principals: []
  - name: mykustocluster
    databases: [{name: salse, principals: []}]
  - name: mykustocluster
    subscription: 12345678-1234-1234-1234-000000000000
    principals: []
  - name: mykustocluster
    resource_group: otherrg
    principals: []
";

#[test]
fn missing_scopes_say_why_once_with_did_you_mean() {
    let env = TestEnv::demo();
    let file = env.write("nf.yaml", MISSING);
    let run = env.run(&["plan", "-f", file.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{run:?}");
    for want in [
        "error: 4 of the 4 scopes in the file could not be read:",
        "`mykustoclustr`: cluster `mykustoclustr` not found in resource group `testrg` of subscription \
         `12345678-1234-1234-1234-123456789098`",
        "did you mean `mykustocluster` (resource group `testrg`)?",
        "`mykustocluster/salse`: database `salse` not found in cluster `mykustocluster`",
        "did you mean `sales`?",
        "`mykustocluster`: subscription `12345678-1234-1234-1234-000000000000` not found",
        "it does not exist, or the identity in use has no role on it",
        "`mykustocluster`: resource group `otherrg` not found in subscription",
        "cluster `mykustocluster` is in resource group `testrg`, not `otherrg`: set `resource_group` on the cluster",
    ] {
        assert_eq!(
            run.stderr.matches(want).count(),
            1,
            "`{want}` once in {run:?}"
        );
        assert!(
            !run.stdout.contains(want),
            "`{want}` also on stdout: {run:?}"
        );
    }
    assert!(
        !run.stderr.contains("cluster not found (The subscription"),
        "{run:?}"
    );
    let last = format!(
        "Nothing to compare: none of the 4 scopes in {} could be read.\n",
        file.display()
    );
    assert!(run.stdout.ends_with(&last), "{run:?}");
}

#[test]
fn trace_verbosity_shows_each_http_exchange_and_no_secret() {
    let env = TestEnv::demo();
    let file = env.write("principals.yaml", &example());
    let file = file.to_str().unwrap();
    let debug = env.run(&["plan", "-f", file, "-vv"]);
    let trace = env.run(&["plan", "-f", file, "-vvv"]);
    assert_eq!((debug.code, trace.code), (0, 0), "{trace:?}");
    assert!(!debug.stderr.contains("http →"), "{debug:?}");
    let host = env.emu().endpoint().to_string();
    let sent: Vec<&str> = trace
        .stderr
        .lines()
        .filter(|l| l.contains("http → "))
        .collect();
    assert!(
        sent.iter()
            .any(|l| l.contains(&host) && l.contains("/oauth2/")),
        "the token request is traced: {trace:?}"
    );
    assert!(
        sent.iter().any(|l| l.contains("/principalAssignments")),
        "ARM requests are traced: {trace:?}"
    );
    assert!(trace.stderr.contains("x-ms-request-id="), "{trace:?}");
    let secret = env
        .emu()
        .env()
        .into_iter()
        .find(|(k, _)| k == "AZURE_CLIENT_SECRET")
        .map(|(_, v)| v)
        .expect("secret");
    for leak in [secret.as_str(), "Bearer", "access_token", "api-version="] {
        assert!(!trace.stderr.contains(leak), "`{leak}` at -vvv: {trace:?}");
    }
}

#[test]
fn arm_down_says_it_is_retrying_then_names_the_host_and_the_fix() {
    let env = TestEnv::demo();
    let port = closed_port();
    let arm = format!("https://127.0.0.1:{port}");
    let file = env.write("principals.yaml", &example());
    // The token still comes from the emulator; --operation-timeout bounds the retries.
    let run = env.run_with(
        &[
            "plan",
            "-f",
            file.to_str().unwrap(),
            "--no-progress",
            "--operation-timeout",
            "3s",
        ],
        &[("KUSTO_PRINCIPALS_ARM_ENDPOINT", &arm)],
        &[],
    );
    assert_eq!(run.code, 1, "{run:?}");
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(
        lines.first().map(|l| l.trim_start()),
        Some(
            format!(
                "WARN cannot reach ARM at 127.0.0.1:{port}: nothing is listening there (connection \
                 refused); retrying with backoff within --operation-timeout (-v shows each attempt)"
            )
            .as_str()
        ),
        "{run:?}"
    );
    assert_eq!(error_lines(&run).len(), 1, "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "cannot reach ARM at 127.0.0.1:{port}: nothing is listening there"
        )),
        "{run:?}"
    );
    assert_eq!(
        lines.last().copied(),
        Some(
            "  hint: check --arm-endpoint (KUSTO_PRINCIPALS_ARM_ENDPOINT) and --cloud, and that the \
             service (or the emulator) is running"
        ),
        "{run:?}"
    );
}
