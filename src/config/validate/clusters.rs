//! The clusters of the file, read from the tree one at a time: where each is (its `id`, or its
//! `name` with subscription and resource group from the entry or `defaults`), listed once, and the
//! scope of the cluster and of each database with their grants.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use super::checker::Checker;
use super::grants::{ClusterNames, GrantContext, GrantEntry, ScopeGrants};
use super::principals::Fields;
use crate::config::docpath::DocPath;
use crate::config::mirror::de::{self, NodeDe};
use crate::config::mirror::raw::{RawCluster, RawDefaults, RawUnmanaged};
use crate::config::read::tree::{Kind, Node};
use crate::model::names;
use crate::model::{ClusterRef, DesiredGrant, DesiredScope, Role, Scope, Unmanaged};

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

impl Checker<'_> {
    /// Reads and checks each cluster of the conforming `tree`, one at a time. Returns the scopes of
    /// the clusters placed and listed once, and every set name a cluster refers to.
    pub fn clusters(
        &mut self,
        tree: &Node,
        defaults: Option<&RawDefaults>,
        cx: &mut GrantContext,
    ) -> (Vec<DesiredScope>, HashSet<String>) {
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
                    self.problems.push(de::internal_error(&e));
                    continue;
                }
            };
            referenced.extend(referenced_sets(&cluster).map(str::to_string));
            let path = DocPath::root().key("clusters").index(i);
            let own = self.cluster(&cluster, defaults, &path, &mut clusters_seen, cx);
            scopes.extend(own);
        }
        (scopes, referenced)
    }

    /// One cluster: its scopes, or none when it cannot be placed or is listed twice.
    fn cluster(
        &mut self,
        cluster: &RawCluster,
        defaults: Option<&RawDefaults>,
        path: &DocPath,
        clusters_seen: &mut HashMap<ClusterRef, usize>,
        cx: &mut GrantContext,
    ) -> Vec<DesiredScope> {
        // A cluster that cannot be placed, or is listed twice, still has its grants checked, so
        // that one run shows every problem; only its scopes are left out.
        let cref = self.cluster_ref(cluster, defaults, path);
        let first = cref.as_ref().and_then(|r| clusters_seen.get(r).copied());
        if let (Some(cref), Some(first)) = (&cref, first) {
            self.report(
                path,
                format!("cluster `{cref}` is listed twice, also at line {first}"),
                Some("merge the two entries".into()),
            );
        }
        let keep = cref.is_some() && first.is_none();
        if let Some(cref) = cref.as_ref().filter(|_| keep) {
            clusters_seen.insert(cref.clone(), self.line(path));
        }
        let unmanaged = unmanaged_of(cluster.unmanaged, defaults.and_then(|d| d.unmanaged));
        let cref = cref.unwrap_or_else(|| ClusterRef::new("", "", "?"));
        let own = self.cluster_scopes(cluster, cref, unmanaged, path, cx);
        if keep { own } else { Vec::new() }
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
            return self.cluster_by_id(cl, id, path);
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
        Some(self.cluster_by_name(cl, name, defaults, path))
    }

    /// A cluster given by its ARM resource `id`, which no other key of the place may repeat.
    fn cluster_by_id(&mut self, cl: &RawCluster, id: &str, path: &DocPath) -> Option<ClusterRef> {
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
        match names::cluster_id(id) {
            Ok(cref) => ok.then_some(cref),
            Err(hint) => {
                let message = format!("`{id}` is not a cluster resource id");
                self.report(&path.key("id"), message, Some(hint));
                None
            }
        }
    }

    /// A cluster given by `name`, with subscription and resource group from the entry or
    /// `defaults`.
    fn cluster_by_name(
        &mut self,
        cl: &RawCluster,
        name: &str,
        defaults: Option<&RawDefaults>,
        path: &DocPath,
    ) -> ClusterRef {
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
        ClusterRef::new(sub, rg, name)
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
    ) -> Vec<DesiredScope> {
        let mut scopes = Vec::new();
        let mut names_used = ClusterNames::new();
        // No `principals:` key: the cluster level is not managed (as a database not listed is not).
        if let Some(principals) = &cl.principals {
            let entries = principals.iter().map(|p| GrantEntry {
                fields: fields(&p.app, &p.user, &p.group, &p.set, &p.tenant),
                role: p.role.as_ref().and_then(|r| Role::parse(&r.0)),
                name: p.name.as_deref(),
            });
            let scope = Scope::cluster(cref.clone());
            scopes.push(self.scope(scope, unmanaged, entries, path, &mut names_used, cx));
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
            let entries = db.principals.iter().map(|p| GrantEntry {
                fields: fields(&p.app, &p.user, &p.group, &p.set, &p.tenant),
                role: p.role.as_ref().and_then(|r| Role::parse(&r.0)),
                name: p.name.as_deref(),
            });
            let scope = Scope::database(cref.clone(), name.as_str());
            let unmanaged = db
                .unmanaged
                .map_or(unmanaged, |u| unmanaged_of(Some(u), None));
            scopes.push(self.scope(scope, unmanaged, entries, &dpath, &mut names_used, cx));
        }
        scopes
    }

    /// One scope with the grants of its entries (at `path.principals[i]`), each checked.
    fn scope<'r>(
        &mut self,
        scope: Scope,
        unmanaged: Unmanaged,
        entries: impl Iterator<Item = GrantEntry<'r>>,
        path: &DocPath,
        names_used: &mut ClusterNames,
        cx: &mut GrantContext,
    ) -> DesiredScope {
        let mut grants = ScopeGrants::new(scope);
        for (i, entry) in entries.enumerate() {
            let ppath = path.key("principals").index(i);
            self.grant(&entry, &ppath, &mut grants, names_used, cx);
        }
        DesiredScope {
            scope: grants.scope,
            unmanaged,
            grants: sorted(grants.grants),
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
fn sorted(mut grants: Vec<DesiredGrant>) -> Vec<DesiredGrant> {
    grants.sort_by(|a, b| a.key.cmp(&b.key));
    grants.shrink_to_fit();
    grants
}
