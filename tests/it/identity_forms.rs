//! The forms of an identity that already round-trip against the emulator now that it stores
//! identities as Azure does (a user's `principalId` reads back as the mail, an app by object id
//! keeps it): a file naming a guest by home mail, a user by object id and an app by its service
//! principal's object id plans no change for grants made in other forms.

use kusto_emulator::{AssignmentState, PrincipalType, Role, demo_state};

use crate::harness::TestEnv;

fn grant(name: &str, id: &str, ty: PrincipalType) -> AssignmentState {
    AssignmentState {
        name: name.into(),
        principal_id: id.into(),
        principal_type: ty,
        role: Role::Viewer,
        tenant_id: None,
    }
}

#[test]
fn grants_made_by_upn_read_back_in_forms_the_file_can_name() {
    let mut state = demo_state();
    let telemetry = &mut state.clusters[0].databases[1];
    telemetry.principals = vec![
        // The guest granted by its #EXT# UPN: ARM lists the home mail.
        grant(
            "guest",
            "erin_fabrikam.com#EXT#@contoso.onmicrosoft.com",
            PrincipalType::User,
        ),
        // A member granted by UPN whose mail differs: ARM lists the mail and the object id.
        grant("dana", "dana@contoso.onmicrosoft.com", PrincipalType::User),
        // An app granted by its service principal's object id keeps it.
        grant(
            "sp",
            "5a1e2c4d-6f70-4812-9abc-def012345603",
            PrincipalType::App,
        ),
    ];
    let env = TestEnv::with_state(state);
    let file = env.write(
        "principals.yaml",
        r#"version: 1
defaults:
  subscription: 12345678-1234-1234-1234-123456789098
  resource_group: testrg
  unmanaged: delete
clusters:
  - name: mykustocluster
    unmanaged: keep
    databases:
      - name: telemetry
        principals:
          - {user: erin@fabrikam.com, role: Viewer}
          - {user: 9b0f6a2e-1c3d-4e5f-8a7b-6c5d4e3f2a04, role: Viewer}
          - {app: 5a1e2c4d-6f70-4812-9abc-def012345603, role: Viewer}
"#,
    );
    let plan = env.run(&["plan", "-f", file.to_str().unwrap(), "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(plan.stdout.contains("No changes."), "{plan:?}");
    assert_eq!(env.emu().request_counts().writes(), 0);
}
