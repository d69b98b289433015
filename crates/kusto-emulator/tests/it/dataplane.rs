//! The databases' data-plane principals (`listPrincipals`, `addPrincipals`, `removePrincipals`;
//! docs/arm-service.md §7) and database create/delete with the caller made Admin (P6), through HTTP.

use kusto_emulator::{EmulatorOptions, EmulatorState};
use serde_json::{Value, json};

use crate::support::*;

const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const APP: &str = "609982ee-9c2e-4d6d-ad0b-f54bbe0d394b";

/// Cluster `c1` with database `db1`, where `app` holds Viewer through an ARM assignment; a closed
/// directory of that app, one user and one group.
fn world(extra: &str) -> EmulatorState {
    let text = format!(
        r#"
tenant_id: {TENANT}
tenant_name: Contoso
credentials: {{client_id: 0e0e0e0e-0000-4000-8000-00000000c0de, client_secret: s}}
directory:
  - {{type: App, id: {APP}, object_id: 472902ed-60bc-4f67-9083-616d72c98e78, display_name: deployer}}
  - {{type: User, id: ann@contoso.com, object_id: de9050dc-ffd4-444c-b113-b94ad83e7559, display_name: Ann}}
  - {{type: Group, id: readers, object_id: 11111111-2222-4333-8444-555555555555, display_name: Readers}}
clusters:
  - subscription: {SUB}
    resource_group: rg
    name: c1
    databases:
      - name: db1
        principals:
          - {{name: viewer, principal_id: {APP}, principal_type: App, role: Viewer}}
{extra}"#
    );
    EmulatorState::from_yaml(&text).expect("test world")
}

fn cluster() -> String {
    format!("/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Kusto/clusters/c1")
}

fn db(rest: &str) -> String {
    format!("{}/databases/db1/{rest}?{V}", cluster())
}

