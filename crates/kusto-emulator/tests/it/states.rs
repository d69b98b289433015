//! Service states over HTTP: stopped clusters and their recorded errors, `stop`/`start` as
//! operations, follower databases, `ServiceIsInMaintenance` in the operation result, and the
//! in-place role change answered as an operation. Recorded values come from
//! `tests/fixtures/service-states/observed.json` (sources noted there).

use kusto_emulator::{ClusterPowerState, EmulatorOptions, EmulatorState, demo_state};
use serde_json::{Value, json};

use crate::support::*;

fn observed() -> Value {
    serde_json::from_str(include_str!("../fixtures/service-states/observed.json")).unwrap()
}

fn stopped_demo() -> EmulatorState {
    let mut s = demo_state();
    s.clusters[0].state = ClusterPowerState::Stopped;
    s
}

fn assert_error(r: &Resp, expected: &Value) {
    assert_eq!(
        r.status,
        expected["status"].as_u64().unwrap() as u16,
        "{}",
        r.body
    );
    assert_eq!(r.json()["error"]["code"], expected["code"]);
    assert_eq!(r.json()["error"]["message"], expected["message"]);
}

#[tokio::test]
async fn a_stopped_cluster_refuses_principals_and_databases_as_recorded_but_shows_itself() {
    let api = Api::start(stopped_demo(), EmulatorOptions::default()).await;
    let c = demo_cluster();
    let cluster = api.get(&format!("{c}?{V}")).await;
    assert_eq!(cluster.status, 200);
    assert_eq!(cluster.json()["properties"]["state"], "Stopped");
    let principals = &observed()["stopped_principals"];
    for path in [
        format!("{c}/principalAssignments?{V}"),
        format!("{c}/principalAssignments/clusterPrincipalAssignment1?{V}"),
        format!("{c}/databases/sales/principalAssignments?{V}"),
    ] {
        assert_error(&api.get(&path).await, principals);
    }
    let put = api
        .send(
            "PUT",
            &format!("{c}/principalAssignments/new?{V}"),
            Some(&assignment("bob@contoso.com", "User", "AllDatabasesViewer")),
        )
        .await;
    assert_error(&put, principals);
    let del = api
        .send(
            "DELETE",
            &format!("{c}/principalAssignments/portal-added-viewer?{V}"),
            None,
        )
        .await;
    assert_error(&del, principals);
    let databases = &observed()["stopped_databases"];
    assert_error(&api.get(&format!("{c}/databases?{V}")).await, databases);
    assert_error(
        &api.get(&format!("{c}/databases/sales?{V}")).await,
        databases,
    );
    let history = api.emu.write_history();
    assert_eq!(history.len(), 2, "refused writes are in the history");
    assert!(history.iter().all(|h| h.status == 400));
    assert_eq!(api.emu.snapshot(), stopped_demo(), "nothing changed");
    assert!(api.emu.snapshot().to_yaml().contains("state: Stopped"));
}

async fn poll(api: &Api, url: &str) -> Value {
    api.get(url).await.json()
}

#[tokio::test]
async fn stop_and_start_are_operations_that_move_the_cluster_through_its_states() {
    let api = Api::start(demo_state(), EmulatorOptions::default().lro_polls(1)).await;
    let c = demo_cluster();
    let stop = api.send("POST", &format!("{c}/stop?{V}"), None).await;
    assert_eq!(stop.status, 202, "{}", stop.body);
    assert!(stop.header("Location").is_some());
    let op = stop.header("Azure-AsyncOperation").unwrap().to_string();
    assert_eq!(
        api.get(&format!("{c}?{V}")).await.json()["properties"]["state"],
        "Stopping"
    );
    assert_eq!(poll(&api, &op).await["status"], "Running");
    let done = poll(&api, &op).await;
    assert_eq!(done["status"], "Succeeded");
    assert_eq!(done["properties"]["operationKind"], "ClusterStop");
    assert_eq!(
        api.get(&format!("{c}?{V}")).await.json()["properties"]["state"],
        "Stopped"
    );
    assert_eq!(
        api.get(&format!("{c}/principalAssignments?{V}"))
            .await
            .status,
        400
    );
    let again = api.send("POST", &format!("{c}/stop?{V}"), None).await;
    assert_eq!(again.status, 409, "a stopped cluster cannot stop");
    let start = api.send("POST", &format!("{c}/start?{V}"), None).await;
    assert_eq!(start.status, 202);
    let op = start.header("Azure-AsyncOperation").unwrap().to_string();
    assert_eq!(
        api.get(&format!("{c}?{V}")).await.json()["properties"]["state"],
        "Starting"
    );
    let list = api.get(&format!("{c}/principalAssignments?{V}")).await;
    assert_eq!(
        list.json()["error"]["message"],
        "[BadRequest] Cluster is in state 'Starting', cannot retrieve list of principals"
    );
    poll(&api, &op).await;
    assert_eq!(poll(&api, &op).await["status"], "Succeeded");
    assert_eq!(
        api.get(&format!("{c}/principalAssignments?{V}"))
            .await
            .status,
        200
    );
    assert_eq!(api.emu.request_counts().get("cluster_stop"), 2);
}

