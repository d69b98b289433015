//! `principals.example.yaml` validates, resolves to the grants the demo plan depends on, and points
//! editors at a `principals.schema.json` that matches the code.

use std::fs;
use std::path::Path;

use kusto_principals::config;
use kusto_principals::model::Unmanaged;

fn repo_file(name: &str) -> String {
    fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(name)).unwrap()
}

#[test]
fn the_example_resolves_to_the_demo_grants() {
    let state = config::parse(
        &repo_file("principals.example.yaml"),
        "principals.example.yaml",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut grants: Vec<String> = Vec::new();
    for scope in &state.scopes {
        for g in &scope.grants {
            let name = g
                .name
                .as_deref()
                .map(|n| format!(" name={n}"))
                .unwrap_or_default();
            grants.push(format!("{}{name}", g.key));
        }
    }
    assert_eq!(
        grants,
        [
            "mykustocluster app:11111111-2222-3333-4444-555555555555 AllDatabasesAdmin",
            "mykustocluster app:87654321-1234-1234-1234-123456789123 AllDatabasesAdmin name=clusterPrincipalAssignment1",
            "mykustocluster user:alice@contoso.com AllDatabasesViewer",
            "mykustocluster/sales app:87654321-1234-1234-1234-123456789123 Ingestor",
            "mykustocluster/sales group:data-analysts@contoso.com Viewer",
            "mykustocluster/sales user:alice@contoso.com Viewer",
            "mykustocluster/sales user:carol@contoso.com Admin",
            "mykustocluster/telemetry app:2c8e7a10-3d4f-4b6a-9c1d-0e2f3a4b5c6d Ingestor",
            "mykustocluster/telemetry group:sre-oncall@contoso.com Monitor",
        ]
    );
    let unmanaged: Vec<Unmanaged> = state.scopes.iter().map(|s| s.unmanaged).collect();
    assert_eq!(
        unmanaged,
        [Unmanaged::Delete, Unmanaged::Delete, Unmanaged::Keep]
    );
    assert_eq!(state.ignore.len(), 1);
    assert_eq!(state.safety, Default::default());
}

#[test]
fn the_example_points_at_the_committed_schema() {
    let example = repo_file("principals.example.yaml");
    assert_eq!(
        example.lines().next(),
        Some("# yaml-language-server: $schema=./principals.schema.json")
    );
}

#[test]
fn the_committed_schema_is_fresh() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("principals.schema.json");
    let generated = config::schema_json();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        fs::write(&path, &generated).unwrap();
    }
    let committed = fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "principals.schema.json is stale: run `UPDATE_GOLDEN=1 cargo test the_committed_schema_is_fresh` \
         (or `kusto-principals schema > principals.schema.json`) and commit it"
    );
}
