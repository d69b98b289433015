//! Issue 2: the walking skeleton. The emulator serves tokens to `azure_identity` and answers
//! principal assignment list/get/put/delete with the real service's shapes.

use std::sync::Arc;

use azure_core::credentials::{Secret, TokenCredential};
use azure_core::http::{ClientOptions, RetryOptions, Transport};
use azure_identity::{ClientSecretCredential, ClientSecretCredentialOptions};
use kusto_emulator::{EmulatorOptions, demo_state};

use crate::support::*;

#[tokio::test]
async fn azure_identity_gets_a_token_that_arm_accepts() {
    let api = Api::start(demo_state(), EmulatorOptions::default()).await;
    let mut cloud = azure_core::cloud::CustomConfiguration::default();
    cloud.authority_host = api.emu.endpoint().to_string();
    let options = ClientSecretCredentialOptions {
        client_options: ClientOptions {
            transport: Some(Transport::new(Arc::new(api.http.clone()))),
            retry: RetryOptions::none(),
            cloud: Some(Arc::new(cloud.into())),
            ..Default::default()
        },
    };
    let cred = ClientSecretCredential::new(
        api.emu.tenant_id(),
        api.emu.client_id().to_string(),
        Secret::new(api.emu.client_secret().to_string()),
        Some(options),
    )
    .expect("credential");
    let scope = format!("{}/.default", api.emu.endpoint());
    let token = within("get_token", cred.get_token(&[&scope], None))
        .await
        .expect("token");
    let list = format!("{}/principalAssignments?{V}", demo_cluster());
    let ok = api
        .send_raw("GET", &list, None, Some(token.token.secret()))
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.json()["value"].as_array().map(Vec::len), Some(3));
    let none = api.send_raw("GET", &list, None, None).await;
    assert_eq!(none.status, 401);
    assert_eq!(none.json()["error"]["code"], "AuthenticationFailed");
    assert_eq!(api.emu.request_counts().get("token"), 2);
    assert_eq!(api.emu.request_counts().get("list"), 2);
}

#[tokio::test]
async fn create_poll_get_reput_delete_follow_the_real_service() {
    let api = Api::start(demo_state(), EmulatorOptions::default()).await;
    let item = format!(
        "{}/databases/sales/principalAssignments/new-viewer?{V}",
        demo_cluster()
    );
    let body = assignment("alice@contoso.com", "User", "Viewer");

    let created = api.send("PUT", &item, Some(&body)).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let op = created
        .header("azure-asyncoperation")
        .expect("Azure-AsyncOperation")
        .to_string();
    assert!(
        op.contains("/providers/Microsoft.Kusto/locations/East%20US/operationResults/"),
        "{op}"
    );
    assert!(created.header("location").is_none());
    let j = created.json();
    assert_eq!(j["properties"]["provisioningState"], "Creating");
    assert_eq!(j["name"], "mykustocluster/sales/new-viewer");
    assert_eq!(
        j["type"],
        "Microsoft.Kusto/Clusters/Databases/PrincipalAssignments"
    );
    assert!(j["properties"].get("aadObjectId").is_none());

    let polled = api.get(&op).await;
    assert_eq!(polled.status, 200);
    assert_eq!(polled.json()["status"], "Succeeded");
    assert_eq!(
        polled.json()["properties"]["operationKind"],
        "DatabaseAddPrincipals"
    );

    let got = api.get(&item).await.json();
    assert_eq!(got["properties"]["provisioningState"], "Succeeded");
    assert_eq!(
        got["properties"]["principalName"],
        "Alice Smith (alice@contoso.com)"
    );
    assert_eq!(
        got["properties"]["aadObjectId"],
        "9b0f6a2e-1c3d-4e5f-8a7b-6c5d4e3f2a01"
    );
    assert_eq!(got["properties"]["tenantName"], "Contoso");
    assert_eq!(
        got["properties"]["tenantId"],
        "12345678-1234-1234-1234-123456789012"
    );

    let again = api.send("PUT", &item, Some(&body)).await;
    assert_eq!(again.status, 200);
    assert!(again.header("azure-asyncoperation").is_none());
    assert_eq!(again.json()["properties"]["provisioningState"], "Succeeded");
    assert!(again.json()["properties"].get("tenantName").is_none());

    let deleted = api.send("DELETE", &item, None).await;
    assert_eq!(deleted.status, 202);
    assert!(deleted.body.is_empty());
    let location = deleted.header("location").expect("Location").to_string();
    assert!(
        location.contains("operationResultResponseType=Location"),
        "{location}"
    );
    assert!(deleted.header("azure-asyncoperation").is_some());
    let done = api.get(&location).await;
    assert_eq!((done.status, done.body.as_str()), (200, ""));
    assert_eq!(api.get(&item).await.status, 404);
    assert_eq!(api.send("DELETE", &item, None).await.status, 204);

    let history = api.emu.write_history();
    assert_eq!(history.len(), 4);
    assert!(history[2].deleted());
    assert_eq!(
        history[2].principal_id.as_deref(),
        Some("alice@contoso.com")
    );
    assert!(!history[3].deleted());
}
