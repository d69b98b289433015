//! Table-driven tests of the diff rules, one case per rule.

use super::*;
use crate::model::{
    AssignmentKey, ClusterRef, CurrentAssignment, CurrentState, DesiredGrant, DesiredScope,
    DesiredState, IgnoreRule, PrincipalId, PrincipalType, Role, SafetyConfig, Scope,
    SourceLocation, Unmanaged,
};

fn cluster() -> ClusterRef {
    ClusterRef::new("sub", "rg", "c1")
}

fn db() -> Scope {
    Scope::database(cluster(), "db")
}

fn key(scope: &Scope, t: PrincipalType, id: &str, role: Role) -> AssignmentKey {
    AssignmentKey {
        scope: scope.clone(),
        principal_type: t,
        principal_id: PrincipalId::new(id),
        role,
    }
}

fn want(scope: &Scope, t: PrincipalType, id: &str, role: Role) -> DesiredGrant {
    DesiredGrant {
        key: key(scope, t, id, role),
        name: None,
        tenant: None,
        location: SourceLocation::default(),
        resolved: None,
    }
}

fn named(mut g: DesiredGrant, name: &str) -> DesiredGrant {
    g.name = Some(name.to_string());
    g
}

fn with_oid(mut a: CurrentAssignment, oid: &str) -> CurrentAssignment {
    a.aad_object_id = Some(oid.to_string());
    a
}

fn have(scope: &Scope, name: &str, t: PrincipalType, id: &str, role: Role) -> CurrentAssignment {
    CurrentAssignment {
        key: key(scope, t, id, role),
        name: name.to_string(),
        tenant_id: None,
        tenant_name: None,
        principal_name: None,
        aad_object_id: None,
        provisioning: Default::default(),
    }
}

fn state(scope: &Scope, unmanaged: Unmanaged, grants: Vec<DesiredGrant>) -> DesiredState {
    DesiredState {
        file: "t.yaml".into(),
        scopes: vec![DesiredScope {
            scope: scope.clone(),
            unmanaged,
            grants,
        }],
        ignore: vec![],
        safety: SafetyConfig::default(),
    }
}

fn current(scope: &Scope, items: Vec<CurrentAssignment>) -> CurrentState {
    let mut c = CurrentState::default();
    c.scopes.insert(scope.clone(), items);
    c
}

/// `(action, name)` per change, in plan order.
fn shape(plan: &Plan) -> Vec<(String, String)> {
    plan.scopes
        .iter()
        .flat_map(|s| s.changes.iter())
        .map(|c| {
            let (a, n) = match c {
                Change::Create { after } => ("create", after.create_name()),
                Change::Delete { before } => ("delete", before.name.clone()),
                Change::Replace { before, after } => (
                    "replace",
                    format!("{}->{}", before.name, after.create_name()),
                ),
                Change::NoOp { before, .. } => ("noop", before.name.clone()),
            };
            (a.to_string(), n)
        })
        .collect()
}

use PrincipalType::{App, Group, User};

const OID: &str = "9b0f6a2e-1c3d-4e5f-8a7b-6c5d4e3f2a01";

