//! The raw mirror → a normalised `DesiredState`, reporting every semantic problem: the version,
//! GUIDs and names, how each cluster is addressed (`clusters`), duplicates, sets, `ignore` against
//! the grants.
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

use std::collections::HashSet;

use super::checker::Checker;
use super::grants::GrantContext;
use crate::config::docpath::DocPath;
use crate::config::mirror::raw::{RawDefaults, RawFile};
use crate::config::problem::Problem;
use crate::config::read::tree::Node;
use crate::model::names;
use crate::model::{DesiredScope, DesiredState, IgnoreRule, SafetyConfig};

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
    c.version(raw.version);
    let defaults = raw.defaults.as_ref();
    let default_tenant = c.defaults(defaults);
    let sets = c.sets(&raw.principal_sets);
    let ignore = c.ignore_rules(&raw.ignore);
    let mut cx = GrantContext {
        sets: &sets,
        default_tenant: default_tenant.as_deref(),
    };
    let (mut scopes, referenced) = c.clusters(tree, defaults, &mut cx);
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
    /// Reports a `version` this build does not read.
    fn version(&mut self, version: Option<u64>) {
        if let Some(v) = version.filter(|v| *v != VERSION) {
            self.report(
                &DocPath::root().key("version"),
                format!("unsupported version `{v}`"),
                Some(format!(
                    "this build of kusto-principals reads `version: {VERSION}`"
                )),
            );
        }
    }

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