/// A leader cluster with a database, and a follower cluster following it three ways.
fn follower_state() -> EmulatorState {
    let leader = format!(
        "/subscriptions/{SUB}/resourceGroups/testrg/providers/Microsoft.Kusto/clusters/leader"
    );
    let text = format!(
        r#"
tenant_id: t
credentials: {{client_id: c, client_secret: s}}
clusters:
  - subscription: {SUB}
    resource_group: testrg
    name: leader
    databases:
      - name: shared
        principals:
          - {{name: leader-admin, principal_id: leader-app, principal_type: App, role: Admin}}
  - subscription: {SUB}
    resource_group: testrg
    name: mykustocluster
    databases:
      - name: union
        follower: {{leader_cluster_resource_id: "{leader}", original_database_name: shared}}
        principals:
          - {{name: own, principal_id: follower-app, principal_type: App, role: Viewer}}
      - name: replace
        follower: {{leader_cluster_resource_id: "{leader}", original_database_name: shared, principals_modification_kind: Replace}}
        principals:
          - {{name: own, principal_id: follower-app, principal_type: App, role: Viewer}}
      - name: none
        follower: {{leader_cluster_resource_id: "{leader}", original_database_name: shared, principals_modification_kind: None}}
        principals:
          - {{name: own, principal_id: follower-app, principal_type: App, role: Viewer}}
"#
    );
    EmulatorState::from_yaml(&text).unwrap()
}

async fn engine_ids(api: &Api, db: &str) -> Vec<String> {
    let r = api
        .send(
            "POST",
            &format!("{}/databases/{db}/listPrincipals?{V}", demo_cluster()),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{}:{}",
                p["appId"].as_str().unwrap(),
                p["role"].as_str().unwrap()
            )
        })
        .collect()
}

