//! Every api-version the emulator serves, through HTTP, with the roles of its spec.

use kusto_emulator::{API_VERSIONS, EmulatorOptions, demo_state};

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
