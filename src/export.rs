//! `export`: what Azure has now → a desired-state file in the canonical format, so that a team can
//! bring an estate under management with an empty first plan.
//!
//! `render` is pure: clusters sorted by name, principals sorted by (role, type, id), defaults factored
//! out (the subscription, and the most common resource group), display names as comments, existing
//! assignment names kept, and principal sets only where they make the file shorter.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::model::{ClusterRef, CurrentAssignment, Follower, PrincipalType, Role};

/// One cluster as found in Azure.
#[derive(Debug, Clone)]
pub struct ClusterExport {
    pub cluster: ClusterRef,
    pub principals: Vec<CurrentAssignment>,
    /// (database name, its assignments), sorted by name.
    pub databases: Vec<(String, Vec<CurrentAssignment>)>,
    /// The follower databases among them, by name: marked in the file, since their grants combine
    /// with (or are replaced by) the leader's.
    pub followers: BTreeMap<String, Follower>,
}

/// A principal without a role: what a set holds.
type Who = (PrincipalType, String);

fn who(a: &CurrentAssignment) -> Who {
    (
        a.key.principal_type,
        a.key.principal_id.as_str().to_string(),
    )
}

/// Sorted, de-duplicated assignments of one scope (the same key twice in Azure is written once).
fn canonical(items: &[CurrentAssignment]) -> Vec<&CurrentAssignment> {
    let mut v: Vec<&CurrentAssignment> = items
        .iter()
        .filter(|a| !a.key.principal_id.as_str().is_empty())
        .collect();
    v.sort_by(|a, b| {
        (a.key.role, a.key.principal_type, &a.key.principal_id)
            .cmp(&(b.key.role, b.key.principal_type, &b.key.principal_id))
            .then_with(|| a.name.cmp(&b.name))
    });
    v.dedup_by(|a, b| a.key == b.key);
    v
}

/// The lists of principals that share one role at one database scope, with 2 or more members.
fn groups_by_role(items: &[&CurrentAssignment]) -> BTreeMap<Role, Vec<Who>> {
    let mut m: BTreeMap<Role, Vec<Who>> = BTreeMap::new();
    for a in items {
        m.entry(a.key.role).or_default().push(who(a));
    }
    m.retain(|_, v| v.len() >= 2);
    m
}

/// Chooses principal sets: a group of k principals that holds one role together at m database scopes
/// costs 3k lines each time (principal, role, name); as a set it costs k + 1 lines once and 2 lines
/// each time. A set is chosen only when it is shared (m ≥ 2) and saves lines: one used once is no
/// clearer than its members, and it would hide their assignment names.
fn choose_sets(clusters: &[ClusterExport]) -> Vec<Vec<Who>> {
    let mut seen: BTreeMap<Vec<Who>, usize> = BTreeMap::new();
    for c in clusters {
        for (_, items) in &c.databases {
            for group in groups_by_role(&canonical(items)).into_values() {
                *seen.entry(group).or_default() += 1;
            }
        }
    }
    seen.into_iter()
        .filter(|(g, m)| {
            let k = g.len();
            *m >= 2 && m * (3 * k) > m * 2 + k + 1
        })
        .map(|(g, _)| g)
        .collect()
}

fn principal_line(t: PrincipalType, id: &str) -> String {
    format!("{}: {}", t.file_key(), yaml_scalar(id))
}

/// Quotes a scalar when YAML would otherwise read it as something else.
fn yaml_scalar(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.@".contains(c))
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "null" | "on" | "off" | "~"
        )
        && s.parse::<f64>().is_err();
    if plain {
        s.to_string()
    } else {
        serde_json::to_string(s).expect("strings serialise")
    }
}

