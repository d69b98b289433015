//! Identity as Azure records it, over HTTP: a user's `principalId` reads back as the mail whatever
//! form was sent, a guest's `#EXT#` UPN only inside `principalName`, an app by object id keeps it;
//! duplicates by resolved principal (or by raw string, the knob); the emulator's client as a
//! service principal; and the Microsoft Graph stand-in. Recorded values come from
//! `tests/fixtures/service-states/observed.json` (sources noted there).

use kusto_emulator::{EmulatorOptions, EmulatorState};
use serde_json::{Value, json};

use crate::support::*;

fn observed() -> Value {
    serde_json::from_str(include_str!("../fixtures/service-states/observed.json")).unwrap()
}

/// A directory with a member whose UPN differs from the mail, the recorded guest, an app and a
/// group.
fn state() -> EmulatorState {
    let guest = &observed()["guest_principal"];
    let text = format!(
        r#"
tenant_id: 12345678-1234-1234-1234-123456789012
tenant_name: Contoso
credentials: {{client_id: 0e0e0e0e-0000-4000-8000-000000000001, client_secret: s, display_name: estate-pipeline}}
directory:
  - {{type: User, id: dana@contoso.onmicrosoft.com, mail: dana.lee@contoso.com, object_id: 11111111-0000-4000-8000-00000000000d, display_name: Dana Lee}}
  - {{type: User, id: "{mail}", upn: "{upn}", object_id: de9050dc-0000-4000-8000-000000000001, display_name: "{name}"}}
  - {{type: App, id: 2c8e7a10-3d4f-4b6a-9c1d-0e2f3a4b5c6d, object_id: 68102e67-0000-4000-8000-000000000001, display_name: ingestion-service}}
  - {{type: Group, id: data-analysts@contoso.com, object_id: 3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a601, display_name: Data Analysts}}
  - {{type: User, id: late@contoso.com, object_id: 11111111-0000-4000-8000-00000000000e, display_name: Late Hire, lag_secs: 3600}}
clusters:
  - subscription: {SUB}
    resource_group: testrg
    name: mykustocluster
    databases: [{{name: sales}}]
"#,
        mail = guest["principalId"].as_str().unwrap(),
        upn = guest["upn"].as_str().unwrap(),
        name = guest["displayName"].as_str().unwrap(),
    );
    EmulatorState::from_yaml(&text).unwrap()
}

fn item(name: &str) -> String {
    format!(
        "{}/databases/sales/principalAssignments/{name}?{V}",
        demo_cluster()
    )
}

/// PUTs, then GETs the assignment's properties.
async fn grant(api: &Api, name: &str, id: &str, ty: &str, role: &str) -> Value {
    let put = api
        .send("PUT", &item(name), Some(&assignment(id, ty, role)))
        .await;
    assert_eq!(put.status, 201, "{}", put.body);
    assert_eq!(
        put.json()["properties"]["principalId"],
        id,
        "the create echoes what was sent"
    );
    api.get(&item(name)).await.json()["properties"].clone()
}

#[tokio::test]
async fn users_read_back_as_their_mail_whatever_form_was_sent() {
    let api = Api::start(state(), EmulatorOptions::default()).await;
    let by_upn = grant(&api, "a", "dana@contoso.onmicrosoft.com", "User", "Viewer").await;
    assert_eq!(by_upn["principalId"], "dana.lee@contoso.com");
    assert_eq!(
        by_upn["principalName"],
        "Dana Lee (dana@contoso.onmicrosoft.com)"
    );
    assert_eq!(
        by_upn["aadObjectId"],
        "11111111-0000-4000-8000-00000000000d"
    );
    let by_oid = grant(
        &api,
        "b",
        "11111111-0000-4000-8000-00000000000d",
        "User",
        "Admin",
    )
    .await;
    assert_eq!(by_oid["principalId"], "dana.lee@contoso.com");
    let by_mail = grant(&api, "c", "dana.lee@contoso.com", "User", "Ingestor").await;
    assert_eq!(by_mail["principalId"], "dana.lee@contoso.com");
    let listed = api
        .get(&format!(
            "{}/databases/sales/principalAssignments?{V}",
            demo_cluster()
        ))
        .await
        .json();
    let ids: Vec<&str> = listed["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["properties"]["principalId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["dana.lee@contoso.com"; 3]);
    let writes = api.emu.write_history();
    assert_eq!(
        writes[0].principal_id.as_deref(),
        Some("dana@contoso.onmicrosoft.com"),
        "the write history keeps what was sent"
    );
}

#[tokio::test]
async fn a_guest_shows_its_ext_upn_only_inside_principal_name() {
    let guest = observed()["guest_principal"].clone();
    let api = Api::start(state(), EmulatorOptions::default()).await;
    let p = grant(&api, "g", guest["upn"].as_str().unwrap(), "User", "Viewer").await;
    assert_eq!(p["principalId"], guest["principalId"]);
    assert_eq!(p["principalName"], guest["principalName"]);
    assert!(!p["principalId"].as_str().unwrap().contains("#EXT#"));
}

