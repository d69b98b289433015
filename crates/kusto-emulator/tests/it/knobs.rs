//! The emulator's knobs, each through HTTP: throttling, paging, faults, operation polls, write
//! conflicts, Entra ID lag, latency, and one-write responses on keep-alive connections.

use std::time::{Duration, Instant};

use kusto_emulator::{AssignmentState, EmulatorOptions, EmulatorState, demo_state};
use kusto_emulator::{PrincipalType, Role};

use crate::support::*;

fn list_path() -> String {
    format!("{}/principalAssignments?{V}", demo_cluster())
}

#[tokio::test]
async fn a_throttled_burst_gets_429_with_retry_after_and_budget_headers() {
    // Reads: 250 * 0.02 = 5 tokens, refilled at 0.5/s.
    let api = Api::start(demo_state(), EmulatorOptions::default().throttle(0.02)).await;
    let mut remaining = Vec::new();
    let mut throttled = Vec::new();
    for _ in 0..8 {
        let r = api.get(&list_path()).await;
        let left = r
            .header("x-ms-ratelimit-remaining-subscription-reads")
            .map(str::to_string);
        match r.status {
            200 => remaining.push(left.expect("budget header on success")),
            429 => throttled.push(r),
            s => panic!("unexpected {s}"),
        }
    }
    assert_eq!(remaining[..5], ["4", "3", "2", "1", "0"]);
    assert!(!throttled.is_empty(), "the burst was never throttled");
    for r in &throttled {
        assert_eq!(r.json()["error"]["code"], "TooManyRequests");
        let wait: u64 = r
            .header("retry-after")
            .expect("Retry-After")
            .parse()
            .expect("seconds");
        assert!(wait >= 1);
        assert_eq!(
            r.header("x-ms-ratelimit-remaining-subscription-reads"),
            Some("0")
        );
    }
    // Writes have their own bucket.
    let put = api
        .send(
            "PUT",
            &format!("{}/principalAssignments/w?{V}", demo_cluster()),
            Some(&assignment(
                "bob@contoso.com",
                "User",
                "AllDatabasesMonitor",
            )),
        )
        .await;
    assert_eq!(put.status, 201);
    assert_eq!(
        put.header("x-ms-ratelimit-remaining-subscription-writes"),
        Some("3")
    );
}

#[tokio::test]
async fn paging_returns_every_item_exactly_once() {
    let mut state = demo_state();
    state.clusters[0].principals = (0..7)
        .map(|i| AssignmentState {
            name: format!("a{i}"),
            principal_id: format!("{i:08}-0000-4000-8000-000000000000"),
            principal_type: PrincipalType::App,
            role: Role::AllDatabasesViewer,
            tenant_id: None,
        })
        .collect();
    state.directory = None;
    let api = Api::start(state, EmulatorOptions::default().page_size(3)).await;
    let mut next = Some(list_path());
    let (mut names, mut pages) = (Vec::new(), 0);
    while let Some(url) = next {
        let page = api.get(&url).await.json();
        pages += 1;
        names.extend(
            page["value"]
                .as_array()
                .expect("value")
                .iter()
                .map(|v| v["name"].as_str().unwrap_or("").to_string()),
        );
        next = page["nextLink"].as_str().map(str::to_string);
        assert!(pages < 10, "paging does not end");
    }
    let want: Vec<String> = (0..7).map(|i| format!("mykustocluster/a{i}")).collect();
    assert_eq!((names, pages), (want, 3));
    let dbs = api
        .get(&format!("{}/databases?{V}", demo_cluster()))
        .await
        .json();
    assert_eq!(dbs["value"].as_array().map(Vec::len), Some(2));
    assert!(dbs.get("nextLink").is_none());
}

/// Status codes of 40 requests (0: connection reset).
async fn fault_run(seed: u64) -> Vec<u16> {
    let api = Api::start(
        demo_state(),
        EmulatorOptions::default().seed(seed).fault_rate(0.5),
    )
    .await;
    let mut out = Vec::new();
    for _ in 0..40 {
        out.push(
            api.try_send("GET", &list_path(), None)
                .await
                .map_or(0, |r| {
                    if matches!(r.status, 429 | 503) {
                        assert_eq!(r.header("retry-after"), Some("1"), "{}", r.body);
                    }
                    r.status
                }),
        );
    }
    out
}

