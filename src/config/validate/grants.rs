//! The grants of one scope: each principal entry expanded (a set into its members), each key at
//! most once per scope, each assignment `name` valid and used once per cluster.

use std::collections::HashMap;

use super::checker::Checker;
use super::principals::{Fields, Identity, Sets, Who};
use crate::config::docpath::DocPath;
use crate::model::names;
use crate::model::{AssignmentKey, DesiredGrant, PrincipalId, PrincipalType, Role, Scope};

/// One principal entry of a cluster or database, whichever it is.
pub(super) struct GrantEntry<'r> {
    pub fields: Fields<'r>,
    pub role: Option<Role>,
    pub name: Option<&'r str>,
}

/// Where a key was first granted: its line, and the set it came through.
struct Origin {
    line: usize,
    via: Option<String>,
}

/// The grants of one scope, as they are collected.
pub(super) struct ScopeGrants {
    pub scope: Scope,
    seen: HashMap<(PrincipalType, PrincipalId, Role), Origin>,
    pub grants: Vec<DesiredGrant>,
}

impl ScopeGrants {
    pub fn new(scope: Scope) -> Self {
        ScopeGrants {
            scope,
            seen: HashMap::new(),
            grants: Vec::new(),
        }
    }
}

/// Assignment names used so far in one cluster (lowercased, as ARM compares), with their lines.
pub(super) type ClusterNames = HashMap<String, usize>;

/// What every grant of the file shares.
pub(super) struct GrantContext<'s> {
    pub sets: &'s Sets,
    pub default_tenant: Option<&'s str>,
}

fn via_text(via: &Option<String>) -> String {
    via.as_ref()
        .map(|s| format!(" through set `{s}`"))
        .unwrap_or_default()
}

impl Checker<'_> {
    /// Checks one principal entry and adds its grants to `into`.
    pub fn grant(
        &mut self,
        e: &GrantEntry,
        path: &DocPath,
        into: &mut ScopeGrants,
        names_used: &mut ClusterNames,
        cx: &mut GrantContext,
    ) {
        let who = self.principal(&e.fields, path);
        let name = e
            .name
            .and_then(|n| self.assignment_name(n, &who, path, into, names_used));
        let Some(who) = who else {
            return;
        };
        let Some(identities) = self.identities(who, cx.sets, path) else {
            return;
        };
        // After the set is looked up: a mistyped role must not also make the set look unused.
        let Some(role) = e.role else {
            return;
        };
        let location = self.at(path).unwrap_or_default();
        for (identity, via) in identities {
            let seen_key = (identity.kind, identity.id.clone(), role);
            if let Some(first) = into.seen.get(&seen_key) {
                self.duplicate_grant(path, &identity, role, &via, first, &into.scope);
                continue;
            }
            into.seen.insert(
                seen_key,
                Origin {
                    line: location.line,
                    via,
                },
            );
            into.grants.push(DesiredGrant {
                key: AssignmentKey {
                    scope: into.scope.clone(),
                    principal_type: identity.kind,
                    principal_id: identity.id,
                    role,
                },
                name: name.clone(),
                tenant: identity
                    .tenant
                    .or_else(|| cx.default_tenant.map(str::to_string)),
                location,
                resolved: None,
            });
        }
    }

    /// The identities an entry grants, each with the set it came through (a set's members take
    /// the entry's `tenant` when they state none); `None` when the set is unknown.
    fn identities(
        &mut self,
        who: Who,
        sets: &Sets,
        path: &DocPath,
    ) -> Option<Vec<(Identity, Option<String>)>> {
        Some(match who {
            Who::One(identity) => vec![(identity, None)],
            Who::Set(set, tenant) => {
                let members = self.set_members(sets, &set, &path.key("set"))?;
                members
                    .into_iter()
                    .map(|mut m| {
                        m.tenant = m.tenant.or_else(|| tenant.clone());
                        (m, Some(set.clone()))
                    })
                    .collect()
            }
        })
    }

    /// Reports a key granted twice at one scope, naming both places and the sets they came through.
    fn duplicate_grant(
        &mut self,
        path: &DocPath,
        identity: &Identity,
        role: Role,
        via: &Option<String>,
        first: &Origin,
        scope: &Scope,
    ) {
        self.report(
            path,
            format!(
                "duplicate grant `{} {role}`{}, also at line {}{}",
                identity.label(),
                via_text(via),
                first.line,
                via_text(&first.via),
            ),
            Some(format!(
                "a principal holds a role once per scope; remove one of the grants at `{scope}`"
            )),
        );
    }

    /// A valid assignment name, not used before at this scope and not on a set.
    fn assignment_name(
        &mut self,
        name: &str,
        who: &Option<Who>,
        path: &DocPath,
        into: &ScopeGrants,
        names_used: &mut ClusterNames,
    ) -> Option<String> {
        let npath = path.key("name");
        if let Some(Who::Set(..)) = who {
            self.report_key(
                &npath,
                "`name` cannot be used with `set`".into(),
                Some("a set becomes one assignment per member, and each needs its own name".into()),
            );
            return None;
        }
        if !self.rule(&npath, "assignment name", name, names::assignment) {
            return None;
        }
        let line = self.line(&npath);
        // ARM names are unique per scope (the cluster, or one database): the same name in two
        // databases is two resources, as `export` of a real estate shows.
        let key = format!("{}\u{0}{}", into.scope, names::fold(name));
        if let Some(first) = names_used.insert(key.clone(), line) {
            names_used.insert(key, first);
            self.report(
                &npath,
                format!(
                    "assignment name `{name}` is used twice in `{}`, also at line {first}",
                    into.scope
                ),
                Some("give each grant its own name, or leave `name` out".into()),
            );
            return None;
        }
        Some(name.to_string())
    }
}
