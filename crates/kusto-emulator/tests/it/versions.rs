//! Every api-version the emulator serves, through HTTP, with the roles of its spec; and the
//! caller as the recorded answers name it.

use kusto_emulator::{API_VERSIONS, EmulatorOptions, demo_state};

const CLIENT_SP: &str = "0b1c2d3e-4f50-4617-8283-949596979899";

use crate::support::*;

#[tokio::test]
async fn every_version_since_2020_02_15_is_served_with_its_own_cluster_roles() {
    let api = Api::start(demo_state(), EmulatorOptions::default()).await;
    let at = |v: &str, name: &str| {
        format!(
            "{}/principalAssignments/{name}?api-version={v}",
            demo_cluster()
        )
    };
    let monitor = assignment("bob@contoso.com", "User", "AllDatabasesMonitor");
    let viewer = assignment("carol@contoso.com", "User", "AllDatabasesViewer");
    for v in API_VERSIONS {
        let list = api
            .get(&format!(
                "{}/principalAssignments?api-version={v}",
                demo_cluster()
            ))
            .await;
        assert_eq!(list.status, 200, "{v}: {}", list.body);
    }
    // 2023-08-15, the JavaScript SDK's default, has no AllDatabasesMonitor in its spec.
    let old = api
        .send("PUT", &at("2023-08-15", "m"), Some(&monitor))
        .await;
    assert_eq!(old.status, 400, "{}", old.body);
    assert!(
        old.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Cluster principal role is invalid")
    );
    let ok = api.send("PUT", &at("2020-02-15", "v"), Some(&viewer)).await;
    assert_eq!(ok.status, 201, "{}", ok.body);
    let new = api
        .send("PUT", &at("2024-04-13", "m"), Some(&monitor))
        .await;
    assert_eq!(new.status, 201, "{}", new.body);
}

/// As recorded, every answer names the caller in `x-ms-operation-identifier`
/// (`tenantId=…,objectId=…/region/guid`): its tenant and its service principal's object id.
#[tokio::test]
async fn answers_name_the_callers_service_principal() {
    let mut state = demo_state();
    state.credentials.object_id = Some(CLIENT_SP.into());
    let api = Api::start(state, EmulatorOptions::default()).await;
    let r = api
        .get(&format!("{}/principalAssignments?{V}", demo_cluster()))
        .await;
    let ident = r.header("x-ms-operation-identifier").unwrap_or_default();
    let want = format!("tenantId={},objectId={CLIENT_SP}/", api.emu.tenant_id());
    assert!(ident.starts_with(&want), "{ident}");
}
