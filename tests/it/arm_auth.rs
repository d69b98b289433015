//! Issue 5: every credential source end to end through the emulator's token endpoint, secrets never
//! in any output, clear 401/403 errors, and the endpoint and authority rules.

use crate::arm_stub::{Answer, Stub, c1, one_cluster_file, run_on_stub};
use crate::harness::{Run, TestEnv, repo_file};

fn example(env: &TestEnv) -> String {
    let text = std::fs::read_to_string(repo_file("principals.example.yaml")).expect("example");
    env.write("principals.yaml", &text)
        .to_str()
        .unwrap()
        .to_string()
}

/// The demo plan, as the example file against the demo state shows it.
fn assert_demo_plan(run: &Run) {
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stdout
            .contains("Plan: 3 to add, 0 to replace, 1 to delete."),
        "{run:?}"
    );
}

#[test]
fn client_secret_gets_a_token_from_the_token_endpoint() {
    let env = TestEnv::demo();
    let file = example(&env);
    let run = env.run_with(
        &[
            "plan",
            "-f",
            &file,
            "--detailed-exitcode",
            "--auth",
            "client-secret",
            "-v",
        ],
        &[],
        &[],
    );
    assert_demo_plan(&run);
    assert!(run.stderr.contains("auth: client secret"), "{run:?}");
    assert!(env.emu().request_counts().get("token") >= 1);

    let wrong = env.run_with(
        &["plan", "-f", &file, "--auth", "client-secret"],
        &[("AZURE_CLIENT_SECRET", "wrong-s3cret-value")],
        &[],
    );
    assert_eq!(wrong.code, 1, "{wrong:?}");
    assert!(wrong.stderr.contains("AADSTS7000215"), "{wrong:?}");
    assert!(
        !format!("{}{}", wrong.stdout, wrong.stderr).contains("wrong-s3cret-value"),
        "{wrong:?}"
    );
}

#[test]
fn workload_identity_sends_the_token_file_as_client_assertion() {
    let env = TestEnv::demo();
    let file = example(&env);
    let token_file = env.write(
        "federated-token",
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6a3AifQ.c2lnbmF0dXJl",
    );
    let token_file = token_file.to_str().unwrap();
    // `auto` picks workload identity because the token file is set; no secret is available.
    let run = env.run_with(
        &["plan", "-f", &file, "--detailed-exitcode", "-v"],
        &[("AZURE_FEDERATED_TOKEN_FILE", token_file)],
        &["AZURE_CLIENT_SECRET"],
    );
    assert_demo_plan(&run);
    assert!(
        run.stderr
            .contains("auth: workload identity, because AZURE_FEDERATED_TOKEN_FILE is set"),
        "{run:?}"
    );
    assert!(env.emu().request_counts().get("token") >= 1);

    // The assertion really goes to the token endpoint: one that is not a JWT is refused there.
    let bad = env.write("bad-token", "not-a-jwt");
    let refused = env.run_with(
        &["plan", "-f", &file],
        &[("AZURE_FEDERATED_TOKEN_FILE", bad.to_str().unwrap())],
        &["AZURE_CLIENT_SECRET"],
    );
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(refused.stderr.contains("AADSTS50027"), "{refused:?}");
}

#[test]
fn github_oidc_fetches_an_id_token_for_the_entra_audience() {
    let env = TestEnv::demo();
    let file = example(&env);
    let actions = Stub::start(&env, |seen, _| {
        if seen.path == "/idtoken"
            && seen.authorization.as_deref() == Some("Bearer gh-request-token")
        {
            Answer::json(
                200,
                serde_json::json!({"count": 1, "value": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOm8vcjpyZWY6cmVmcy9oZWFkcy9tYWluIn0.c2ln"}),
            )
        } else {
            Answer::empty(401)
        }
    });
    let url = format!("{}/idtoken?api-version=2.0", actions.url);
    let run = env.run_with(
        &["plan", "-f", &file, "--detailed-exitcode", "-v"],
        &[
            ("ACTIONS_ID_TOKEN_REQUEST_URL", url.as_str()),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "gh-request-token"),
        ],
        &["AZURE_CLIENT_SECRET"],
    );
    assert_demo_plan(&run);
    assert!(run.stderr.contains("auth: GitHub Actions OIDC"), "{run:?}");
    let seen = actions.seen();
    assert!(!seen.is_empty(), "the Actions token URL was never asked");
    for s in &seen {
        assert!(
            s.query.contains("api-version=2.0")
                && s.query
                    .contains("audience=api%3A%2F%2FAzureADTokenExchange"),
            "{s:?}"
        );
    }
    assert!(env.emu().request_counts().get("token") >= 1);
    // Neither the request token nor the id token shows.
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(
        !all.contains("gh-request-token") && !all.contains("c2ln"),
        "{run:?}"
    );

    // Without `id-token: write` the runner refuses; the error says what to check.
    let refused = env.run_with(
        &["plan", "-f", &file, "--auth", "github-oidc"],
        &[
            ("ACTIONS_ID_TOKEN_REQUEST_URL", url.as_str()),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "another-token"),
        ],
        &["AZURE_CLIENT_SECRET"],
    );
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(refused.stderr.contains("id-token: write"), "{refused:?}");
}

