//! The resource provider's rules and ARM's gates through HTTP: validation messages, duplicates, role
//! updates, api-versions, routing, not-found errors, common headers, tokens, and the test hooks.

use kusto_emulator::{EmulatorOptions, EmulatorState, demo_state};
use serde_json::json;

use crate::support::*;

fn db_item(name: &str) -> String {
    format!(
        "{}/databases/sales/principalAssignments/{name}?{V}",
        demo_cluster()
    )
}

#[tokio::test]
async fn bodies_are_validated_with_the_real_messages() {
    let api = Api::start(demo_state(), EmulatorOptions::default()).await;
    let bad_role = api
        .send(
            "PUT",
            &db_item("x"),
            Some(&assignment(
                "bob@contoso.com",
                "User",
                "UnrestrictedViewers",
            )),
        )
        .await;
    assert_eq!(bad_role.status, 400);
    assert_eq!(bad_role.json()["error"]["code"], "BadRequest");
    assert_eq!(
        bad_role.json()["error"]["message"],
        "Database principal role is invalid. Please provide valid database principal role (Admin, Viewer, User, etc.)."
    );
    let cluster_role = api
        .send(
            "PUT",
            &db_item("x"),
            Some(&assignment("bob@contoso.com", "User", "AllDatabasesAdmin")),
        )
        .await;
    assert_eq!(cluster_role.status, 400);
    let no_type = api
        .send(
            "PUT",
            &db_item("x"),
            Some(&json!({"properties": {"principalId": "p", "role": "Viewer"}})),
        )
        .await;
    assert_eq!(no_type.status, 400);
    let junk = api
        .send_raw("PUT", &db_item("x"), Some("{".into()), Some(&api.token))
        .await;
    assert_eq!(junk.json()["error"]["code"], "InvalidRequestContent");
    assert_eq!(
        api.emu.write_history().len(),
        4,
        "rejected writes are in the history too"
    );
}

#[tokio::test]
async fn the_same_principal_and_role_under_another_name_is_rejected() {
    let api = Api::start(demo_state(), EmulatorOptions::default()).await;
    let dup = api
        .send(
            "PUT",
            &db_item("second"),
            Some(&assignment("DATA-ANALYSTS@contoso.com", "Group", "Viewer")),
        )
        .await;
    assert_eq!(dup.status, 400);
    assert_eq!(
        dup.json()["error"]["message"],
        "Cannot add PrincipalAssignment resource 'second'. A PrincipalAssignment resource (name: 'analysts-viewer') already exists with the same role and principal id"
    );
    let other_role = api
        .send(
            "PUT",
            &db_item("second"),
            Some(&assignment("data-analysts@contoso.com", "Group", "Monitor")),
        )
        .await;
    assert_eq!(other_role.status, 201);
}

#[tokio::test]
async fn a_put_to_an_existing_name_updates_the_role_in_place() {
    let api = Api::start(demo_state(), EmulatorOptions::default()).await;
    let item = db_item("analysts-viewer");
    let up = api
        .send(
            "PUT",
            &item,
            Some(&assignment(
                "data-analysts@contoso.com",
                "Group",
                "UnrestrictedViewer",
            )),
        )
        .await;
    assert_eq!(up.status, 200);
    // As recorded (Azure Service Operator's live test): a changed assignment is an operation.
    assert!(up.header("azure-asyncoperation").is_some());
    assert_eq!(up.json()["properties"]["provisioningState"], "Accepted");
    let got = api.get(&item).await.json();
    assert_eq!(got["properties"]["role"], "UnrestrictedViewer");
    assert_eq!(got["properties"]["principalName"], "Data Analysts");
    assert!(api.emu.write_history()[0].granted());
}

