//! Replays the real ARM traffic recorded by Azure PowerShell (`tests/fixtures/recordings/`) against
//! the emulator: each recorded request in order, seeded with the recorded world, matching the status
//! code, which async headers are present, and the body's fields and values (operation ids and
//! timestamps aside; a cluster's own properties by name only).

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use kusto_emulator::{AssignmentState, EmulatorOptions, EmulatorState};
use kusto_emulator::{PrincipalType, Role};
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::Value;

use crate::support::*;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/recordings/");
const ASYNC_HEADERS: [&str; 3] = ["Location", "Azure-AsyncOperation", "Retry-After"];

/// A JSON object's entries in file order (the recording's order is the replay order).
struct Ordered(Vec<(String, Value)>);

impl<'de> serde::Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Ordered;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a recording object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Ordered, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = m.next_entry()? {
                    out.push(entry);
                }
                Ok(Ordered(out))
            }
        }
        d.deserialize_map(V)
    }
}

fn load(name: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(format!("{DIR}{name}.Recording.json")).expect("fixture");
    let Ordered(entries) = serde_json::from_str(&text).expect("recording parses");
    entries.into_iter().map(|(_, v)| v).collect()
}

fn assignment(name: &str, id: &str, ty: PrincipalType, role: Role) -> AssignmentState {
    AssignmentState {
        name: name.into(),
        principal_id: id.into(),
        principal_type: ty,
        role,
        tenant_id: None,
    }
}

/// The recorded world plus what existed before the recording's first request.
fn seed(name: &str) -> EmulatorState {
    let text = std::fs::read_to_string(format!("{DIR}world.yaml")).expect("world fixture");
    let mut state = EmulatorState::from_yaml(&text).expect("world parses");
    let app = "609982ee-9c2e-4d6d-ad0b-f54bbe0d394b";
    let c = &mut state.clusters[0];
    let creator = assignment(
        "e99c0b83-0456-435c-8263-7a2f8d0338c4",
        "v-jiasenglaw@microsoft.com",
        PrincipalType::User,
        Role::Admin,
    );
    let app_admin = assignment("DatabaseAppPrincipal", app, PrincipalType::App, Role::Admin);
    match name {
        "Get-AzKustoDatabasePrincipalAssignment" | "Get-AzKustoDatabasePrincipal" => {
            c.databases[0].principals = vec![creator, app_admin];
        }
        // The data-plane list holds the assignment-made principals: the creator, and the App as
        // Admin and as Viewer (two assignments).
        "Remove-AzKustoDatabasePrincipal" => {
            let viewer = assignment(
                "testViewerAssignmentName",
                app,
                PrincipalType::App,
                Role::Viewer,
            );
            c.databases[0].principals = vec![creator, app_admin, viewer];
        }
        "Test-AzKustoClusterPrincipalAssignmentNameAvailability" => {
            c.principals = vec![assignment(
                "testPrincipalAssignmentName",
                app,
                PrincipalType::App,
                Role::AllDatabasesViewer,
            )];
        }
        _ => {}
    }
    state
}

/// The operation id in an operation URL.
fn op_id(url: &str) -> Option<String> {
    let rest = url.split_once("/operationResults/")?.1;
    Some(rest.split(['?', '&']).next()?.to_string())
}

struct Compare<'a> {
    ids: &'a HashMap<String, String>,
    errors: Vec<String>,
}

impl Compare<'_> {
    fn value(&mut self, at: &str, want: &Value, got: &Value) {
        match (want, got) {
            (Value::Object(w), Value::Object(g)) => {
                let (wk, gk): (BTreeSet<_>, BTreeSet<_>) = (w.keys().collect(), g.keys().collect());
                if wk != gk {
                    self.errors
                        .push(format!("{at}: fields {wk:?} recorded, {gk:?} served"));
                }
                let cluster =
                    w.get("type").and_then(Value::as_str) == Some("Microsoft.Kusto/Clusters");
                for (k, wv) in w {
                    let Some(gv) = g.get(k) else { continue };
                    let here = format!("{at}/{k}");
                    match k.as_str() {
                        "startTime" | "endTime" | "etag" => self.same_type(&here, wv, gv),
                        "identity" if cluster => self.same_type(&here, wv, gv),
                        "properties" if cluster => self.keys_only(&here, wv, gv),
                        _ => self.value(&here, wv, gv),
                    }
                }
            }
            (Value::Array(w), Value::Array(g)) if w.len() == g.len() => {
                for (i, (wv, gv)) in w.iter().zip(g).enumerate() {
                    self.value(&format!("{at}[{i}]"), wv, gv);
                }
            }
            (Value::Number(w), Value::Number(g)) if w.as_f64() == g.as_f64() => {}
            (Value::String(w), Value::String(g)) => {
                let mut w = w.clone();
                for (rec, emu) in self.ids {
                    w = w.replace(rec.as_str(), emu);
                }
                if &w != g {
                    self.errors
                        .push(format!("{at}: {w:?} recorded, {g:?} served"));
                }
            }
            _ if want == got => {}
            _ => self
                .errors
                .push(format!("{at}: {want} recorded, {got} served")),
        }
    }

    fn same_type(&mut self, at: &str, want: &Value, got: &Value) {
        if std::mem::discriminant(want) != std::mem::discriminant(got) {
            self.errors
                .push(format!("{at}: type of {want} recorded, {got} served"));
        }
    }

    fn keys_only(&mut self, at: &str, want: &Value, got: &Value) {
        let keys = |v: &Value| {
            v.as_object()
                .map(|o| o.keys().cloned().collect::<BTreeSet<_>>())
        };
        if keys(want) != keys(got) {
            self.errors.push(format!(
                "{at}: fields {:?} recorded, {:?} served",
                keys(want),
                keys(got)
            ));
        }
    }
}

