//! The JSON document of a plan (`plan --format json`, and the body of a saved plan): versioned wire
//! structs, separate from the model so that the model can change without breaking readers.
//! `docs/plan-format.md` documents every field; `FORMAT_VERSION` changes when a field changes
//! meaning or disappears (adding a field does not change it).
//!
//! No-ops are counted in `summary.unchanged` but not listed; ignored assignments are neither.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::{
    AssignmentKey, ClusterRef, CurrentAssignment, DesiredGrant, PrincipalId, PrincipalType,
    Provisioning, Role, Scope, SourceLocation,
};

use super::action::{Change, Pending, ScopePlan, Summary};
use super::safety::SafetyVerdict;
use super::scope_error::ScopeError;
use super::whole::Plan;

/// The version of the document's shape.
pub const FORMAT_VERSION: u32 = 2;

/// `plan --format json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanDocument {
    pub format_version: u32,
    /// The desired-state file, as given on the command line.
    pub file: String,
    pub summary: Summary,
    pub safety: SafetyVerdict,
    /// Every change that writes, sorted by scope then key.
    pub changes: Vec<WireChange>,
    /// In Azure, not in the file, kept because the scope's policy is `unmanaged: keep`.
    pub unmanaged: Vec<WireGrant>,
    /// Scopes of the file that could not be read; they have no changes.
    pub errors: Vec<WireError>,
    /// Listed assignments left for a later run: not `Succeeded` yet, or waiting for one that is not.
    #[serde(default)]
    pub pending: Vec<WirePending>,
    /// Scopes not checked because their cluster is not Running (`reason`: `cluster is Stopped`);
    /// they have no changes and are not errors.
    #[serde(default)]
    pub skipped: Vec<WireSkipped>,
    /// Follower databases of the file, with their leader and `principalsModificationKind`.
    #[serde(default)]
    pub followers: Vec<WireFollower>,
}

/// An assignment the plan does not act on yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WirePending {
    #[serde(flatten)]
    pub grant: WireGrant,
    /// ARM's `provisioningState` (`Creating`, …; `Succeeded` for one that waits).
    pub provisioning_state: String,
    /// The in-progress assignment whose success this one's delete waits for; `null` when this one
    /// is itself in progress.
    pub waits_for: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireSkipped {
    pub scope: WireScope,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireFollower {
    pub scope: WireScope,
    /// The leader cluster's ARM id.
    pub leader: String,
    /// `Union`, `Replace` or `None`.
    pub principals_modification_kind: String,
}

/// Where a grant lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireScope {
    pub subscription: String,
    pub resource_group: String,
    pub cluster: String,
    /// `null` for a cluster-level grant.
    pub database: Option<String>,
}

/// One grant: the one written (create, replace) or the one found (delete, unmanaged).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireGrant {
    pub scope: WireScope,
    pub principal_type: PrincipalType,
    pub principal_id: String,
    pub role: Role,
    /// The assignment name: the one a create PUTs, or the one ARM lists.
    pub name: String,
    /// The file's tenant for a create, ARM's `tenantId` for an existing grant; `null` when unknown.
    pub tenant: Option<String>,
    /// ARM's `principalName` of an existing grant, when ARM gave one.
    pub display_name: Option<String>,
    /// ARM's `aadObjectId` of an existing grant, when ARM gave one.
    pub object_id: Option<String>,
}

/// What a replace removes (its `display_name` and `object_id` are the change's own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireBefore {
    pub role: Role,
    pub principal_type: PrincipalType,
    pub principal_id: String,
    pub name: String,
    pub tenant: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireReplace {
    #[serde(flatten)]
    pub grant: WireGrant,
    pub before: WireBefore,
}

