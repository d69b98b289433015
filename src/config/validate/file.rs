//! The raw mirror → a normalised `DesiredState`, reporting every semantic problem: the version,
//! GUIDs and names, how each cluster is addressed, duplicates, sets, `ignore` against the grants.
//!
//! It runs on whatever the shape walk let through, so one run reports everything. What it produces:
//!
//! | field of `DesiredState`  | rule                                                               |
//! |--------------------------|--------------------------------------------------------------------|
//! | `scopes`                 | every listed cluster and database (even without grants), sorted    |
//! | `DesiredScope.unmanaged` | database → cluster → `defaults` → `delete`                         |
//! | `DesiredGrant.tenant`    | member's `tenant` → entry's `tenant` → `defaults.tenant`           |
//! | `DesiredGrant.name`      | the entry's `name` (never on a `set` entry)                        |
//! | `DesiredGrant.location`  | the principal entry's first key                                    |
//! | `safety`                 | the file's values, else docs/DESIGN.md §4's defaults               |

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use super::checker::Checker;
use super::grants::{ClusterNames, GrantContext, GrantEntry, ScopeGrants};
use super::principals::Fields;
use crate::config::docpath::DocPath;
use crate::config::mirror::de::{self, NodeDe};
use crate::config::mirror::raw::{RawCluster, RawDefaults, RawFile, RawUnmanaged};
use crate::config::problem::Problem;
use crate::config::read::tree::{Kind, Node};
use crate::model::names;
use crate::model::{
    ClusterRef, DesiredScope, DesiredState, IgnoreRule, Role, SafetyConfig, Scope, Unmanaged,
};

/// The version of the format this build reads.
pub const VERSION: u64 = 1;

/// Checks the raw file (read without its clusters) and each cluster of the conforming `tree`, read
/// one at a time; the state is complete only when no problem was found.
pub fn validate(
    raw: &RawFile,
    tree: &Node,
    tainted: &HashSet<String>,
    file: &str,
) -> (DesiredState, Vec<Problem>) {
    let mut c = Checker::new(tree, tainted);
    let root = DocPath::root();
    if let Some(v) = raw.version.filter(|v| *v != VERSION) {
        c.report(
            &root.key("version"),
            format!("unsupported version `{v}`"),
            Some(format!(
                "this build of kusto-principals reads `version: {VERSION}`"
            )),
        );
    }
    let defaults = raw.defaults.as_ref();
    let default_tenant = c.defaults(defaults);
    let sets = c.sets(&raw.principal_sets);
    let ignore = c.ignore_rules(&raw.ignore);
    let mut cx = GrantContext {
        sets: &sets,
        default_tenant: default_tenant.as_deref(),
    };
    let mut scopes = Vec::new();
    let mut clusters_seen: HashMap<ClusterRef, usize> = HashMap::new();
    let mut referenced: HashSet<String> = HashSet::new();
    let cluster_nodes = match tree.get("clusters").map(|e| &e.value.kind) {
        Some(Kind::Seq(items)) => items.as_slice(),
        _ => &[],
    };
    for (i, node) in cluster_nodes.iter().enumerate() {
        let cluster = match RawCluster::deserialize(NodeDe::new(node)) {
            Ok(cluster) => cluster,
            Err(e) => {
                c.problems.push(de::internal_error(&e));
                continue;
            }
        };
        let cluster = &cluster;
        referenced.extend(referenced_sets(cluster).map(str::to_string));
        let path = root.key("clusters").index(i);
        // A cluster that cannot be placed, or is listed twice, still has its grants checked, so
        // that one run shows every problem; only its scopes are left out.
        let cref = c.cluster_ref(cluster, defaults, &path);
        let first = cref.as_ref().and_then(|r| clusters_seen.get(r).copied());
        if let (Some(cref), Some(first)) = (&cref, first) {
            c.report(
                &path,
                format!("cluster `{cref}` is listed twice, also at line {first}"),
                Some("merge the two entries".into()),
            );
        }
        let keep = cref.is_some() && first.is_none();
        if let Some(cref) = cref.as_ref().filter(|_| keep) {
            clusters_seen.insert(cref.clone(), c.line(&path));
        }
        let unmanaged = unmanaged_of(cluster.unmanaged, defaults.and_then(|d| d.unmanaged));
        let cref = cref.unwrap_or_else(|| ClusterRef::new("", "", "?"));
        let mut own = Vec::new();
        c.cluster_scopes(cluster, cref, unmanaged, &path, &mut cx, &mut own);
        if keep {
            scopes.extend(own);
        }
    }
    c.unused_sets(&sets, &referenced.iter().map(String::as_str).collect());
    c.ignored_and_granted(&ignore, &scopes);
    scopes.sort_by(|a, b| a.scope.cmp(&b.scope));
    let state = DesiredState {
        file: file.to_string(),
        scopes,
        ignore: ignore.into_iter().map(|(rule, _)| rule).collect(),
        safety: safety(raw),
    };
    (state, c.problems)
}

