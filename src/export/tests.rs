//! `export` output is canonical: names kept, display names as comments, sets only where shorter.

use super::*;
use crate::model::{AssignmentKey, PrincipalId, Scope};

fn a(scope: &Scope, name: &str, t: PrincipalType, id: &str, role: Role) -> CurrentAssignment {
    CurrentAssignment {
        key: AssignmentKey {
            scope: scope.clone(),
            principal_type: t,
            principal_id: PrincipalId::new(id),
            role,
        },
        name: name.into(),
        tenant_id: None,
        tenant_name: None,
        principal_name: Some(format!("{id} display")),
        aad_object_id: None,
        provisioning: Default::default(),
    }
}

#[test]
fn exports_are_canonical_with_names_comments_and_sets_only_when_shorter() {
    let c = ClusterRef::new("sub", "rg", "c1");
    let cs = Scope::cluster(c.clone());
    let viewers = |db: &str| {
        let s = Scope::database(c.clone(), db);
        vec![
            a(
                &s,
                &format!("{db}-v2"),
                PrincipalType::User,
                "bob@x.com",
                Role::Viewer,
            ),
            a(
                &s,
                &format!("{db}-v1"),
                PrincipalType::User,
                "alice@x.com",
                Role::Viewer,
            ),
            a(
                &s,
                &format!("{db}-v3"),
                PrincipalType::Group,
                "team@x.com",
                Role::Viewer,
            ),
        ]
    };
    let estate = vec![ClusterExport {
        followers: Default::default(),
        cluster: c.clone(),
        principals: vec![a(
            &cs,
            "adm",
            PrincipalType::App,
            "11111111-2222-3333-4444-555555555555",
            Role::AllDatabasesAdmin,
        )],
        databases: vec![
            ("db1".into(), viewers("db1")),
            ("db2".into(), viewers("db2")),
            ("db3".into(), viewers("db3")),
            (
                "solo".into(),
                vec![a(
                    &Scope::database(c.clone(), "solo"),
                    "x",
                    PrincipalType::User,
                    "carol@x.com",
                    Role::Admin,
                )],
            ),
        ],
    }];
    let text = render("sub", &estate);
    assert!(
        text.starts_with("# yaml-language-server: $schema=./principals.schema.json\n"),
        "{text}"
    );
    assert!(text.contains("principal_sets:\n  set-1:\n    - group: team@x.com   # team@x.com display\n    - user: alice@x.com   # alice@x.com display\n    - user: bob@x.com   # bob@x.com display\n"), "{text}");
    assert!(text.contains("      - name: db2\n        principals:\n          - set: set-1   # assignments: db2-v3, db2-v1, db2-v2\n            role: Viewer\n"), "{text}");
    assert!(text.contains("      - app: 11111111-2222-3333-4444-555555555555   # 11111111-2222-3333-4444-555555555555 display\n        role: AllDatabasesAdmin\n        name: adm\n"), "{text}");
    assert!(text.contains("          - user: carol@x.com   # carol@x.com display\n            role: Admin\n            name: x\n"), "{text}");
    // A group at one database only is not worth a set, however big.
    let single = render(
        "sub",
        &[ClusterExport {
            databases: vec![("db1".into(), viewers("db1"))],
            followers: Default::default(),
            ..estate[0].clone()
        }],
    );
    assert!(!single.contains("principal_sets"), "{single}");
    assert!(!single.contains("principals:\n      []"), "{single}");
    let empty = render(
        "sub",
        &[ClusterExport {
            principals: Vec::new(),
            databases: Vec::new(),
            ..estate[0].clone()
        }],
    );
    assert!(
        empty.contains("  - name: c1\n    principals: []\n"),
        "{empty}"
    );
    assert_eq!(render("sub", &estate), text, "deterministic");
}