/// One change; `action` is `create`, `delete` or `replace`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "lowercase")]
pub enum WireChange {
    Create(WireGrant),
    Delete(WireGrant),
    Replace(WireReplace),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireError {
    pub scope: WireScope,
    pub message: String,
}

impl From<&Scope> for WireScope {
    fn from(s: &Scope) -> Self {
        WireScope {
            subscription: s.cluster.subscription.to_string(),
            resource_group: s.cluster.resource_group.to_string(),
            cluster: s.cluster.cluster.to_string(),
            database: s.database_name().map(str::to_string),
        }
    }
}

impl From<&WireScope> for Scope {
    fn from(w: &WireScope) -> Self {
        let cluster = ClusterRef::new(&w.subscription, &w.resource_group, &w.cluster);
        match &w.database {
            None => Scope::cluster(cluster),
            Some(db) => Scope::database(cluster, db),
        }
    }
}

fn from_desired(g: &DesiredGrant) -> WireGrant {
    WireGrant {
        scope: (&g.key.scope).into(),
        principal_type: g.key.principal_type,
        principal_id: g.key.principal_id.to_string(),
        role: g.key.role,
        name: g.create_name(),
        tenant: g.tenant.clone(),
        display_name: g.resolved.as_ref().and_then(|r| r.display_name.clone()),
        object_id: g.resolved.as_ref().map(|r| r.object_id.clone()),
    }
}

fn from_current(a: &CurrentAssignment) -> WireGrant {
    WireGrant {
        scope: (&a.key.scope).into(),
        principal_type: a.key.principal_type,
        principal_id: a.key.principal_id.to_string(),
        role: a.key.role,
        name: a.name.clone(),
        tenant: a.tenant_id.clone(),
        display_name: a.principal_name.clone(),
        object_id: a.aad_object_id.clone(),
    }
}

impl WireGrant {
    fn key(&self) -> AssignmentKey {
        AssignmentKey {
            scope: (&self.scope).into(),
            principal_type: self.principal_type,
            principal_id: PrincipalId::new(&self.principal_id),
            role: self.role,
        }
    }

    /// The desired side. The file's line and column are not recorded; a generated name reads back
    /// as no name, which creates the same.
    fn to_desired(&self) -> DesiredGrant {
        let key = self.key();
        let name = (self.name != key.generated_name()).then(|| self.name.clone());
        DesiredGrant {
            key,
            name,
            tenant: self.tenant.clone(),
            location: SourceLocation::default(),
            resolved: None,
        }
    }

    /// The current side. ARM's `tenantName` is not recorded.
    fn to_current(&self) -> CurrentAssignment {
        CurrentAssignment {
            key: self.key(),
            name: self.name.clone(),
            tenant_id: self.tenant.clone(),
            tenant_name: None,
            principal_name: self.display_name.clone(),
            aad_object_id: self.object_id.clone(),
            provisioning: Default::default(),
        }
    }
}

impl PlanDocument {
    pub fn new(plan: &Plan, file: &str) -> Self {
        let mut doc = PlanDocument {
            format_version: FORMAT_VERSION,
            file: file.to_string(),
            summary: plan.summary(),
            safety: plan.safety.clone(),
            changes: Vec::new(),
            unmanaged: Vec::new(),
            errors: Vec::new(),
            pending: Vec::new(),
            skipped: Vec::new(),
            followers: Vec::new(),
        };
        for sp in &plan.scopes {
            doc.add(sp);
        }
        doc
    }

    /// What one scope plan puts in each list of the document.
    fn add(&mut self, sp: &ScopePlan) {
        self.changes.extend(sp.changes.iter().filter_map(to_wire));
        self.unmanaged.extend(sp.kept.iter().map(from_current));
        self.pending.extend(sp.pending.iter().map(|p| WirePending {
            grant: from_current(&p.assignment),
            provisioning_state: p.assignment.provisioning.as_str().to_string(),
            waits_for: p.waits_for.clone(),
        }));
        if let Some(message) = &sp.error {
            self.errors.push(WireError {
                scope: (&sp.scope).into(),
                message: message.to_string(),
            });
        }
        if let Some(reason) = &sp.not_checked {
            self.skipped.push(WireSkipped {
                scope: (&sp.scope).into(),
                reason: reason.clone(),
            });
        }
        if let Some(f) = &sp.follows {
            self.followers.push(WireFollower {
                scope: (&sp.scope).into(),
                leader: f.leader.clone(),
                principals_modification_kind: f.modification_kind.clone(),
            });
        }
    }