#[tokio::test]
async fn an_app_keeps_the_form_it_was_granted_by() {
    let api = Api::start(state(), EmulatorOptions::default()).await;
    let by_oid = grant(
        &api,
        "o",
        "68102e67-0000-4000-8000-000000000001",
        "App",
        "Viewer",
    )
    .await;
    assert_eq!(
        by_oid["principalId"],
        "68102e67-0000-4000-8000-000000000001"
    );
    assert_eq!(by_oid["aadObjectId"], by_oid["principalId"]);
    assert_eq!(by_oid["principalName"], "ingestion-service");
    let by_app_id = grant(
        &api,
        "i",
        "2c8e7a10-3d4f-4b6a-9c1d-0e2f3a4b5c6d",
        "App",
        "Admin",
    )
    .await;
    assert_eq!(
        by_app_id["principalId"],
        "2c8e7a10-3d4f-4b6a-9c1d-0e2f3a4b5c6d"
    );
    assert_eq!(
        by_app_id["aadObjectId"],
        "68102e67-0000-4000-8000-000000000001"
    );
}

#[tokio::test]
async fn duplicates_compare_the_resolved_principal_unless_the_knob_says_raw() {
    let api = Api::start(state(), EmulatorOptions::default()).await;
    grant(
        &api,
        "first",
        "dana@contoso.onmicrosoft.com",
        "User",
        "Viewer",
    )
    .await;
    let clash = api
        .send(
            "PUT",
            &item("second"),
            Some(&assignment(
                "11111111-0000-4000-8000-00000000000d",
                "User",
                "Viewer",
            )),
        )
        .await;
    assert_eq!(clash.status, 400, "{}", clash.body);
    assert!(
        clash.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("(name: 'first') already exists with the same role and principal id")
    );
    let raw = Api::start(state(), EmulatorOptions::default().raw_duplicates(true)).await;
    grant(
        &raw,
        "first",
        "dana@contoso.onmicrosoft.com",
        "User",
        "Viewer",
    )
    .await;
    let second = grant(
        &raw,
        "second",
        "11111111-0000-4000-8000-00000000000d",
        "User",
        "Viewer",
    )
    .await;
    assert_eq!(second["principalId"], "dana.lee@contoso.com");
}

#[tokio::test]
async fn the_emulators_client_is_a_service_principal_of_its_directory() {
    let api = Api::start(state(), EmulatorOptions::default()).await;
    let db = format!("{}/databases/newdb?{V}", demo_cluster());
    let put = api
        .send(
            "PUT",
            &db,
            Some(&json!({"location": "East US", "kind": "ReadWrite"})),
        )
        .await;
    assert_eq!(put.status, 201, "{}", put.body);
    let list = api
        .get(&format!(
            "{}/databases/newdb/principalAssignments?{V}",
            demo_cluster()
        ))
        .await
        .json();
    let admin = &list["value"][0]["properties"];
    assert_eq!(admin["principalId"], api.emu.client_id());
    assert_eq!(admin["principalName"], "estate-pipeline");
    assert!(admin["aadObjectId"].as_str().is_some_and(|o| o.len() == 36));
    let dump = api.emu.snapshot();
    assert_eq!(
        dump.directory.as_ref().map(Vec::len),
        Some(5),
        "the client is not written into the directory"
    );
    assert_eq!(EmulatorState::from_yaml(&dump.to_yaml()).unwrap(), dump);
    assert_eq!(
        dump.directory.unwrap()[0].mail.as_deref(),
        Some("dana.lee@contoso.com")
    );
}

/// A token from the emulator's token endpoint for `scope`.
async fn token_for(api: &Api, scope: &str) -> String {
    let form: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "client_credentials")
        .append_pair("client_id", api.emu.client_id())
        .append_pair("client_secret", api.emu.client_secret())
        .append_pair("scope", scope)
        .finish();
    let url = format!(
        "{}/{}/oauth2/v2.0/token",
        api.emu.endpoint(),
        api.emu.tenant_id()
    );
    let req = api
        .http
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form);
    let resp = within("token", req.send()).await.unwrap();
    assert_eq!(resp.status(), 200);
    let v: Value = within("token body", resp.json()).await.unwrap();
    v["access_token"].as_str().unwrap().to_string()
}

async fn graph(api: &Api, token: &str, path: &str) -> Resp {
    api.send_raw("GET", &format!("/v1.0{path}"), None, Some(token))
        .await
}