async fn principals(api: &Api) -> Vec<Value> {
    let r = api.send("POST", &db("listPrincipals"), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["value"].as_array().cloned().unwrap_or_default()
}

fn fqns(list: &[Value]) -> Vec<String> {
    list.iter()
        .map(|p| {
            format!(
                "{}:{}",
                p["fqn"].as_str().unwrap_or(""),
                p["role"].as_str().unwrap_or("")
            )
        })
        .collect()
}

async fn arm_names(api: &Api) -> Vec<String> {
    let r = api.get(&db("principalAssignments")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["value"]
        .as_array()
        .expect("value")
        .iter()
        .map(|a| {
            a["name"]
                .as_str()
                .unwrap_or_default()
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

fn user_admin() -> Value {
    json!({"value": [{"role": "Admin", "name": "Ann", "type": "User", "email": "ann@contoso.com", "appId": ""}]})
}

#[tokio::test]
async fn assignments_show_in_the_list_and_data_plane_writes_stay_out_of_arm() {
    let api = Api::start(world(""), EmulatorOptions::default()).await;
    let list = principals(&api).await;
    assert_eq!(
        list[0],
        json!({"name": "deployer", "role": "Viewer", "type": "App", "fqn": format!("aadapp={APP};{TENANT}"),
               "email": "", "appId": APP, "tenantName": "Contoso"})
    );

    let added = api
        .send("POST", &db("addPrincipals"), Some(&user_admin()))
        .await;
    assert_eq!(added.status, 200, "{}", added.body);
    let after = added.json()["value"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(after.len(), 2);
    assert_eq!(
        after[1]["fqn"],
        format!("aaduser=de9050dc-ffd4-444c-b113-b94ad83e7559;{TENANT}")
    );
    assert_eq!(after[1]["name"], "Ann (ann@contoso.com)");
    // Adding again changes nothing; ARM never hears of it.
    let again = api
        .send("POST", &db("addPrincipals"), Some(&user_admin()))
        .await;
    assert_eq!(again.json()["value"].as_array().map(Vec::len), Some(2));
    assert_eq!(arm_names(&api).await, ["viewer"]);

    // Removing the assignment-made principal through the data plane leaves the assignment.
    let by_fqn = json!({"value": [{"role": "Viewer", "name": "x", "type": "App", "fqn": format!("aadapp={APP}")}]});
    let removed = api
        .send("POST", &db("removePrincipals"), Some(&by_fqn))
        .await;
    assert_eq!(removed.status, 200, "{}", removed.body);
    assert_eq!(
        fqns(
            &removed.json()["value"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        )
        .len(),
        1
    );
    assert_eq!(arm_names(&api).await, ["viewer"]);

    // The state dump keeps the list; a new emulator seeded with it serves the same list.
    let snapshot = api.emu.snapshot();
    assert_eq!(snapshot.data_plane.databases.len(), 1);
    let before = fqns(&principals(&api).await);
    let reseeded = Api::start(
        EmulatorState::from_yaml(&snapshot.to_yaml()).expect("dump parses"),
        EmulatorOptions::default(),
    )
    .await;
    assert_eq!(fqns(&principals(&reseeded).await), before);
}

#[tokio::test]
async fn arm_creates_and_deletes_reach_the_list() {
    let api = Api::start(world(""), EmulatorOptions::default()).await;
    let put = api
        .send(
            "PUT",
            &db("principalAssignments/readers-admin"),
            Some(&assignment("readers", "Group", "Admin")),
        )
        .await;
    assert_eq!(put.status, 201, "{}", put.body);
    let group = "aadgroup=11111111-2222-4333-8444-555555555555";
    assert_eq!(
        fqns(&principals(&api).await)[1],
        format!("{group};{TENANT}:Admin")
    );
    let role_change = api
        .send(
            "PUT",
            &db("principalAssignments/readers-admin"),
            Some(&assignment("readers", "Group", "Ingestor")),
        )
        .await;
    assert_eq!(role_change.status, 200);
    assert_eq!(
        fqns(&principals(&api).await)[1],
        format!("{group};{TENANT}:Ingestor")
    );
    let delete = api
        .send("DELETE", &db("principalAssignments/readers-admin"), None)
        .await;
    assert_eq!(delete.status, 202);
    assert_eq!(principals(&api).await.len(), 1);
}

#[tokio::test]
async fn bad_requests_change_nothing() {
    let api = Api::start(world(""), EmulatorOptions::default()).await;
    let unknown = json!({"value": [
        {"role": "Admin", "name": "a", "type": "User", "email": "ann@contoso.com"},
        {"role": "Admin", "name": "b", "type": "App", "appId": "00000000-0000-4000-8000-000000000000"}]});
    let r = api.send("POST", &db("addPrincipals"), Some(&unknown)).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"]["code"], "400-BadRequest");
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("of type 'AAD Application Id' was not found")
    );
    let bad_role = json!({"value": [{"role": "UnrestrictedViewers", "name": "a", "type": "User", "email": "ann@contoso.com"}]});
    let r = api
        .send("POST", &db("addPrincipals"), Some(&bad_role))
        .await;
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap_or("")
            .starts_with("Database principal role is invalid")
    );
    let wrong_kind = json!({"value": [{"role": "Admin", "name": "a", "type": "User", "fqn": format!("aadapp={APP}")}]});
    assert_eq!(
        api.send("POST", &db("addPrincipals"), Some(&wrong_kind))
            .await
            .status,
        400
    );
    assert_eq!(principals(&api).await.len(), 1, "nothing was added");
    let no_db = format!("{}/databases/nope/listPrincipals?{V}", cluster());
    assert_eq!(
        api.send("POST", &no_db, None).await.json()["error"]["code"],
        "ParentResourceNotFound"
    );
}

#[tokio::test]
async fn the_list_pages_like_any_arm_list() {
    let api = Api::start(world(""), EmulatorOptions::default().page_size(1)).await;
    api.send("POST", &db("addPrincipals"), Some(&user_admin()))
        .await;
    let first = api.send("POST", &db("listPrincipals"), None).await.json();
    let next = first["nextLink"].as_str().expect("nextLink").to_string();
    let second = api.send("POST", &next, None).await.json();
    assert_eq!(second["value"][0]["type"], "User");
    assert!(second.get("nextLink").is_none());
}

#[tokio::test]
async fn the_mirror_switch_carries_data_plane_writes_into_arm() {
    for (state, opts) in [
        (
            world("data_plane: {mirror: true}\n"),
            EmulatorOptions::default(),
        ),
        (
            world(""),
            EmulatorOptions::default().mirror_data_plane(true),
        ),
    ] {
        let api = Api::start(state, opts).await;
        api.send("POST", &db("addPrincipals"), Some(&user_admin()))
            .await;
        let names = arm_names(&api).await;
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(
            uuid::Uuid::parse_str(&names[1]).is_ok(),
            "a GUID name: {}",
            names[1]
        );
        let removed = api
            .send("POST", &db("removePrincipals"), Some(&user_admin()))
            .await;
        assert_eq!(removed.status, 200);
        assert_eq!(arm_names(&api).await, ["viewer"]);
        assert_eq!(principals(&api).await.len(), 1);
    }
}

async fn op_status(api: &Api, url: &str) -> Value {
    let r = api.get(url).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

#[tokio::test]
async fn a_database_create_makes_its_caller_admin_unless_told_not_to() {
    let api = Api::start(world(""), EmulatorOptions::default().lro_polls(1)).await;
    let path = format!("{}/databases/Sales?{V}", cluster());
    let put = api
        .send(
            "PUT",
            &path,
            Some(&json!({"location": "East US", "kind": "ReadWrite"})),
        )
        .await;
    assert_eq!(put.status, 201, "{}", put.body);
    assert_eq!(
        put.json(),
        json!({"id": format!("{}/Databases/Sales", cluster().replace("/clusters/", "/Clusters/")),
               "name": "c1/Sales", "type": "Microsoft.Kusto/Clusters/Databases", "location": "East US",
               "kind": "ReadWrite", "properties": {"provisioningState": "Creating"}})
    );
    assert!(put.header("location").is_none());
    let op = put
        .header("azure-asyncoperation")
        .expect("async header")
        .to_string();
    // While the create runs, the cluster refuses other writes, as Kusto does.
    let busy = api
        .send(
            "PUT",
            &db("principalAssignments/x"),
            Some(&assignment("readers", "Group", "Admin")),
        )
        .await;
    assert_eq!(busy.status, 409);
    assert_eq!(op_status(&api, &op).await["status"], "Running");
    let done = op_status(&api, &op).await;
    assert_eq!(
        (
            done["status"].as_str(),
            done["properties"]["operationKind"].as_str()
        ),
        (Some("Succeeded"), Some("DatabaseCreate"))
    );
    let got = api.get(&path).await.json();
    assert_eq!(got["properties"]["provisioningState"], "Succeeded");

    let list = api
        .get(&format!(
            "{}/databases/Sales/principalAssignments?{V}",
            cluster()
        ))
        .await
        .json();
    let admin = &list["value"][0];
    let name = admin["name"]
        .as_str()
        .unwrap_or_default()
        .rsplit('/')
        .next()
        .unwrap_or_default();
    assert!(uuid::Uuid::parse_str(name).is_ok(), "a GUID name: {name}");
    assert_eq!(admin["properties"]["principalId"], api.emu.client_id());
    assert_eq!(
        (
            admin["properties"]["principalType"].as_str(),
            admin["properties"]["role"].as_str()
        ),
        (Some("App"), Some("Admin"))
    );
    let engine = api
        .send(
            "POST",
            &format!("{}/databases/Sales/listPrincipals?{V}", cluster()),
            None,
        )
        .await
        .json();
    assert_eq!(engine["value"][0]["appId"], api.emu.client_id());

    let quiet = format!("{}/databases/Quiet?{V}&callerRole=None", cluster());
    let put = api
        .send("PUT", &quiet, Some(&json!({"kind": "ReadWrite"})))
        .await;
    assert_eq!(put.status, 201);
    op_status(&api, put.header("azure-asyncoperation").expect("async")).await;
    op_status(&api, put.header("azure-asyncoperation").expect("async")).await;
    let none = api
        .get(&format!(
            "{}/databases/Quiet/principalAssignments?{V}",
            cluster()
        ))
        .await
        .json();
    assert_eq!(none["value"], json!([]));
    let bad = format!("{}/databases/Bad?{V}&callerRole=Viewer", cluster());
    assert_eq!(
        api.send("PUT", &bad, Some(&json!({"kind": "ReadWrite"})))
            .await
            .status,
        400
    );
    assert_eq!(
        api.send(
            "PUT",
            &format!("{}/databases/Bad?{V}", cluster()),
            Some(&json!({}))
        )
        .await
        .status,
        400
    );
}

#[tokio::test]
async fn a_database_delete_is_an_operation_and_then_the_database_is_gone() {
    let api = Api::start(world(""), EmulatorOptions::default()).await;
    let path = format!("{}/databases/db1?{V}", cluster());
    let again = api
        .send(
            "PUT",
            &path,
            Some(&json!({"kind": "ReadWrite", "properties": {"hotCachePeriod": "P7D"}})),
        )
        .await;
    assert_eq!(again.status, 200, "an existing database is updated");
    assert_eq!(again.json()["properties"]["hotCachePeriod"], "P7D");
    let del = api.send("DELETE", &path, None).await;
    assert_eq!(del.status, 202);
    assert!(
        del.header("location")
            .is_some_and(|l| l.contains("operationResultResponseType=Location"))
    );
    let op = op_status(&api, del.header("azure-asyncoperation").expect("async")).await;
    assert_eq!(op["properties"]["operationKind"], "DatabaseDelete");
    assert_eq!(api.get(&path).await.status, 404);
    let dbs = api
        .get(&format!("{}/databases?{V}", cluster()))
        .await
        .json();
    assert_eq!(dbs["value"], json!([]));
    assert_eq!(api.send("DELETE", &path, None).await.status, 204);
    assert!(api.emu.snapshot().clusters[0].databases.is_empty());
    // The name is free again, with nothing left over from before.
    let put = api
        .send("PUT", &path, Some(&json!({"kind": "ReadWrite"})))
        .await;
    assert_eq!(put.status, 201);
    assert_eq!(
        arm_names(&api).await.len(),
        1,
        "only the new creator's Admin"
    );
}
