//! Replays every request of the ARM spec examples (`tests/fixtures/arm-spec-examples/`) against the
//! emulator and checks the status code and the response's shape: every field the example shows is
//! served with the same JSON type (ids, names and timestamps may differ).
//!
//! Known, deliberate differences from the examples, each following the real service:
//! - PUT answers carry no `tenantName`, `principalName` or `aadObjectId` (docs/arm-service.md §2, recorded).

use kusto_emulator::{
    AssignmentState, ClusterState, Credentials, DatabaseState, EmulatorOptions, EmulatorState,
};
use kusto_emulator::{PrincipalType, Role};
use serde_json::Value;

use crate::support::*;

const DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/arm-spec-examples/"
);
/// Fields the examples show on PUT answers that the real service sends only on GET/list (P3).
const RESOLVED_ONLY_LATER: [&str; 3] = ["tenantName", "principalName", "aadObjectId"];

fn app(name: &str, id: &str, role: Role) -> AssignmentState {
    AssignmentState {
        name: name.into(),
        principal_id: id.into(),
        principal_type: PrincipalType::App,
        role,
        tenant_id: None,
    }
}

/// The examples' world: cluster `kustoCluster` with database `Kustodatabase8`, and `kustoprincipal1`
/// at both scopes when `seeded`.
fn world(seeded: bool, directory: bool) -> EmulatorState {
    let pick = |v: Vec<AssignmentState>| if seeded { v } else { Vec::new() };
    EmulatorState {
        knobs: Default::default(),
        tenant_id: "12345678-1234-1234-1234-123456789123".into(),
        tenant_name: "tenantName".into(),
        credentials: Credentials {
            client_id: "conformance".into(),
            client_secret: "secret".into(),
            object_id: None,
            display_name: None,
        },
        directory: if directory { None } else { Some(Vec::new()) },
        clusters: vec![ClusterState {
            subscription: "12345678-1234-1234-1234-123456789098".into(),
            resource_group: "kustorptest".into(),
            name: "kustoCluster".into(),
            location: "West US".into(),
            state: Default::default(),
            principals: pick(vec![app(
                "kustoprincipal1",
                "87654321-1234-1234-1234-123456789123",
                Role::AllDatabasesAdmin,
            )]),
            databases: vec![DatabaseState {
                name: "Kustodatabase8".into(),
                follower: None,
                principals: pick(vec![
                    app(
                        "kustoprincipal1",
                        "11223344-1234-1234-1234-123456789999",
                        Role::Viewer,
                    ),
                    app(
                        "kustoprincipal2",
                        "87654321-1234-1234-1234-123456789123",
                        Role::Ingestor,
                    ),
                ]),
            }],
        }],
        data_plane: Default::default(),
    }
}

struct Example {
    file: String,
    operation: String,
    params: Value,
    responses: Value,
}

fn examples() -> Vec<Example> {
    let mut files: Vec<_> = std::fs::read_dir(DIR)
        .expect("fixtures")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let v: Value =
                serde_json::from_str(&std::fs::read_to_string(&p).expect("read")).expect("json");
            Example {
                file: p
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned(),
                operation: v["operationId"].as_str().unwrap_or_default().to_string(),
                params: v["parameters"].clone(),
                responses: v["responses"].clone(),
            }
        })
        .collect()
}

/// Method, path and body of an example's request.
fn request(ex: &Example) -> (&'static str, String, Option<Value>) {
    let p = &ex.params;
    let s = |k: &str| p[k].as_str().unwrap_or_default().to_string();
    let version = s("api-version");
    let cluster = format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Kusto/clusters/{}",
        s("subscriptionId"),
        s("resourceGroupName"),
        s("clusterName")
    );
    let (scope_kind, op) = ex.operation.split_once('_').unwrap_or_default();
    let scope = match scope_kind {
        "DatabasePrincipalAssignments" | "Databases" => {
            format!("{cluster}/databases/{}", s("databaseName"))
        }
        _ => cluster,
    };
    let item = format!(
        "{scope}/principalAssignments/{}?api-version={version}",
        s("principalAssignmentName")
    );
    match op {
        "CreateOrUpdate" => ("PUT", item, Some(p["parameters"].clone())),
        "Get" => ("GET", item, None),
        "Delete" => ("DELETE", item, None),
        "List" => (
            "GET",
            format!("{scope}/principalAssignments?api-version={version}"),
            None,
        ),
        "ListPrincipals" => (
            "POST",
            format!("{scope}/listPrincipals?api-version={version}"),
            None,
        ),
        "AddPrincipals" => (
            "POST",
            format!("{scope}/addPrincipals?api-version={version}"),
            Some(p["databasePrincipalsToAdd"].clone()),
        ),
        "RemovePrincipals" => (
            "POST",
            format!("{scope}/removePrincipals?api-version={version}"),
            Some(p["databasePrincipalsToRemove"].clone()),
        ),
        "CheckNameAvailability" => (
            "POST",
            format!("{scope}/checkPrincipalAssignmentNameAvailability?api-version={version}"),
            Some(p["principalAssignmentName"].clone()),
        ),
        other => panic!("{}: no request built for `{other}`", ex.file),
    }
}