#[tokio::test]
async fn api_versions_and_routes_follow_arm() {
    let api = Api::start(demo_state(), EmulatorOptions::default()).await;
    let base = format!("{}/principalAssignments", demo_cluster());
    let code = |r: Resp| {
        (
            r.status,
            r.json()["error"]["code"].as_str().unwrap_or("").to_string(),
        )
    };
    assert_eq!(
        code(api.get(&base).await),
        (400, "MissingApiVersionParameter".into())
    );
    assert_eq!(
        code(api.get(&format!("{base}?api-version=2019-01-21")).await),
        (400, "NoRegisteredProviderFound".into())
    );
    assert_eq!(
        code(api.get(&format!("{base}?api-version=new")).await),
        (400, "InvalidApiVersionParameter".into())
    );
    assert_eq!(
        api.get(&format!("{base}?api-version=2025-02-14"))
            .await
            .status,
        200
    );
    let shouting = format!(
        "/SUBSCRIPTIONS/{SUB}/RESOURCEGROUPS/TESTRG/PROVIDERS/MICROSOFT.KUSTO/CLUSTERS/MYKUSTOCLUSTER/PRINCIPALASSIGNMENTS?{V}"
    );
    assert_eq!(api.get(&shouting).await.status, 200);
    let missing = format!(
        "/subscriptions/{SUB}/resourceGroups/testrg/providers/Microsoft.Kusto/clusters/nope"
    );
    assert_eq!(
        code(api.get(&format!("{missing}?{V}")).await),
        (404, "ResourceNotFound".into())
    );
    assert_eq!(
        code(
            api.get(&format!("{missing}/principalAssignments?{V}"))
                .await
        ),
        (404, "ParentResourceNotFound".into())
    );
    assert_eq!(
        code(
            api.get(&format!("{}/databases/nope?{V}", demo_cluster()))
                .await
        ),
        (404, "ResourceNotFound".into())
    );
    assert_eq!(
        code(api.get(&db_item("nope")).await),
        (404, "ResourceNotFound".into())
    );
    let other_rg =
        format!("/subscriptions/{SUB}/resourceGroups/other/providers/Microsoft.Kusto/clusters?{V}");
    assert_eq!(
        code(api.get(&other_rg).await),
        (404, "ResourceGroupNotFound".into())
    );
    let by_sub = api
        .get(&format!(
            "/subscriptions/{SUB}/providers/Microsoft.Kusto/clusters?{V}"
        ))
        .await
        .json();
    assert_eq!(
        by_sub["value"][0]["id"],
        format!(
            "/subscriptions/{SUB}/resourceGroups/testrg/providers/Microsoft.Kusto/Clusters/mykustocluster"
        )
    );
    let db = api
        .get(&format!("{}/databases/SALES?{V}", demo_cluster()))
        .await
        .json();
    assert_eq!(
        (db["name"].as_str(), db["kind"].as_str()),
        (Some("mykustocluster/sales"), Some("ReadWrite"))
    );
}

#[tokio::test]
async fn check_name_works_at_both_scopes() {
    let api = Api::start(demo_state(), EmulatorOptions::default()).await;
    let check = |scope: String, name: &str, ty: &str| {
        let body = json!({"name": name, "type": ty});
        let api = &api;
        async move {
            api.send(
                "POST",
                &format!("{scope}/checkPrincipalAssignmentNameAvailability?{V}"),
                Some(&body),
            )
            .await
            .json()
        }
    };
    let taken = check(
        demo_cluster(),
        "CLUSTERPRINCIPALASSIGNMENT1",
        "Microsoft.Kusto/Clusters/principalAssignments",
    )
    .await;
    assert_eq!(taken["nameAvailable"], false);
    assert!(taken.get("reason").is_none());
    let db = format!("{}/databases/sales", demo_cluster());
    let free = check(
        db.clone(),
        "free",
        "Microsoft.Kusto/clusters/databases/principalAssignments",
    )
    .await;
    assert_eq!(
        free,
        json!({"name": "free", "nameAvailable": true, "message": ""})
    );
    let taken = check(
        db,
        "analysts-viewer",
        "Microsoft.Kusto/clusters/databases/principalAssignments",
    )
    .await;
    assert_eq!(
        taken["message"],
        "Database principal assignment analysts-viewer already exists in database sales. Please select a different principal assignment name."
    );
}