async fn replay(name: &str) {
    let api = Api::start(seed(name), EmulatorOptions::default()).await;
    let mut urls: HashMap<String, String> = HashMap::new();
    let mut ids: HashMap<String, String> = HashMap::new();
    let mut errors = Vec::new();
    for (i, entry) in load(name).iter().enumerate() {
        let req = &entry["Request"];
        let rec = &entry["Response"];
        let uri = req["RequestUri"].as_str().expect("uri");
        let url = urls
            .get(uri)
            .cloned()
            .unwrap_or_else(|| uri.replace("https://management.azure.com", api.emu.endpoint()));
        let method = req["Method"].as_str().expect("method");
        let body = req["Content"].as_str().map(str::to_string);
        let got = api.send_raw(method, &url, body, Some(&api.token)).await;
        let at = format!(
            "{name} #{i} {method} {}",
            uri.split('?').next().unwrap_or(uri)
        );

        let want_status = rec["StatusCode"].as_u64().unwrap_or(0) as u16;
        if got.status != want_status {
            errors.push(format!(
                "{at}: status {want_status} recorded, {} served: {}",
                got.status, got.body
            ));
            continue;
        }
        let headers = rec["Headers"].as_object().cloned().unwrap_or_default();
        let recorded = |h: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(h))
                .and_then(|(_, v)| v[0].as_str())
        };
        for h in ASYNC_HEADERS {
            match (recorded(h), got.header(h)) {
                (Some(r), Some(g)) => {
                    urls.insert(r.to_string(), g.to_string());
                    if let (Some(r), Some(g)) = (op_id(r), op_id(g)) {
                        ids.insert(r, g);
                    }
                }
                (None, None) => {}
                (r, g) => errors.push(format!("{at}: header {h} recorded {r:?}, served {g:?}")),
            }
        }
        let want_body = rec["Content"].as_str().unwrap_or("");
        match (want_body.is_empty(), got.body.is_empty()) {
            (true, true) => {}
            (false, false) => {
                let want: Value = serde_json::from_str(want_body).expect("recorded json");
                let mut cmp = Compare {
                    ids: &ids,
                    errors: Vec::new(),
                };
                cmp.value("", &want, &got.json());
                errors.extend(cmp.errors.into_iter().map(|e| format!("{at}: {e}")));
            }
            _ => errors.push(format!(
                "{at}: body {want_body:?} recorded, {:?} served",
                got.body
            )),
        }
    }
    assert!(
        errors.is_empty(),
        "replay of {name} differs:\n{}",
        errors.join("\n")
    );
}

#[tokio::test]
async fn new_cluster_principal_assignment() {
    replay("New-AzKustoClusterPrincipalAssignment").await;
}

#[tokio::test]
async fn new_database_principal_assignment() {
    replay("New-AzKustoDatabasePrincipalAssignment").await;
}

#[tokio::test]
async fn get_cluster_principal_assignment() {
    replay("Get-AzKustoClusterPrincipalAssignment").await;
}

#[tokio::test]
async fn get_database_principal_assignment() {
    replay("Get-AzKustoDatabasePrincipalAssignment").await;
}

#[tokio::test]
async fn remove_cluster_principal_assignment() {
    replay("Remove-AzKustoClusterPrincipalAssignment").await;
}

#[tokio::test]
async fn remove_database_principal_assignment() {
    replay("Remove-AzKustoDatabasePrincipalAssignment").await;
}

#[tokio::test]
async fn get_database_principal() {
    replay("Get-AzKustoDatabasePrincipal").await;
}

#[tokio::test]
async fn remove_database_principal() {
    replay("Remove-AzKustoDatabasePrincipal").await;
}

#[tokio::test]
async fn test_cluster_principal_assignment_name_availability() {
    replay("Test-AzKustoClusterPrincipalAssignmentNameAvailability").await;
}

#[tokio::test]
async fn test_database_principal_assignment_name_availability() {
    replay("Test-AzKustoDatabasePrincipalAssignmentNameAvailability").await;
}