/// Every field of `want` is in `got` with the same JSON type.
fn shape(at: &str, want: &Value, got: &Value, skip: &[&str], errors: &mut Vec<String>) {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            for (k, wv) in w {
                match g.get(k) {
                    Some(gv) => shape(&format!("{at}/{k}"), wv, gv, skip, errors),
                    None if skip.contains(&k.as_str()) => {}
                    None => errors.push(format!("{at}/{k}: missing")),
                }
            }
        }
        (Value::Array(w), Value::Array(g)) => match (w.first(), g.first()) {
            (Some(wv), Some(gv)) => shape(&format!("{at}[0]"), wv, gv, skip, errors),
            (Some(_), None) => errors.push(format!("{at}: empty array served")),
            (None, _) => {}
        },
        _ if std::mem::discriminant(want) == std::mem::discriminant(got) => {}
        _ => errors.push(format!("{at}: {want} in the example, {got} served")),
    }
}

fn check(ex: &Example, got: &Resp, errors: &mut Vec<String>) {
    let status = got.status.to_string();
    let Some(expected) = ex.responses.get(&status) else {
        errors.push(format!(
            "{}: status {status} is not among the example's {:?}: {}",
            ex.file,
            ex.responses
                .as_object()
                .map(|o| o.keys().collect::<Vec<_>>()),
            got.body
        ));
        return;
    };
    if let Some(body) = expected.get("body") {
        let skip: &[&str] = if ex.operation.ends_with("CreateOrUpdate") {
            &RESOLVED_ONLY_LATER
        } else {
            &[]
        };
        shape(&ex.file, body, &got.json(), skip, errors);
    }
    if ex.operation.ends_with("_Delete")
        && got.status == 202
        && got.header("azure-asyncoperation").is_none()
    {
        errors.push(format!("{}: 202 without Azure-AsyncOperation", ex.file));
    }
}

/// Starts an operation (a PUT of a new assignment) and returns its id.
async fn operation(api: &Api) -> String {
    let path = "/subscriptions/12345678-1234-1234-1234-123456789098/resourceGroups/kustorptest/providers/Microsoft.Kusto/clusters/kustoCluster/principalAssignments/op-starter?api-version=2024-04-13";
    let put = api
        .send(
            "PUT",
            path,
            Some(&assignment(
                "99999999-1234-1234-1234-123456789123",
                "App",
                "AllDatabasesViewer",
            )),
        )
        .await;
    assert_eq!(put.status, 201, "{}", put.body);
    let url = put.header("azure-asyncoperation").expect("async header");
    let id = url
        .split("/operationResults/")
        .nth(1)
        .and_then(|r| r.split('?').next())
        .expect("op id");
    id.to_string()
}

fn operation_path(ex: &Example, id: &str) -> String {
    let p = &ex.params;
    let mut path = format!(
        "/subscriptions/{}/providers/Microsoft.Kusto/locations/{}/operationResults/{id}?api-version={}",
        p["subscriptionId"].as_str().unwrap_or_default(),
        p["location"].as_str().unwrap_or_default(),
        p["api-version"].as_str().unwrap_or_default()
    );
    if let Some(t) = p["operationResultResponseType"].as_str() {
        path.push_str(&format!("&operationResultResponseType={t}"));
    }
    path
}

#[tokio::test]
async fn every_spec_example_is_answered_in_its_documented_shape() {
    let mut errors = Vec::new();
    let mut served = 0;
    for ex in examples() {
        match ex.operation.as_str() {
            "OperationsResults_Get" => {
                // The example shows a failed operation: an unknown principal fails one.
                let api = Api::start(world(true, false), EmulatorOptions::default()).await;
                let id = operation(&api).await;
                check(&ex, &api.get(&operation_path(&ex, &id)).await, &mut errors);
            }
            "OperationsResultsLocation_Get" => {
                let api =
                    Api::start(world(true, true), EmulatorOptions::default().lro_polls(1)).await;
                let id = operation(&api).await;
                let running = api.get(&operation_path(&ex, &id)).await;
                assert_eq!(running.status, 202, "{}", ex.file);
                check(&ex, &running, &mut errors);
                check(&ex, &api.get(&operation_path(&ex, &id)).await, &mut errors);
            }
            _ => {
                let (method, path, body) = request(&ex);
                let seeds: &[bool] = if method == "PUT" || method == "DELETE" {
                    &[true, false]
                } else {
                    &[true]
                };
                for &seeded in seeds {
                    let api = Api::start(world(seeded, true), EmulatorOptions::default()).await;
                    check(
                        &ex,
                        &api.send(method, &path, body.as_ref()).await,
                        &mut errors,
                    );
                }
            }
        }
        served += 1;
    }
    assert_eq!(
        served, 15,
        "every example (assignments, operations, data-plane principals) was replayed"
    );
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}