    /// The plan again, without what the document does not carry: no-ops, ignored assignments,
    /// counts of existing assignments, fingerprints. Scopes appear when something names them.
    pub fn to_plan(&self) -> Plan {
        let mut scopes: BTreeMap<Scope, ScopePlan> = BTreeMap::new();
        fn at<'a>(
            scopes: &'a mut BTreeMap<Scope, ScopePlan>,
            scope: &WireScope,
        ) -> &'a mut ScopePlan {
            let scope = Scope::from(scope);
            scopes
                .entry(scope.clone())
                .or_insert_with(|| ScopePlan::new(scope))
        }
        for c in &self.changes {
            let (scope, change) = c.to_change();
            at(&mut scopes, scope).changes.push(change);
        }
        for g in &self.unmanaged {
            at(&mut scopes, &g.scope).kept.push(g.to_current());
        }
        for e in &self.errors {
            at(&mut scopes, &e.scope).error = Some(ScopeError::Described(e.message.clone()));
        }
        for p in &self.pending {
            let mut assignment = p.grant.to_current();
            assignment.provisioning = Provisioning::parse(Some(&p.provisioning_state));
            at(&mut scopes, &p.grant.scope).pending.push(Pending {
                assignment,
                waits_for: p.waits_for.clone(),
            });
        }
        for k in &self.skipped {
            at(&mut scopes, &k.scope).not_checked = Some(k.reason.clone());
        }
        for f in &self.followers {
            at(&mut scopes, &f.scope).follows = Some(crate::model::Follower {
                leader: f.leader.clone(),
                modification_kind: f.principals_modification_kind.clone(),
            });
        }
        Plan {
            scopes: scopes.into_values().collect(),
            safety: self.safety.clone(),
            file: self.file.clone(),
        }
    }
}

/// A change of the plan in the document; `None` for a no-op, which the document only counts.
fn to_wire(c: &Change) -> Option<WireChange> {
    match c {
        Change::Create { after } => Some(WireChange::Create(from_desired(after))),
        Change::Delete { before } => Some(WireChange::Delete(from_current(before))),
        Change::Replace { before, after } => {
            let mut grant = from_desired(after);
            grant.display_name = before.principal_name.clone();
            grant.object_id = before.aad_object_id.clone();
            Some(WireChange::Replace(WireReplace {
                grant,
                before: WireBefore {
                    role: before.key.role,
                    principal_type: before.key.principal_type,
                    principal_id: before.key.principal_id.to_string(),
                    name: before.name.clone(),
                    tenant: before.tenant_id.clone(),
                },
            }))
        }
        Change::NoOp { .. } => None,
    }
}

impl WireChange {
    /// The change again, and the scope it is at.
    fn to_change(&self) -> (&WireScope, Change) {
        match self {
            WireChange::Create(g) => (
                &g.scope,
                Change::Create {
                    after: g.to_desired(),
                },
            ),
            WireChange::Delete(g) => (
                &g.scope,
                Change::Delete {
                    before: g.to_current(),
                },
            ),
            WireChange::Replace(r) => {
                let mut old = r.grant.clone();
                old.principal_type = r.before.principal_type;
                old.principal_id = r.before.principal_id.clone();
                old.role = r.before.role;
                old.name = r.before.name.clone();
                old.tenant = r.before.tenant.clone();
                let change = Change::Replace {
                    before: old.to_current(),
                    after: r.grant.to_desired(),
                };
                (&r.grant.scope, change)
            }
        }
    }
}