#[test]
fn plan_and_apply_at_vv_never_print_the_secret_or_a_token() {
    let env = TestEnv::demo();
    let file = example(&env);
    let secret = env.emu().client_secret().to_string();
    // Every token of this emulator starts with the same JWT header segment.
    let token = env.emu().access_token();
    let header = token.split('.').next().unwrap().to_string();
    for args in [
        vec!["plan", "-f", &file, "-vv", "--auth", "client-secret"],
        vec![
            "apply",
            "-f",
            &file,
            "-vv",
            "--auto-approve",
            "--auth",
            "client-secret",
        ],
        vec!["plan", "-f", &file, "-vvv", "--auth", "client-secret"],
    ] {
        let run = env.run_with(&args, &[], &[]);
        assert!(run.code == 0 || run.code == 2, "{run:?}");
        // -vv really is chatty: every request is logged, with its span.
        assert!(run.stderr.contains("arm request"), "{run:?}");
        assert!(run.stderr.contains("arm{op="), "{run:?}");
        for (what, out) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
            assert!(!out.contains(&secret), "the secret is in {what}: {run:?}");
            assert!(!out.contains(&header), "a token is in {what}: {run:?}");
            assert!(!out.contains(&token), "a token is in {what}: {run:?}");
        }
    }
}

#[test]
fn forbidden_names_the_identity_and_the_missing_rbac_action() {
    let env = TestEnv::demo();
    let file = one_cluster_file(&env);
    let stub = Stub::start(&env, |_, _| {
        Answer::error(
            403,
            "AuthorizationFailed",
            "The client does not have authorization to perform action 'Microsoft.Kusto/clusters/principalAssignments/read'.",
        )
    });
    let run = run_on_stub(&env, &stub, &["plan", "-f", &file]);
    assert_eq!(run.code, 1, "{run:?}");
    let client = env.emu().client_id().to_string();
    assert!(
        run.stderr.contains(&format!(
            "hint: app `{client}` (client secret) needs the RBAC action `Microsoft.Kusto/clusters/principalAssignments/read`"
        )),
        "{run:?}"
    );
    assert!(run.stderr.contains("403 AuthorizationFailed"), "{run:?}");
    assert!(
        run.stderr
            .contains("x-ms-request-id req-403-AuthorizationFailed"),
        "{run:?}"
    );
    assert_eq!(stub.seen().len(), 1, "a 403 is not retried");
}

#[test]
fn unauthorized_names_the_identity() {
    let env = TestEnv::demo();
    let file = one_cluster_file(&env);
    let stub = Stub::start(&env, |_, _| {
        Answer::error(
            401,
            "InvalidAuthenticationToken",
            "The access token is invalid.",
        )
    });
    let run = run_on_stub(&env, &stub, &["plan", "-f", &file]);
    assert_eq!(run.code, 1, "{run:?}");
    let client = env.emu().client_id().to_string();
    assert!(
        run.stderr.contains(&format!(
            "hint: ARM rejected the token of app `{client}` (client secret)"
        )),
        "{run:?}"
    );
    assert!(
        run.stderr.contains(&format!(
            "list principal assignments `{}/principalAssignments`",
            c1()
        )),
        "{run:?}"
    );
    assert_eq!(stub.seen().len(), 1, "a 401 is not retried");
}

#[test]
fn endpoints_must_be_https_except_on_loopback() {
    let env = TestEnv::demo();
    let file = example(&env);
    let arm = env.run_with(
        &[
            "plan",
            "-f",
            &file,
            "--arm-endpoint",
            "http://management.example.com",
        ],
        &[],
        &[],
    );
    assert_eq!(arm.code, 1, "{arm:?}");
    assert!(
        arm.stderr.contains("--arm-endpoint") && arm.stderr.contains("must be https"),
        "{arm:?}"
    );
    let authority = env.run_with(
        &["plan", "-f", &file],
        &[("AZURE_AUTHORITY_HOST", "http://login.example.com")],
        &[],
    );
    assert_eq!(authority.code, 1, "{authority:?}");
    assert!(
        authority.stderr.contains("AZURE_AUTHORITY_HOST")
            && authority.stderr.contains("must be https"),
        "{authority:?}"
    );
    let counts = env.emu().request_counts();
    assert_eq!(
        (counts.get("token"), counts.arm_total()),
        (0, 0),
        "{counts:?}"
    );
}

#[test]
fn the_cloud_sets_the_arm_endpoint_and_authority() {
    let env = TestEnv::demo();
    let file = example(&env);
    // Client-secret auth without a secret fails before any network call, after the endpoints are
    // chosen and logged.
    for (cloud, arm, login) in [
        (
            "usgov",
            "https://management.usgovcloudapi.net",
            "https://login.microsoftonline.us",
        ),
        (
            "china",
            "https://management.chinacloudapi.cn",
            "https://login.chinacloudapi.cn",
        ),
        (
            "public",
            "https://management.azure.com",
            "https://login.microsoftonline.com",
        ),
    ] {
        let run = env.run_with(
            &[
                "plan",
                "-f",
                &file,
                "--cloud",
                cloud,
                "--auth",
                "client-secret",
                "-v",
            ],
            &[],
            &[
                "KUSTO_PRINCIPALS_ARM_ENDPOINT",
                "AZURE_AUTHORITY_HOST",
                "AZURE_CLIENT_SECRET",
            ],
        );
        assert_eq!(run.code, 1, "{run:?}");
        assert!(
            run.stderr
                .contains(&format!("ARM endpoint {arm}, authority {login}")),
            "{cloud}: {run:?}"
        );
        assert!(
            run.stderr.contains("AZURE_CLIENT_SECRET not set"),
            "{run:?}"
        );
    }
    // An explicit endpoint and authority win over the cloud's.
    let run = env.run_with(&["plan", "-f", &file, "--cloud", "china", "-v"], &[], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let emu = env.emu().endpoint();
    assert!(
        run.stderr
            .contains(&format!("ARM endpoint {emu}, authority {emu}")),
        "{run:?}"
    );
}