#[tokio::test]
async fn graph_finds_users_by_id_or_upn_and_by_filter_on_mail() {
    let api = Api::start(state(), EmulatorOptions::default()).await;
    let t = token_for(&api, "https://graph.microsoft.com/.default").await;
    let dana = graph(&api, &t, "/users/dana@contoso.onmicrosoft.com").await;
    assert_eq!(dana.status, 200, "{}", dana.body);
    let v = dana.json();
    assert_eq!(v["id"], "11111111-0000-4000-8000-00000000000d");
    assert_eq!(v["mail"], "dana.lee@contoso.com");
    assert_eq!(v["userPrincipalName"], "dana@contoso.onmicrosoft.com");
    assert_eq!(v["displayName"], "Dana Lee");
    assert!(
        v["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("$metadata#users/$entity")
    );
    assert!(
        dana.header("x-ms-correlation-request-id").is_none(),
        "not an ARM answer"
    );
    let by_oid = graph(&api, &t, "/users/11111111-0000-4000-8000-00000000000d").await;
    assert_eq!(
        by_oid.json()["userPrincipalName"],
        "dana@contoso.onmicrosoft.com"
    );
    let guest = observed()["guest_principal"].clone();
    let upn = guest["upn"].as_str().unwrap().replace('#', "%23");
    assert_eq!(
        graph(&api, &t, &format!("/users/{upn}")).await.json()["mail"],
        guest["principalId"]
    );
    let by_mail = graph(&api, &t, "/users/dana.lee@contoso.com").await;
    assert_eq!(by_mail.status, 404, "Graph finds users by id or UPN only");
    let e = by_mail.json();
    assert_eq!(e["error"]["code"], "Request_ResourceNotFound");
    assert!(e["error"]["innerError"]["request-id"].is_string());
    let filtered = graph(
        &api,
        &t,
        "/users?$filter=mail%20eq%20'DANA.LEE@contoso.com'",
    )
    .await
    .json();
    assert_eq!(filtered["value"].as_array().unwrap().len(), 1);
    assert_eq!(
        filtered["value"][0]["id"],
        "11111111-0000-4000-8000-00000000000d"
    );
    let late = graph(&api, &t, "/users/late@contoso.com").await;
    assert_eq!(
        late.status, 404,
        "a principal inside its replication lag is not there yet"
    );
    let bad = graph(&api, &t, "/users?$filter=startswith(mail,'d')").await;
    assert_eq!(
        (bad.status, bad.json()["error"]["code"].clone()),
        (400, json!("BadRequest"))
    );
}

#[tokio::test]
async fn graph_finds_groups_and_service_principals_and_batches() {
    let api = Api::start(state(), EmulatorOptions::default()).await;
    let t = token_for(&api, "https://graph.microsoft.com/.default").await;
    let g = graph(&api, &t, "/groups/3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a601")
        .await
        .json();
    assert_eq!(
        (g["displayName"].clone(), g["mail"].clone()),
        (json!("Data Analysts"), json!("data-analysts@contoso.com"))
    );
    assert_eq!(g["securityEnabled"], true);
    let by_name = graph(
        &api,
        &t,
        "/groups?$filter=displayName%20eq%20'Data%20Analysts'",
    )
    .await
    .json();
    assert_eq!(
        by_name["value"][0]["id"],
        "3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a601"
    );
    let sp = graph(
        &api,
        &t,
        "/servicePrincipals(appId='2c8e7a10-3d4f-4b6a-9c1d-0e2f3a4b5c6d')",
    )
    .await;
    assert_eq!(sp.status, 200, "{}", sp.body);
    assert_eq!(sp.json()["id"], "68102e67-0000-4000-8000-000000000001");
    assert_eq!(sp.json()["appId"], "2c8e7a10-3d4f-4b6a-9c1d-0e2f3a4b5c6d");
    let own = graph(
        &api,
        &t,
        &format!("/servicePrincipals(appId='{}')", api.emu.client_id()),
    )
    .await;
    assert_eq!(own.json()["displayName"], "estate-pipeline");
    let missing = graph(
        &api,
        &t,
        "/servicePrincipals(appId='00000000-0000-0000-0000-000000000000')",
    )
    .await;
    assert_eq!(missing.status, 404);
    let batch = json!({"requests": [
        {"id": "1", "method": "GET", "url": "/users/dana@contoso.onmicrosoft.com"},
        {"id": "2", "method": "GET", "url": "/groups/nope"},
    ]});
    let r = api
        .send_raw("POST", "/v1.0/$batch", Some(batch.to_string()), Some(&t))
        .await
        .json();
    assert_eq!(r["responses"][0]["status"], 200);
    assert_eq!(r["responses"][0]["body"]["mail"], "dana.lee@contoso.com");
    assert_eq!(r["responses"][1]["status"], 404);
    assert_eq!(api.emu.request_counts().get("graph"), 6);
}

#[tokio::test]
async fn graph_and_arm_tokens_are_not_interchangeable() {
    let api = Api::start(state(), EmulatorOptions::default()).await;
    let graph_token = token_for(&api, "https://graph.microsoft.com/.default").await;
    let arm_on_graph = graph(&api, &api.token, "/users/dana@contoso.onmicrosoft.com").await;
    assert_eq!(arm_on_graph.status, 401);
    assert_eq!(
        arm_on_graph.json()["error"]["code"],
        "InvalidAuthenticationToken"
    );
    assert_eq!(
        arm_on_graph.json()["error"]["message"],
        "Access token validation failure. Invalid audience."
    );
    let graph_on_arm = api
        .send_raw(
            "GET",
            &format!("{}/principalAssignments?{V}", demo_cluster()),
            None,
            Some(&graph_token),
        )
        .await;
    assert_eq!(graph_on_arm.status, 401);
    assert_eq!(graph(&api, "", "/users/x").await.status, 401);
}