/// Every set name a grant of the cluster refers to, placed or not: a set is unused only if nothing
/// names it.
fn referenced_sets(cl: &RawCluster) -> impl Iterator<Item = &str> {
    let cluster = cl
        .principals
        .iter()
        .flatten()
        .filter_map(|p| p.set.as_deref());
    let databases = cl
        .databases
        .iter()
        .flat_map(|db| db.principals.iter().filter_map(|p| p.set.as_deref()));
    cluster.chain(databases)
}

fn unmanaged_of(own: Option<RawUnmanaged>, inherited: Option<RawUnmanaged>) -> Unmanaged {
    match own.or(inherited) {
        Some(RawUnmanaged::Keep) => Unmanaged::Keep,
        Some(RawUnmanaged::Delete) | None => Unmanaged::Delete,
    }
}

fn safety(raw: &RawFile) -> SafetyConfig {
    let d = SafetyConfig::default();
    let Some(s) = &raw.safety else {
        return d;
    };
    SafetyConfig {
        max_delete_fraction: s.max_delete_fraction.unwrap_or(d.max_delete_fraction),
        min_existing: s
            .min_existing
            .map_or(d.min_existing, |n| usize::try_from(n).unwrap_or(usize::MAX)),
        require_cluster_admin: s.require_cluster_admin.unwrap_or(d.require_cluster_admin),
    }
}