#[test]
fn rules() {
    let s = db();
    let gen_name = |t, id, r| key(&s, t, id, r).generated_name();
    struct Case {
        name: &'static str,
        unmanaged: Unmanaged,
        desired: Vec<DesiredGrant>,
        current: Vec<CurrentAssignment>,
        expect: Vec<(&'static str, String)>,
    }
    let cases = vec![
        Case {
            name: "adopted under any name, ids without case",
            unmanaged: Unmanaged::Delete,
            desired: vec![want(
                &s,
                App,
                "ABCDEF00-0000-0000-0000-000000000001",
                Role::Viewer,
            )],
            current: vec![have(
                &s,
                "portal-made",
                App,
                "abcdef00-0000-0000-0000-000000000001",
                Role::Viewer,
            )],
            expect: vec![("noop", "portal-made".into())],
        },
        Case {
            name: "missing grant is created under a generated name",
            unmanaged: Unmanaged::Delete,
            desired: vec![want(&s, User, "alice@contoso.com", Role::Admin)],
            current: vec![],
            expect: vec![("create", gen_name(User, "alice@contoso.com", Role::Admin))],
        },
        Case {
            name: "unmanaged delete",
            unmanaged: Unmanaged::Delete,
            desired: vec![],
            current: vec![have(&s, "x", Group, "g@contoso.com", Role::Viewer)],
            expect: vec![("delete", "x".into())],
        },
        Case {
            name: "unmanaged keep",
            unmanaged: Unmanaged::Keep,
            desired: vec![],
            current: vec![have(&s, "x", Group, "g@contoso.com", Role::Viewer)],
            expect: vec![],
        },
        Case {
            name: "role change is one replace",
            unmanaged: Unmanaged::Delete,
            desired: vec![want(&s, User, "bob@contoso.com", Role::Admin)],
            current: vec![have(&s, "old", User, "bob@contoso.com", Role::Viewer)],
            expect: vec![(
                "replace",
                format!("old->{}", gen_name(User, "bob@contoso.com", Role::Admin)),
            )],
        },
        Case {
            name: "type change is one replace",
            unmanaged: Unmanaged::Delete,
            desired: vec![want(&s, Group, "team@contoso.com", Role::Viewer)],
            current: vec![have(&s, "old", User, "team@contoso.com", Role::Viewer)],
            expect: vec![(
                "replace",
                format!("old->{}", gen_name(Group, "team@contoso.com", Role::Viewer)),
            )],
        },
        Case {
            name: "role change under keep creates and keeps the old grant",
            unmanaged: Unmanaged::Keep,
            desired: vec![want(&s, User, "bob@contoso.com", Role::Admin)],
            current: vec![have(&s, "old", User, "bob@contoso.com", Role::Viewer)],
            expect: vec![("create", gen_name(User, "bob@contoso.com", Role::Admin))],
        },
        Case {
            name: "duplicates in azure are planned down to one",
            unmanaged: Unmanaged::Keep,
            desired: vec![want(&s, App, "a", Role::Ingestor)],
            current: vec![
                have(&s, "second", App, "A", Role::Ingestor),
                have(&s, "first", App, "a", Role::Ingestor),
            ],
            expect: vec![("noop", "first".into()), ("delete", "second".into())],
        },
        Case {
            name: "duplicates under keep are planned down to one too",
            unmanaged: Unmanaged::Keep,
            desired: vec![named(want(&s, App, "a", Role::Ingestor), "second")],
            current: vec![
                have(&s, "first", App, "a", Role::Ingestor),
                have(&s, "second", App, "a", Role::Ingestor),
            ],
            expect: vec![("noop", "second".into()), ("delete", "first".into())],
        },
        Case {
            name: "of duplicates by object id, the one spelled as in the file stays",
            unmanaged: Unmanaged::Delete,
            desired: vec![want(&s, User, OID, Role::Viewer)],
            current: vec![
                with_oid(
                    have(&s, "by-upn", User, "alice@contoso.com", Role::Viewer),
                    OID,
                ),
                have(&s, "by-oid", User, &OID.to_uppercase(), Role::Viewer),
            ],
            expect: vec![("noop", "by-oid".into()), ("delete", "by-upn".into())],
        },
        Case {
            name: "one principal by upn and by object id in the file: one assignment serves both",
            unmanaged: Unmanaged::Delete,
            desired: vec![
                want(&s, User, "alice@contoso.com", Role::Viewer),
                want(&s, User, OID, Role::Viewer),
            ],
            current: vec![with_oid(
                have(&s, "x", User, "alice@contoso.com", Role::Viewer),
                OID,
            )],
            expect: vec![("noop", "x".into()), ("noop", "x".into())],
        },
        Case {
            name: "the same key twice in the file is one grant",
            unmanaged: Unmanaged::Delete,
            desired: vec![
                want(&s, User, "bob@contoso.com", Role::Viewer),
                want(&s, User, "BOB@contoso.com", Role::Viewer),
            ],
            current: vec![],
            expect: vec![("create", gen_name(User, "bob@contoso.com", Role::Viewer))],
        },
        Case {
            name: "a create keeps the file's name when it is free",
            unmanaged: Unmanaged::Delete,
            desired: vec![named(
                want(&s, User, "bob@contoso.com", Role::Viewer),
                "bob",
            )],
            current: vec![],
            expect: vec![("create", "bob".into())],
        },
        Case {
            name: "a role change never PUTs over the name it deletes",
            unmanaged: Unmanaged::Delete,
            desired: vec![named(want(&s, User, "bob@contoso.com", Role::Admin), "bob")],
            current: vec![have(&s, "bob", User, "bob@contoso.com", Role::Viewer)],
            expect: vec![(
                "replace",
                format!("bob->{}", gen_name(User, "bob@contoso.com", Role::Admin)),
            )],
        },
        Case {
            name: "a create never PUTs over a kept assignment's name",
            unmanaged: Unmanaged::Keep,
            desired: vec![named(
                want(&s, User, "bob@contoso.com", Role::Viewer),
                "taken",
            )],
            current: vec![have(&s, "TAKEN", Group, "other@contoso.com", Role::Viewer)],
            expect: vec![("create", gen_name(User, "bob@contoso.com", Role::Viewer))],
        },
        Case {
            name: "a replace pairs only with the same principal, by id or object id",
            unmanaged: Unmanaged::Delete,
            desired: vec![want(&s, User, OID, Role::Admin)],
            current: vec![
                have(&s, "carol", User, "carol@contoso.com", Role::Viewer),
                with_oid(
                    have(&s, "alice", User, "alice@contoso.com", Role::Viewer),
                    OID,
                ),
            ],
            expect: vec![
                (
                    "replace",
                    format!("alice->{}", gen_name(User, OID, Role::Admin)),
                ),
                ("delete", "carol".into()),
            ],
        },
    ];
    for case in cases {
        let plan = diff(
            &state(&s, case.unmanaged, case.desired),
            &current(&s, case.current),
        );
        let got = shape(&plan);
        let expect: Vec<(String, String)> = case
            .expect
            .into_iter()
            .map(|(a, n)| (a.to_string(), n))
            .collect();
        assert_eq!(got, expect, "case: {}", case.name);
    }
}

#[test]
fn desired_guid_matches_the_object_id() {
    let s = db();
    let mut a = have(&s, "by-upn", User, "alice@contoso.com", Role::Viewer);
    a.aad_object_id = Some("9B0F6A2E-1C3D-4E5F-8A7B-6C5D4E3F2A01".into());
    let plan = diff(
        &state(
            &s,
            Unmanaged::Delete,
            vec![want(
                &s,
                User,
                "9b0f6a2e-1c3d-4e5f-8a7b-6c5d4e3f2a01",
                Role::Viewer,
            )],
        ),
        &current(&s, vec![a]),
    );
    assert_eq!(
        shape(&plan),
        vec![("noop".to_string(), "by-upn".to_string())]
    );
}

#[test]
fn tenant_is_compared_only_where_the_file_sets_one() {
    let s = db();
    let mut a = have(&s, "x", App, "app1", Role::Viewer);
    a.tenant_id = Some("tenant-a".into());
    let mut g = want(&s, App, "app1", Role::Viewer);
    assert!(
        !diff(
            &state(&s, Unmanaged::Delete, vec![g.clone()]),
            &current(&s, vec![a.clone()])
        )
        .summary()
        .has_changes()
    );
    g.tenant = Some("TENANT-A".into());
    assert!(
        !diff(
            &state(&s, Unmanaged::Delete, vec![g.clone()]),
            &current(&s, vec![a.clone()])
        )
        .summary()
        .has_changes()
    );
    g.tenant = Some("tenant-b".into());
    // Another tenant is another principal: create it, and the old one goes as unmanaged.
    let plan = diff(
        &state(&s, Unmanaged::Delete, vec![g]),
        &current(&s, vec![a]),
    );
    assert_eq!((plan.summary().create, plan.summary().delete), (1, 1));
}

#[test]
fn ignored_assignments_are_neither_touched_nor_reported() {
    let s = db();
    let mut d = state(&s, Unmanaged::Delete, vec![]);
    d.ignore.push(IgnoreRule {
        principal_type: App,
        principal_id: PrincipalId::new("deployer"),
        role: None,
    });
    let plan = diff(
        &d,
        &current(&s, vec![have(&s, "x", App, "DEPLOYER", Role::Admin)]),
    );
    assert!(shape(&plan).is_empty());
    assert_eq!(plan.scopes[0].existing, 0);
    assert!(plan.scopes[0].kept.is_empty());
}

#[test]
fn unreadable_scopes_carry_their_error_and_no_changes() {
    let s = db();
    let mut c = CurrentState::default();
    c.errors.insert(s.clone(), "database `db` not found".into());
    let plan = diff(
        &state(
            &s,
            Unmanaged::Delete,
            vec![want(&s, App, "a", Role::Viewer)],
        ),
        &c,
    );
    assert!(plan.has_errors());
    assert!(shape(&plan).is_empty());
}

#[test]
fn safety_flags_mass_deletes_and_lost_cluster_admins() {
    let s = db();
    let many: Vec<CurrentAssignment> = (0..10)
        .map(|i| have(&s, &format!("n{i}"), User, &format!("u{i}@x"), Role::Viewer))
        .collect();
    let keep7: Vec<DesiredGrant> = (0..7)
        .map(|i| want(&s, User, &format!("u{i}@x"), Role::Viewer))
        .collect();
    let plan = diff(
        &state(&s, Unmanaged::Delete, keep7),
        &current(&s, many.clone()),
    );
    assert!(plan.safety.ok, "30% exactly is allowed: {:?}", plan.safety);
    let keep6: Vec<DesiredGrant> = (0..6)
        .map(|i| want(&s, User, &format!("u{i}@x"), Role::Viewer))
        .collect();
    let plan = diff(&state(&s, Unmanaged::Delete, keep6), &current(&s, many));
    assert!(!plan.safety.ok);
    assert!(
        plan.safety.reasons[0].contains("lose 4 of its 10"),
        "{:?}",
        plan.safety
    );

    let c = Scope::cluster(cluster());
    let plan = diff(
        &state(
            &c,
            Unmanaged::Delete,
            vec![want(&c, App, "b", Role::AllDatabasesViewer)],
        ),
        &current(&c, vec![have(&c, "adm", App, "a", Role::AllDatabasesAdmin)]),
    );
    assert!(!plan.safety.ok);
    assert!(plan.safety.reasons[0].contains("no AllDatabasesAdmin"));
}

#[test]
fn a_desired_grant_held_by_an_ignored_assignment_is_adopted_and_never_deleted() {
    let s = db();
    let mut d = state(
        &s,
        Unmanaged::Delete,
        vec![want(&s, App, "deployer", Role::Admin)],
    );
    d.ignore.push(IgnoreRule {
        principal_type: App,
        principal_id: PrincipalId::new("deployer"),
        role: None,
    });
    let plan = diff(
        &d,
        &current(
            &s,
            vec![
                have(&s, "a", App, "deployer", Role::Admin),
                have(&s, "b", App, "deployer", Role::Admin),
                have(&s, "c", App, "deployer", Role::Viewer),
            ],
        ),
    );
    assert_eq!(shape(&plan), vec![("noop".to_string(), "a".to_string())]);
    let ignored: Vec<&str> = plan.scopes[0]
        .ignored
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(ignored, ["b", "c"]);
}

#[test]
fn readable_scopes_carry_the_fingerprint_of_everything_listed() {
    let s = db();
    let listed = vec![
        have(&s, "x", App, "deployer", Role::Admin),
        have(&s, "y", User, "u@x", Role::Viewer),
    ];
    let mut d = state(&s, Unmanaged::Delete, vec![]);
    d.ignore.push(IgnoreRule {
        principal_type: App,
        principal_id: PrincipalId::new("deployer"),
        role: None,
    });
    let plan = diff(&d, &current(&s, listed.clone()));
    assert_eq!(
        plan.scopes[0].fingerprint.as_deref(),
        Some(crate::plan::fingerprint(&listed).as_str())
    );
    let mut c = CurrentState::default();
    c.errors.insert(s.clone(), "gone".into());
    assert_eq!(diff(&d, &c).scopes[0].fingerprint, None);
}

/// Found by the property test: the file names one principal by UPN and a second grant by an object
/// id that Azure reports for two assignments. The object-id grant must not delete the UPN grant's
/// assignment as a "duplicate" of itself.
#[test]
fn an_object_id_grant_never_deletes_another_grants_assignment() {
    let c = Scope::cluster(cluster());
    let oid = "9b0f6a2e-0000-0000-0000-000000000002";
    let mut bob = have(&c, "n11", App, "Bob@contoso.com", Role::AllDatabasesViewer);
    bob.aad_object_id = Some(oid.into());
    let mut alice = have(
        &c,
        "n10",
        App,
        "alice@contoso.com",
        Role::AllDatabasesViewer,
    );
    alice.aad_object_id = Some(oid.into());
    let desired = state(
        &c,
        Unmanaged::Delete,
        vec![
            want(&c, App, &oid.to_ascii_uppercase(), Role::AllDatabasesViewer),
            want(&c, App, "Bob@contoso.com", Role::AllDatabasesViewer),
        ],
    );
    let plan = diff(&desired, &current(&c, vec![bob, alice]));
    assert!(
        !plan.summary().has_changes(),
        "{:#?}",
        plan.scopes[0].changes
    );
}

fn displayed(mut a: CurrentAssignment, name: &str) -> CurrentAssignment {
    a.principal_name = Some(name.to_string());
    a
}

/// ARM stores a user as the user's mail whatever form was sent, and a guest's `#EXT#` UPN only inside
/// `principalName` (docs/arm-service.md §3): the same principal under another spelling is a no-op.
#[test]
fn a_user_is_matched_by_the_upn_in_its_display_name() {
    let s = db();
    let guest_upn = "bob_contoso.com#EXT#@fabrikam.onmicrosoft.com";
    let stored = displayed(
        with_oid(have(&s, "g", User, "bob@contoso.com", Role::Viewer), OID),
        &format!("Bob Jones ({guest_upn})"),
    );
    for spelling in [guest_upn, "BOB@contoso.com", OID] {
        let desired = state(
            &s,
            Unmanaged::Delete,
            vec![want(&s, User, spelling, Role::Viewer)],
        );
        let plan = diff(&desired, &current(&s, vec![stored.clone()]));
        assert_eq!(
            shape(&plan),
            vec![("noop".to_string(), "g".to_string())],
            "{spelling}"
        );
        let notes = crate::plan::spelling_notes(&plan.scopes[0]);
        let differs = !spelling.eq_ignore_ascii_case("bob@contoso.com");
        assert_eq!(notes.len(), usize::from(differs), "{spelling}");
        if differs {
            assert_eq!(notes[0].stored, "bob@contoso.com");
            assert_eq!(notes[0].desired, format!("user:{spelling}"));
        }
    }

    // An ignore rule written as the UPN spares the assignment as well.
    let mut desired = state(&s, Unmanaged::Delete, vec![]);
    desired.ignore.push(IgnoreRule {
        principal_type: User,
        principal_id: PrincipalId::new(guest_upn),
        role: None,
    });
    let plan = diff(&desired, &current(&s, vec![stored.clone()]));
    assert!(shape(&plan).is_empty(), "{:?}", shape(&plan));
}

/// Parentheses that do not hold a UPN, and UPNs of another principal type, match nothing.
#[test]
fn only_a_users_display_name_upn_matches() {
    let s = db();
    let app = displayed(
        have(
            &s,
            "a",
            App,
            "11111111-2222-3333-4444-555555555555",
            Role::Viewer,
        ),
        "Loader (loader@contoso.com)",
    );
    let user = displayed(
        have(&s, "u", User, "carol@contoso.com", Role::Viewer),
        "Carol (Finance)",
    );
    let desired = state(
        &s,
        Unmanaged::Keep,
        vec![
            want(&s, App, "loader@contoso.com", Role::Viewer),
            want(&s, User, "Finance", Role::Viewer),
        ],
    );
    let plan = diff(&desired, &current(&s, vec![app, user]));
    let creates = shape(&plan).iter().filter(|(a, _)| a == "create").count();
    assert_eq!(creates, 2, "{:?}", shape(&plan));
    assert_eq!(crate::model::upn_in_display_name("Carol (Finance)"), None);
    assert_eq!(
        crate::model::upn_in_display_name("A (b) (c@d.com)"),
        Some("c@d.com")
    );
    assert_eq!(crate::model::upn_in_display_name("x (a@b@c)"), None);
}