/// Text for a YAML comment: one line, no control characters.
fn yaml_comment(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn comment(a: &CurrentAssignment) -> String {
    name_comment(a.principal_name.as_deref())
}

fn name_comment(name: Option<&str>) -> String {
    match name {
        Some(n) => format!("   # {}", n.replace(['\n', '\r'], " ")),
        None => String::new(),
    }
}

/// ARM's display name of each principal, from any assignment it holds (for set members' comments).
fn display_names(clusters: &[ClusterExport]) -> BTreeMap<Who, String> {
    let mut names = BTreeMap::new();
    let all = clusters.iter().flat_map(|c| {
        c.principals
            .iter()
            .chain(c.databases.iter().flat_map(|(_, v)| v))
    });
    for a in all {
        if let Some(n) = &a.principal_name {
            names.entry(who(a)).or_insert_with(|| n.clone());
        }
    }
    names
}

/// `principals:` and its entries at `indent`; `principals: []` for a managed level with no grants.
fn write_principals_key(
    out: &mut String,
    indent: &str,
    items: &[&CurrentAssignment],
    sets: &[(String, Vec<Who>)],
) {
    if items.is_empty() {
        let _ = writeln!(out, "{indent}principals: []");
        return;
    }
    let _ = writeln!(out, "{indent}principals:");
    write_principals(out, &format!("{indent}  "), items, sets);
}

fn write_principals(
    out: &mut String,
    indent: &str,
    items: &[&CurrentAssignment],
    sets: &[(String, Vec<Who>)],
) {
    // A role whose holders at this scope are exactly a set is written as that set.
    let by_set: BTreeMap<Role, &str> = groups_by_role(items)
        .into_iter()
        .filter_map(|(role, group)| {
            sets.iter()
                .find(|(_, g)| *g == group)
                .map(|(name, _)| (role, name.as_str()))
        })
        .collect();
    let mut last_role = None;
    for a in items {
        let role = a.key.role;
        if let Some(set) = by_set.get(&role) {
            if last_role != Some(role) {
                // A set's entry cannot carry names: keep the existing ones in a comment.
                let names: Vec<&str> = items
                    .iter()
                    .filter(|x| x.key.role == role)
                    .map(|x| x.name.as_str())
                    .collect();
                let _ = writeln!(
                    out,
                    "{indent}- set: {set}   # assignments: {}\n{indent}  role: {role}",
                    names.join(", ").replace(['\n', '\r'], " ")
                );
            }
        } else {
            let (t, id) = who(a);
            let _ = writeln!(
                out,
                "{indent}- {}{}\n{indent}  role: {role}\n{indent}  name: {}",
                principal_line(t, &id),
                comment(a),
                yaml_scalar(&a.name)
            );
        }
        last_role = Some(role);
    }
}

/// Renders the estate as a desired-state file.
pub fn render(subscription: &str, clusters: &[ClusterExport]) -> String {
    let mut rg_count: BTreeMap<String, usize> = BTreeMap::new();
    for c in clusters {
        *rg_count
            .entry(c.cluster.resource_group.to_string())
            .or_default() += 1;
    }
    let default_rg = rg_count
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
        .map(|(rg, _)| rg.clone());
    let sets: Vec<(String, Vec<Who>)> = choose_sets(clusters)
        .into_iter()
        .enumerate()
        .map(|(i, g)| (format!("set-{}", i + 1), g))
        .collect();

    let mut out = String::new();
    // Editors check the file as it is edited (`kusto-principals schema > principals.schema.json`).
    out.push_str("# yaml-language-server: $schema=./principals.schema.json\n");
    let _ = writeln!(
        out,
        "# Exported by kusto-principals {} from subscription {subscription}.",
        env!("CARGO_PKG_VERSION")
    );
    out.push_str(
        "# `kusto-principals plan` on this file reports no changes; edit it to change access.\n",
    );
    out.push_str("version: 1\ndefaults:\n");
    let _ = writeln!(out, "  subscription: {}", yaml_scalar(subscription));
    if let Some(rg) = &default_rg {
        let _ = writeln!(out, "  resource_group: {}", yaml_scalar(rg));
    }
    out.push_str("  unmanaged: delete\n");
    if !sets.is_empty() {
        out.push_str("principal_sets:\n");
        let names = display_names(clusters);
        for (name, group) in &sets {
            let _ = writeln!(out, "  {name}:");
            for w in group {
                let shown = names.get(w).map(String::as_str);
                let _ = writeln!(
                    out,
                    "    - {}{}",
                    principal_line(w.0, &w.1),
                    name_comment(shown)
                );
            }
        }
    }
    out.push_str("clusters:\n");
    if clusters.is_empty() {
        out.push_str("  []\n");
    }
    for c in clusters {
        let _ = writeln!(out, "  - name: {}", yaml_scalar(&c.cluster.cluster));
        if default_rg.as_deref() != Some(&*c.cluster.resource_group) {
            let _ = writeln!(
                out,
                "    resource_group: {}",
                yaml_scalar(&c.cluster.resource_group)
            );
        }
        write_principals_key(&mut out, "    ", &canonical(&c.principals), &[]);
        if !c.databases.is_empty() {
            out.push_str("    databases:\n");
            for (db, items) in &c.databases {
                if let Some(f) = c.followers.get(db) {
                    let _ = writeln!(
                        out,
                        "      # follower of cluster {} (principalsModificationKind {}){}",
                        yaml_comment(f.leader_name()),
                        yaml_comment(&f.modification_kind),
                        if f.takes_grants() {
                            ""
                        } else {
                            ": grants of its own cannot take effect"
                        }
                    );
                }
                let _ = writeln!(out, "      - name: {}", yaml_scalar(db));
                write_principals_key(&mut out, "        ", &canonical(items), &sets);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
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
}