#[tokio::test]
async fn followers_show_their_kind_and_their_principals_by_modification_kind() {
    let api = Api::start(follower_state(), EmulatorOptions::default()).await;
    let c = demo_cluster();
    let db = api.get(&format!("{c}/databases/union?{V}")).await.json();
    assert_eq!(db["kind"], "ReadOnlyFollowing");
    let p = &db["properties"];
    assert!(
        p["leaderClusterResourceId"]
            .as_str()
            .unwrap()
            .ends_with("/clusters/leader")
    );
    assert_eq!(p["principalsModificationKind"], "Union");
    assert_eq!(p["originalDatabaseName"], "shared");
    assert_eq!(
        p["attachedDatabaseConfigurationName"],
        "attached-configuration"
    );
    assert!(p.get("isFollowed").is_none());
    let kinds: Vec<Value> = api.get(&format!("{c}/databases?{V}")).await.json()["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["properties"]["principalsModificationKind"].clone())
        .collect();
    assert_eq!(kinds, [json!("Union"), json!("Replace"), json!("None")]);
    let leader_db = format!(
        "/subscriptions/{SUB}/resourceGroups/testrg/providers/Microsoft.Kusto/clusters/leader/databases/shared?{V}"
    );
    assert_eq!(
        api.get(&leader_db).await.json()["properties"]["isFollowed"],
        true
    );
    assert_eq!(
        engine_ids(&api, "union").await,
        ["leader-app:Admin", "follower-app:Viewer"]
    );
    assert_eq!(engine_ids(&api, "replace").await, ["follower-app:Viewer"]);
    assert_eq!(engine_ids(&api, "none").await, ["leader-app:Admin"]);
    let own = api
        .get(&format!("{c}/databases/union/principalAssignments?{V}"))
        .await
        .json();
    assert_eq!(
        own["value"].as_array().unwrap().len(),
        1,
        "ARM lists the follower's own only"
    );
    assert_eq!(api.emu.snapshot(), follower_state());
}

#[tokio::test]
async fn a_write_to_a_none_follower_is_accepted_without_effect_unless_the_knob_refuses_it() {
    let body = assignment("other-app", "App", "Viewer");
    let path = format!(
        "{}/databases/none/principalAssignments/x?{V}",
        demo_cluster()
    );
    let api = Api::start(follower_state(), EmulatorOptions::default()).await;
    assert_eq!(api.send("PUT", &path, Some(&body)).await.status, 201);
    assert_eq!(engine_ids(&api, "none").await, ["leader-app:Admin"]);
    let strict = Api::start(
        follower_state(),
        EmulatorOptions::default().refuse_none_follower_writes(true),
    )
    .await;
    let refused = strict.send("PUT", &path, Some(&body)).await;
    assert_eq!(refused.status, 400);
    assert_eq!(
        refused.json()["error"]["code"],
        "CannotAlterFollowerDatabase"
    );
    let union = format!(
        "{}/databases/union/principalAssignments/x?{V}",
        demo_cluster()
    );
    assert_eq!(strict.send("PUT", &union, Some(&body)).await.status, 201);
}

fn sales(name: &str) -> String {
    format!(
        "{}/databases/sales/principalAssignments/{name}?{V}",
        demo_cluster()
    )
}

#[tokio::test]
async fn maintenance_fails_accepted_writes_in_their_operation_result() {
    let api = Api::start(demo_state(), EmulatorOptions::default().maintenance(2, 0.0)).await;
    let body = assignment("bob@contoso.com", "User", "Viewer");
    let expected = observed()["maintenance"]["message"]
        .as_str()
        .unwrap()
        .replace("acctestkc", "mykustocluster");
    for _ in 0..2 {
        let put = api.send("PUT", &sales("bob"), Some(&body)).await;
        assert_eq!(put.status, 201, "accepted first");
        let op = put.header("Azure-AsyncOperation").unwrap().to_string();
        let result = api.get(&op).await.json();
        assert_eq!(result["status"], "Failed");
        assert_eq!(result["error"]["code"], "ServiceIsInMaintenance");
        assert_eq!(result["error"]["message"], expected.as_str());
        let location = api
            .get(&format!("{op}&operationResultResponseType=Location"))
            .await;
        assert_eq!(location.status, 409);
        assert_eq!(
            api.get(&sales("bob")).await.status,
            404,
            "a failed create leaves nothing"
        );
    }
    let third = api.send("PUT", &sales("bob"), Some(&body)).await;
    let op = third.header("Azure-AsyncOperation").unwrap().to_string();
    assert_eq!(api.get(&op).await.json()["status"], "Succeeded");
    let statuses: Vec<Option<String>> = api
        .emu
        .write_history()
        .into_iter()
        .map(|h| h.operation_status)
        .collect();
    let s = |v: &str| Some(v.to_string());
    assert_eq!(statuses, [s("Failed"), s("Failed"), s("Succeeded")]);
}

#[tokio::test]
async fn an_in_place_role_change_is_accepted_as_an_operation() {
    let api = Api::start(demo_state(), EmulatorOptions::default().lro_polls(1)).await;
    let same = assignment("data-analysts@contoso.com", "Group", "Viewer");
    let again = api
        .send("PUT", &sales("analysts-viewer"), Some(&same))
        .await;
    assert_eq!(again.status, 200);
    assert_eq!(again.json()["properties"]["provisioningState"], "Succeeded");
    assert!(
        again.header("Azure-AsyncOperation").is_none(),
        "an identical re-PUT is synchronous"
    );
    let changed = assignment("data-analysts@contoso.com", "Group", "Admin");
    let put = api
        .send("PUT", &sales("analysts-viewer"), Some(&changed))
        .await;
    let recorded = &observed()["in_place_change"];
    assert_eq!(put.status, recorded["status"].as_u64().unwrap() as u16);
    assert_eq!(
        put.json()["properties"]["provisioningState"],
        recorded["provisioningState"]
    );
    assert_eq!(put.json()["properties"]["role"], "Admin");
    let op = put.header("Azure-AsyncOperation").unwrap().to_string();
    assert_eq!(api.get(&op).await.json()["status"], "Running");
    let done = api.get(&op).await.json();
    assert_eq!(done["status"], "Succeeded");
    assert_eq!(done["properties"]["operationKind"], "DatabaseAddPrincipals");
    let read = api.get(&sales("analysts-viewer")).await.json();
    assert_eq!(
        (
            read["properties"]["role"].clone(),
            read["properties"]["provisioningState"].clone()
        ),
        (json!("Admin"), json!("Succeeded"))
    );
    let engine = api
        .send(
            "POST",
            &format!("{}/databases/sales/listPrincipals?{V}", demo_cluster()),
            None,
        )
        .await
        .json();
    let roles: Vec<&str> = engine["value"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"] == "Data Analysts")
        .map(|p| p["role"].as_str().unwrap())
        .collect();
    assert_eq!(
        roles,
        ["Admin"],
        "the engine follows once the operation is done"
    );
}

#[tokio::test]
async fn a_failed_in_place_change_leaves_the_old_role() {
    let api = Api::start(demo_state(), EmulatorOptions::default().maintenance(1, 0.0)).await;
    let changed = assignment("data-analysts@contoso.com", "Group", "Admin");
    let put = api
        .send("PUT", &sales("analysts-viewer"), Some(&changed))
        .await;
    assert_eq!(put.status, 200);
    let op = put.header("Azure-AsyncOperation").unwrap().to_string();
    assert_eq!(
        api.get(&op).await.json()["error"]["code"],
        "ServiceIsInMaintenance"
    );
    let read = api.get(&sales("analysts-viewer")).await.json();
    assert_eq!(read["properties"]["role"], "Viewer");
    assert_eq!(api.emu.snapshot(), demo_state());
}