#[tokio::test]
async fn faults_are_reproducible_for_a_seed() {
    let a = fault_run(42).await;
    assert_eq!(a, fault_run(42).await);
    assert_ne!(a, fault_run(43).await);
    for code in [200, 429, 500, 503] {
        assert!(a.contains(&code), "{code} never seen in {a:?}");
    }
}

#[tokio::test]
async fn a_failed_operation_fault_fails_the_create_and_leaves_nothing() {
    // With rate 1 every request draws a fault; seek a seed whose first draw is a failed operation.
    let item = format!("{}/principalAssignments/f?{V}", demo_cluster());
    let body = assignment("bob@contoso.com", "User", "AllDatabasesMonitor");
    for seed in 0..200 {
        let api = Api::start(
            demo_state(),
            EmulatorOptions::default().seed(seed).fault_rate(1.0),
        )
        .await;
        let Some(put) = api.try_send("PUT", &item, Some(&body)).await else {
            continue;
        };
        if put.status != 201 {
            continue;
        }
        let op = api.send_raw(
            "GET",
            put.header("azure-asyncoperation").expect("op"),
            None,
            Some(&api.token),
        );
        // The poll itself may draw a fault; the write history records the operation's end.
        let _ = op.await;
        let h = api.emu.write_history();
        assert_eq!(h[0].operation_status.as_deref(), Some("Failed"), "{h:?}");
        assert!(
            api.emu.snapshot().clusters[0]
                .principals
                .iter()
                .all(|a| a.name != "f")
        );
        return;
    }
    panic!("no seed in 0..200 drew a failed operation first");
}

#[tokio::test]
async fn operations_answer_running_for_the_configured_polls() {
    let api = Api::start(demo_state(), EmulatorOptions::default().lro_polls(2)).await;
    let item = format!(
        "{}/databases/sales/principalAssignments/p?{V}",
        demo_cluster()
    );
    let put = api
        .send(
            "PUT",
            &item,
            Some(&assignment("bob@contoso.com", "User", "Monitor")),
        )
        .await;
    let op = put.header("azure-asyncoperation").expect("op").to_string();
    let creating = api.get(&item).await.json();
    assert_eq!(creating["properties"]["provisioningState"], "Creating");
    assert!(creating["properties"].get("aadObjectId").is_none());
    let location = format!("{op}&operationResultResponseType=Location");
    let first = api.get(&location).await;
    assert_eq!(first.status, 202);
    assert!(first.header("location").is_some());
    assert_eq!(api.get(&op).await.json()["status"], "Running");
    assert_eq!(api.get(&op).await.json()["status"], "Succeeded");
    assert_eq!(api.get(&location).await.status, 200);
    assert_eq!(
        api.get(&item).await.json()["properties"]["aadObjectId"],
        "9b0f6a2e-1c3d-4e5f-8a7b-6c5d4e3f2a02"
    );
}

