//! A principal assignment as ARM shows it: `id`, `name` and `type` with the real service's
//! capitalised segments, and the properties, with the fields the service resolves (`tenantId` when
//! defaulted, `tenantName`, `principalName`, `aadObjectId`) only once the assignment is provisioned
//! and only on reads. A user's `principalId` then reads back as the user's mail, whatever form was
//! sent (Azure's behaviour, seen in the recordings and in azurerm #11034).

use serde::Serialize;

use super::world::{Provisioning, ScopeIdx, Stored, World};

#[derive(Serialize)]
pub struct AssignmentResource {
    id: String,
    name: String,
    #[serde(rename = "type")]
    ty: &'static str,
    properties: Properties,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Properties {
    principal_id: String,
    role: &'static str,
    principal_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    tenant_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tenant_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    principal_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    aad_object_id: Option<String>,
    provisioning_state: &'static str,
}

/// The resource as ARM shows it; `resolved` adds what the service fills in after provisioning.
pub fn resource(w: &World, s: ScopeIdx, a: &Stored, resolved: bool) -> AssignmentResource {
    let (id, name, ty) = identity(w, s, &a.spec.name);
    let mut p = Properties {
        principal_id: a.spec.principal_id.clone(),
        role: a.spec.role.as_str(),
        principal_type: a.spec.principal_type.as_str(),
        tenant_id: a.spec.tenant_id.clone(),
        tenant_name: None,
        principal_name: None,
        aad_object_id: None,
        provisioning_state: a.provisioning.as_str(),
    };
    if resolved && a.provisioning != Provisioning::Creating {
        resolve(w, a, &mut p);
    }
    AssignmentResource {
        id,
        name,
        ty,
        properties: p,
    }
}

/// `id`, `name` and `type` of assignment `assignment` in scope `s`, with the service's capitalised
/// segments.
fn identity(w: &World, s: ScopeIdx, assignment: &str) -> (String, String, &'static str) {
    let c = &w.clusters[s.cluster];
    let base = format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Kusto/Clusters/{}",
        c.subscription, c.resource_group, c.name
    );
    match s.database {
        None => (
            format!("{base}/PrincipalAssignments/{assignment}"),
            format!("{}/{assignment}", c.name),
            "Microsoft.Kusto/Clusters/PrincipalAssignments",
        ),
        Some(d) => {
            let db = &c.databases[d].name;
            (
                format!("{base}/Databases/{db}/PrincipalAssignments/{assignment}"),
                format!("{}/{db}/{assignment}", c.name),
                "Microsoft.Kusto/Clusters/Databases/PrincipalAssignments",
            )
        }
    }
}

/// The fields the service resolves through Entra ID: the tenant (and its name when it is the
/// emulator's), the principal's name and object id, and a user's mail as its `principalId`.
fn resolve(w: &World, a: &Stored, p: &mut Properties) {
    let tenant = a
        .spec
        .tenant_id
        .clone()
        .unwrap_or_else(|| w.tenant_id.clone());
    let found = w
        .directory
        .resolve(a.spec.principal_type, &a.spec.principal_id, None);
    p.tenant_name = Some(if tenant.eq_ignore_ascii_case(&w.tenant_id) {
        w.tenant_name.clone()
    } else {
        String::new()
    });
    p.tenant_id = Some(tenant);
    p.principal_name = Some(
        found
            .as_ref()
            .map(|r| r.principal_name.clone())
            .unwrap_or_default(),
    );
    if let Some(mail) = found.as_ref().and_then(|r| r.stored_id.clone()) {
        p.principal_id = mail;
    }
    p.aad_object_id = Some(found.map(|r| r.object_id).unwrap_or_default());
}