impl Checker<'_> {
    /// Checks `defaults`; returns the default tenant when it is valid.
    fn defaults(&mut self, d: Option<&RawDefaults>) -> Option<String> {
        let d = d?;
        let path = DocPath::root().key("defaults");
        if let Some(s) = &d.subscription {
            self.rule(&path.key("subscription"), "subscription id", s, names::guid);
        }
        if let Some(rg) = &d.resource_group {
            self.rule(
                &path.key("resource_group"),
                "resource group name",
                rg,
                names::resource_group,
            );
        }
        let tenant = d.tenant.as_deref()?;
        self.rule(&path.key("tenant"), "tenant id", tenant, names::guid)
            .then(|| tenant.to_string())
    }

    /// Where a cluster is: its `id`, or its `name` with subscription and resource group from the
    /// entry or `defaults`.
    fn cluster_ref(
        &mut self,
        cl: &RawCluster,
        defaults: Option<&RawDefaults>,
        path: &DocPath,
    ) -> Option<ClusterRef> {
        if let Some(id) = &cl.id {
            let mut ok = true;
            for (key, given) in [
                ("name", &cl.name),
                ("subscription", &cl.subscription),
                ("resource_group", &cl.resource_group),
            ] {
                if given.is_some() {
                    self.report_key(
                        &path.key(key),
                        format!("`{key}` cannot be used with `id`"),
                        Some("the `id` already names the cluster; remove one of them".into()),
                    );
                    ok = false;
                }
            }
            return match names::cluster_id(id) {
                Ok(cref) => ok.then_some(cref),
                Err(hint) => {
                    let message = format!("`{id}` is not a cluster resource id");
                    self.report(&path.key("id"), message, Some(hint));
                    None
                }
            };
        }
        let Some(name) = &cl.name else {
            if !self.tainted(path) {
                self.report(
                    path,
                    "the cluster has no `name`".into(),
                    Some("add `name:`, or the full ARM resource `id:`".into()),
                );
            }
            return None;
        };
        // Each problem is reported here; the entry is still read so its grants get checked too.
        self.rule(&path.key("name"), "cluster name", name, names::cluster);
        let defaults = defaults.cloned().unwrap_or_default();
        let sub = self.inherited(
            path,
            "subscription",
            &cl.subscription,
            &defaults.subscription,
        );
        let rg = self.inherited(
            path,
            "resource_group",
            &cl.resource_group,
            &defaults.resource_group,
        );
        if let Some(s) = &cl.subscription {
            self.rule(&path.key("subscription"), "subscription id", s, names::guid);
        }
        if let Some(rg) = &cl.resource_group {
            let rpath = path.key("resource_group");
            self.rule(&rpath, "resource group name", rg, names::resource_group);
        }
        Some(ClusterRef::new(sub, rg, name.as_str()))
    }

    /// A cluster's own value for `key`, else the default; reports when neither is there (and then
    /// the empty string stands in, as the file is invalid anyway).
    fn inherited(
        &mut self,
        path: &DocPath,
        key: &str,
        own: &Option<String>,
        default: &Option<String>,
    ) -> String {
        let value = own.as_ref().or(default.as_ref()).cloned();
        if value.is_none() {
            self.report(
                path,
                format!("the cluster has no `{key}`"),
                Some(format!("set `{key}` on the cluster or in `defaults`")),
            );
        }
        value.unwrap_or_default()
    }

    /// The cluster's scope and each of its databases', with their grants.
    fn cluster_scopes(
        &mut self,
        cl: &RawCluster,
        cref: ClusterRef,
        unmanaged: Unmanaged,
        path: &DocPath,
        cx: &mut GrantContext,
        scopes: &mut Vec<DesiredScope>,
    ) {
        let mut names_used = ClusterNames::new();
        // No `principals:` key: the cluster level is not managed (as a database not listed is not).
        if let Some(principals) = &cl.principals {
            let mut grants = ScopeGrants::new(Scope::cluster(cref.clone()));
            for (i, p) in principals.iter().enumerate() {
                let entry = GrantEntry {
                    fields: fields(&p.app, &p.user, &p.group, &p.set, &p.tenant),
                    role: p.role.as_ref().and_then(|r| Role::parse(&r.0)),
                    name: p.name.as_deref(),
                };
                let ppath = path.key("principals").index(i);
                self.grant(&entry, &ppath, &mut grants, &mut names_used, cx);
            }
            scopes.push(DesiredScope {
                scope: grants.scope,
                unmanaged,
                grants: sorted(grants.grants),
            });
        }
        let mut dbs_seen: HashMap<String, usize> = HashMap::new();
        for (d, db) in cl.databases.iter().enumerate() {
            let dpath = path.key("databases").index(d);
            let Some(name) = &db.name else { continue };
            self.rule(&dpath.key("name"), "database name", name, names::database);
            let line = self.line(&dpath);
            if let Some(first) = dbs_seen.get(&name.to_ascii_lowercase()) {
                self.report(
                    &dpath,
                    format!("database `{name}` is listed twice in cluster `{cref}`, also at line {first}"),
                    Some("merge the two entries".into()),
                );
                continue;
            }
            dbs_seen.insert(name.to_ascii_lowercase(), line);
            let mut grants = ScopeGrants::new(Scope::database(cref.clone(), name.as_str()));
            for (i, p) in db.principals.iter().enumerate() {
                let entry = GrantEntry {
                    fields: fields(&p.app, &p.user, &p.group, &p.set, &p.tenant),
                    role: p.role.as_ref().and_then(|r| Role::parse(&r.0)),
                    name: p.name.as_deref(),
                };
                let ppath = dpath.key("principals").index(i);
                self.grant(&entry, &ppath, &mut grants, &mut names_used, cx);
            }
            scopes.push(DesiredScope {
                scope: grants.scope,
                unmanaged: db
                    .unmanaged
                    .map_or(unmanaged, |u| unmanaged_of(Some(u), None)),
                grants: sorted(grants.grants),
            });
        }
    }

    /// Reports an ignored identity that the file also grants: it would never be checked.
    fn ignored_and_granted(&mut self, ignore: &[(IgnoreRule, DocPath)], scopes: &[DesiredScope]) {
        if ignore.is_empty() {
            return;
        }
        for (rule, path) in ignore {
            let hit = scopes.iter().find_map(|s| {
                s.grants.iter().find(|g| {
                    g.key.principal_type == rule.principal_type
                        && g.key.principal_id == rule.principal_id
                        && rule.role.is_none_or(|r| r == g.key.role)
                })
            });
            if let Some(g) = hit {
                self.report(
                    path,
                    format!(
                        "`{}:{}` is ignored but also granted `{}` at `{}`, line {}",
                        rule.principal_type.file_key(),
                        rule.principal_id,
                        g.key.role,
                        g.key.scope,
                        g.location.line
                    ),
                    Some("an ignored principal is never changed; remove the grant or the `ignore` entry".into()),
                );
            }
        }
    }
}

fn fields<'r>(
    app: &'r Option<String>,
    user: &'r Option<String>,
    group: &'r Option<String>,
    set: &'r Option<String>,
    tenant: &'r Option<String>,
) -> Fields<'r> {
    Fields {
        app: app.as_deref(),
        user: user.as_deref(),
        group: group.as_deref(),
        set: set.as_deref(),
        tenant: tenant.as_deref(),
        sets_allowed: true,
    }
}

/// Sorted, and trimmed to its length: a scope's list outlives the checks (100k grants in all).
fn sorted(mut grants: Vec<crate::model::DesiredGrant>) -> Vec<crate::model::DesiredGrant> {
    grants.sort_by(|a, b| a.key.cmp(&b.key));
    grants.shrink_to_fit();
    grants
}