#[tokio::test]
async fn every_arm_answer_carries_the_common_headers() {
    let api = Api::start(demo_state(), EmulatorOptions::default()).await;
    let r = api
        .get(&format!("{}/principalAssignments?{V}", demo_cluster()))
        .await;
    for h in [
        "x-ms-request-id",
        "x-ms-correlation-request-id",
        "x-ms-routing-request-id",
        "x-ms-ratelimit-remaining-subscription-reads",
    ] {
        assert!(r.header(h).is_some(), "{h} missing");
    }
    assert_eq!(
        r.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    let log = api.emu.request_log();
    assert_eq!(
        log.last().map(|l| l.request_id.as_str()),
        r.header("x-ms-request-id")
    );
}

#[tokio::test]
async fn only_the_emulators_own_unexpired_tokens_pass() {
    let api = Api::start(demo_state(), EmulatorOptions::default()).await;
    let list = format!("{}/principalAssignments?{V}", demo_cluster());
    let code = |r: Resp| {
        (
            r.status,
            r.json()["error"]["code"].as_str().unwrap_or("").to_string(),
        )
    };
    assert_eq!(
        code(api.send_raw("GET", &list, None, Some("not-a-jwt")).await),
        (401, "InvalidAuthenticationToken".into())
    );
    let other = Api::start(demo_state(), EmulatorOptions::default()).await;
    let foreign = api.send_raw("GET", &list, None, Some(&other.token)).await;
    assert_eq!(foreign.status, 401);
    assert!(
        foreign
            .header("www-authenticate")
            .is_some_and(|h| h.starts_with("Bearer "))
    );
    let short = Api::start(
        demo_state(),
        EmulatorOptions::default().token_lifetime(std::time::Duration::ZERO),
    )
    .await;
    assert_eq!(
        code(short.get(&list).await),
        (401, "ExpiredAuthenticationToken".into())
    );
    assert_eq!(
        api.send_raw("GET", &list, None, Some(&api.emu.access_token()))
            .await
            .status,
        200
    );

    let token_url = format!(
        "{}/{}/oauth2/v2.0/token",
        api.emu.endpoint(),
        api.emu.tenant_id()
    );
    let form = |extra: &str| {
        format!(
            "grant_type=client_credentials&client_id={}&scope=https%3A%2F%2Fx%2F.default&{extra}",
            api.emu.client_id()
        )
    };
    let post = |body: String| {
        let req = api
            .http
            .post(&token_url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        async move {
            within("token", req.send())
                .await
                .expect("sent")
                .status()
                .as_u16()
        }
    };
    assert_eq!(post(form("client_secret=wrong")).await, 401);
    let assertion = "client_assertion=e30.e30.sig&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer";
    assert_eq!(post(form(assertion)).await, 200);
}

#[tokio::test]
async fn test_hooks_dump_count_log_and_reset() {
    let api = Api::start(demo_state(), EmulatorOptions::default()).await;
    api.send(
        "PUT",
        &db_item("new"),
        Some(&assignment("bob@contoso.com", "User", "Viewer")),
    )
    .await;
    api.send("DELETE", &db_item("analysts-viewer"), None).await;
    let hook = |path: &str| {
        let url = format!("/_emulator/{path}");
        let api = &api;
        async move { api.send_raw("GET", &url, None, None).await }
    };
    let state = EmulatorState::from_yaml(&hook("state").await.body).expect("state yaml");
    assert_eq!(state, api.emu.snapshot());
    let names: Vec<_> = state.clusters[0].databases[0]
        .principals
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "1416d522-20c9-4e6f-aada-be35685489a4",
            "pipeline-ingestor",
            "new"
        ]
    );
    let counts = hook("counts").await.json();
    assert_eq!(
        (counts["put"].as_u64(), counts["delete"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        hook("requests").await.json().as_array().map(Vec::len),
        Some(3)
    );
    let writes = hook("writes").await.json();
    assert_eq!(writes[1]["role"], "Viewer");
    assert_eq!(writes[1]["operation_status"], "Succeeded");
    assert_eq!(
        api.send_raw("POST", "/_emulator/reset", None, None)
            .await
            .status,
        204
    );
    assert_eq!(api.emu.snapshot(), demo_state());
    assert_eq!(api.emu.request_counts().arm_total(), 0);
    assert!(api.emu.write_history().is_empty());
}