#[tokio::test]
async fn a_write_during_another_operation_on_the_cluster_gets_409() {
    let api = Api::start(demo_state(), EmulatorOptions::default().lro_polls(1)).await;
    let a = format!(
        "{}/databases/sales/principalAssignments/a?{V}",
        demo_cluster()
    );
    let b = format!("{}/principalAssignments/b?{V}", demo_cluster());
    let put = api
        .send(
            "PUT",
            &a,
            Some(&assignment("bob@contoso.com", "User", "Monitor")),
        )
        .await;
    let op = put.header("azure-asyncoperation").expect("op").to_string();
    let clash = api
        .send(
            "PUT",
            &b,
            Some(&assignment(
                "bob@contoso.com",
                "User",
                "AllDatabasesMonitor",
            )),
        )
        .await;
    assert_eq!(clash.status, 409);
    assert_eq!(clash.json()["error"]["code"], "Conflict");
    assert_eq!(api.send("DELETE", &a, None).await.status, 409);
    while api.get(&op).await.json()["status"] == "Running" {}
    assert_eq!(
        api.send(
            "PUT",
            &b,
            Some(&assignment(
                "bob@contoso.com",
                "User",
                "AllDatabasesMonitor"
            ))
        )
        .await
        .status,
        201
    );

    let relaxed = Api::start(
        demo_state(),
        EmulatorOptions::default()
            .lro_polls(1)
            .write_conflicts(false),
    )
    .await;
    relaxed
        .send(
            "PUT",
            &a,
            Some(&assignment("bob@contoso.com", "User", "Monitor")),
        )
        .await;
    let b_body = assignment("bob@contoso.com", "User", "AllDatabasesMonitor");
    assert_eq!(relaxed.send("PUT", &b, Some(&b_body)).await.status, 201);
}

#[tokio::test]
async fn a_new_principal_resolves_only_after_the_aad_lag() {
    // alice@contoso.com is in the demo directory but no seeded assignment uses her: she is "new".
    let lag = Duration::from_millis(300);
    let api = Api::start(demo_state(), EmulatorOptions::default().aad_lag(lag)).await;
    let item = format!(
        "{}/databases/sales/principalAssignments/alice?{V}",
        demo_cluster()
    );
    let body = assignment("alice@contoso.com", "User", "User");
    let put = api.send("PUT", &item, Some(&body)).await;
    assert_eq!(put.status, 201);
    let op = api
        .get(put.header("azure-asyncoperation").expect("op"))
        .await
        .json();
    assert_eq!(op["status"], "Failed");
    assert!(
        op["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("AAD principal was not found"),
        "{op}"
    );
    assert_eq!(api.get(&item).await.status, 404);
    // Unknown to the directory: fails for good.
    let stranger = api
        .send(
            "PUT",
            &item,
            Some(&assignment("mallory@contoso.com", "User", "User")),
        )
        .await;
    assert_eq!(
        api.get(stranger.header("azure-asyncoperation").expect("op"))
            .await
            .json()["status"],
        "Failed"
    );
    within("aad lag", async {
        loop {
            let put = api.send("PUT", &item, Some(&body)).await;
            let status = api
                .get(put.header("azure-asyncoperation").expect("op"))
                .await
                .json()["status"]
                .clone();
            if status == "Succeeded" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
}

#[tokio::test]
async fn latency_is_added_and_keep_alive_answers_are_not_delayed() {
    let slow = Api::start(demo_state(), EmulatorOptions::default().latency_ms(60)).await;
    let t = Instant::now();
    assert_eq!(slow.get(&list_path()).await.status, 200);
    assert!(t.elapsed() >= Duration::from_millis(60));

    // A split header/body write would cost ~40 ms per request through delayed ACKs.
    let fast = Api::start(demo_state(), EmulatorOptions::default()).await;
    fast.get(&list_path()).await;
    let t = Instant::now();
    for _ in 0..20 {
        assert_eq!(fast.get(&list_path()).await.status, 200);
    }
    assert!(
        t.elapsed() < Duration::from_millis(500),
        "20 keep-alive requests took {:?}",
        t.elapsed()
    );
}

#[tokio::test]
async fn the_seed_state_may_name_any_world() {
    let text = "tenant_id: t\ncredentials: {client_id: c, client_secret: s}\nclusters:\n  - {subscription: s1, resource_group: rg, name: k}\n";
    let api = Api::start(
        EmulatorState::from_yaml(text).expect("state"),
        EmulatorOptions::default(),
    )
    .await;
    let list = api
        .get(&format!(
            "/subscriptions/s1/providers/Microsoft.Kusto/clusters?{V}"
        ))
        .await
        .json();
    assert_eq!(list["value"][0]["location"], "East US");
    assert_eq!(
        list["value"][0]["properties"]["uri"],
        "https://k.eastus.kusto.windows.net"
    );
}
