//! `export`: what Azure has now → a desired-state file in the canonical format, so that a team can
//! bring an estate under management with an empty first plan.
//!
//! `render` is pure: clusters sorted by name, principals sorted by (role, type, id), defaults factored
//! out (the subscription, and the most common resource group), display names as comments, existing
//! assignment names kept, and principal sets only where they make the file shorter. Every value is
//! written through `render::inert` (one YAML quoter, inert comments): what ARM returns cannot add a
//! key or a grant to the file.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::model::{ClusterRef, CurrentAssignment, Follower, PrincipalType, Role};
use crate::render::inert::{self, yaml_scalar};

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

/// A display name as a comment: made one inert line, so no name can end the comment and start a
/// key or a grant.
fn comment(a: &CurrentAssignment) -> String {
    name_comment(a.principal_name.as_deref())
}

fn name_comment(name: Option<&str>) -> String {
    match name {
        Some(n) => format!("   # {}", inert::text(n)),
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
    let default_rg = default_resource_group(clusters);
    let sets: Vec<(String, Vec<Who>)> = choose_sets(clusters)
        .into_iter()
        .enumerate()
        .map(|(i, g)| (format!("set-{}", i + 1), g))
        .collect();

    let mut out = String::new();
    write_head(&mut out, subscription, default_rg.as_deref());
    write_sets(&mut out, clusters, &sets);
    out.push_str("clusters:\n");
    if clusters.is_empty() {
        out.push_str("  []\n");
    }
    for c in clusters {
        write_cluster(&mut out, c, default_rg.as_deref(), &sets);
    }
    out
}

/// The resource group most clusters are in (the first by name on a tie), factored into `defaults`.
fn default_resource_group(clusters: &[ClusterExport]) -> Option<String> {
    let mut rg_count: BTreeMap<String, usize> = BTreeMap::new();
    for c in clusters {
        *rg_count
            .entry(c.cluster.resource_group.to_string())
            .or_default() += 1;
    }
    rg_count
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
        .map(|(rg, _)| rg.clone())
}

/// The comments at the top and `version` and `defaults`.
fn write_head(out: &mut String, subscription: &str, default_rg: Option<&str>) {
    // Editors check the file as it is edited (`kusto-principals schema > principals.schema.json`).
    out.push_str("# yaml-language-server: $schema=./principals.schema.json\n");
    let _ = writeln!(
        out,
        "# Exported by kusto-principals {} from subscription {}.",
        env!("CARGO_PKG_VERSION"),
        inert::text(subscription)
    );
    out.push_str(
        "# `kusto-principals plan` on this file reports no changes; edit it to change access.\n",
    );
    out.push_str("version: 1\ndefaults:\n");
    let _ = writeln!(out, "  subscription: {}", yaml_scalar(subscription));
    if let Some(rg) = default_rg {
        let _ = writeln!(out, "  resource_group: {}", yaml_scalar(rg));
    }
    out.push_str("  unmanaged: delete\n");
}

/// `principal_sets:`, each member with its display name as a comment; nothing without sets.
fn write_sets(out: &mut String, clusters: &[ClusterExport], sets: &[(String, Vec<Who>)]) {
    if sets.is_empty() {
        return;
    }
    out.push_str("principal_sets:\n");
    let names = display_names(clusters);
    for (name, group) in sets {
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

/// One entry of `clusters:`: its principals, then its databases (followers marked).
fn write_cluster(
    out: &mut String,
    c: &ClusterExport,
    default_rg: Option<&str>,
    sets: &[(String, Vec<Who>)],
) {
    let _ = writeln!(out, "  - name: {}", yaml_scalar(&c.cluster.cluster));
    if default_rg != Some(&*c.cluster.resource_group) {
        let _ = writeln!(
            out,
            "    resource_group: {}",
            yaml_scalar(&c.cluster.resource_group)
        );
    }
    write_principals_key(out, "    ", &canonical(&c.principals), &[]);
    if c.databases.is_empty() {
        return;
    }
    out.push_str("    databases:\n");
    for (db, items) in &c.databases {
        if let Some(f) = c.followers.get(db) {
            let _ = writeln!(
                out,
                "      # follower of cluster {} (principalsModificationKind {}){}",
                inert::text(f.leader_name()),
                inert::text(&f.modification_kind),
                if f.takes_grants() {
                    ""
                } else {
                    ": grants of its own cannot take effect"
                }
            );
        }
        let _ = writeln!(out, "      - name: {}", yaml_scalar(db));
        write_principals_key(out, "        ", &canonical(items), sets);
    }
}

#[cfg(test)]
mod tests;
