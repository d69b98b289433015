//! "Did you mean" and the wording of role mistakes, shared by the shape and semantic checks.

use crate::model::{Role, ScopeKind};

/// The candidate closest to `word`: the same word in another case, else a near spelling
/// (`similar::get_close_matches`, cutoff 0.6, as Python's difflib).
pub fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    if let Some(same) = candidates.iter().find(|c| c.eq_ignore_ascii_case(word)) {
        return Some(same);
    }
    if let Some(near) = similar::get_close_matches(word, candidates, 1, 0.6).first() {
        return Some(near);
    }
    let lower = word.to_ascii_lowercase();
    let lowered: Vec<String> = candidates.iter().map(|c| c.to_ascii_lowercase()).collect();
    let refs: Vec<&str> = lowered.iter().map(String::as_str).collect();
    let near = similar::get_close_matches(lower.as_str(), &refs, 1, 0.6);
    let i = refs.iter().position(|r| Some(r) == near.first())?;
    Some(candidates[i])
}

/// `` `a`, `b`, `c` ``
pub fn list(items: &[&str]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The hint for an unknown key: a near key, a known synonym, or the keys allowed here.
pub fn unknown_key_hint(key: &str, known: &[&str]) -> String {
    if key == "<<" {
        return "YAML merge keys are not supported; write the keys out, or use `principal_sets`"
            .into();
    }
    if key == "set" && !known.contains(&"set") {
        return "sets cannot hold sets; list the members here".into();
    }
    let synonym = match key.to_ascii_lowercase().as_str() {
        "application" | "applicationid" | "application_id" | "appid" | "app_id" | "client"
        | "client_id" | "clientid" | "sp" | "spn" | "service_principal" | "serviceprincipal" => {
            Some("app")
        }
        "upn" | "email" | "mail" => Some("user"),
        "principal_set" | "principalset" => Some("set"),
        _ => None,
    };
    match synonym
        .filter(|s| known.contains(s))
        .or_else(|| closest(key, known))
    {
        Some(near) => format!("did you mean `{near}`?"),
        None => format!("expected one of {}", list(known)),
    }
}

fn role_names(kind: ScopeKind) -> Vec<&'static str> {
    Role::for_scope(kind).iter().map(|r| r.as_str()).collect()
}

/// The message and hint for a role not allowed where it is written. `allowed` is the list the
/// schema gives at that place: the cluster roles, the database roles, or all of them.
pub fn role_problem(value: &str, allowed: &[&str]) -> (String, String) {
    let cluster = role_names(ScopeKind::Cluster);
    let database = role_names(ScopeKind::Database);
    let here = if allowed == cluster.as_slice() {
        Some(ScopeKind::Cluster)
    } else if allowed == database.as_slice() {
        Some(ScopeKind::Database)
    } else {
        None
    };
    if let (Some(here), Some(role)) = (here, Role::parse(value)) {
        let there = role.scope_kind();
        let hint = match there {
            ScopeKind::Database => format!(
                "move it to a database's `principals`, or use a cluster role: {}",
                list(allowed)
            ),
            ScopeKind::Cluster => format!(
                "move it to the cluster's `principals`, or use a database role: {}",
                list(allowed)
            ),
        };
        return (
            format!("`{value}` is a {there} role, not a {here} role"),
            hint,
        );
    }
    let what = match here {
        Some(kind) => format!("{kind} roles are"),
        None => "roles are".to_string(),
    };
    let hint = match closest(value, allowed) {
        Some(near) => format!("did you mean `{near}`? {what} {}", list(allowed)),
        None => format!("{what} {}", list(allowed)),
    };
    (format!("unknown role `{value}`"), hint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_words_are_suggested() {
        let roles = role_names(ScopeKind::Cluster);
        assert_eq!(
            closest("AllDatabaseAdmin", &roles),
            Some("AllDatabasesAdmin")
        );
        assert_eq!(
            closest("alldatabasesviewer", &roles),
            Some("AllDatabasesViewer")
        );
        assert_eq!(closest("Owner", &roles), None);
        assert_eq!(
            closest("Viewr", &role_names(ScopeKind::Database)),
            Some("Viewer")
        );
        let keys = ["app", "group", "role", "set", "user"];
        assert_eq!(unknown_key_hint("rol", &keys), "did you mean `role`?");
        assert_eq!(
            unknown_key_hint("application", &keys),
            "did you mean `app`?"
        );
        assert!(unknown_key_hint("zzz", &keys).starts_with("expected one of `app`"));
    }

    #[test]
    fn a_role_of_the_other_scope_says_where_it_belongs() {
        let (m, h) = role_problem("Viewer", &role_names(ScopeKind::Cluster));
        assert_eq!(m, "`Viewer` is a database role, not a cluster role");
        assert!(h.starts_with("move it to a database's `principals`"));
        let (m, h) = role_problem("Viewr", &role_names(ScopeKind::Database));
        assert_eq!(m, "unknown role `Viewr`");
        assert!(h.starts_with("did you mean `Viewer`? database roles are `Admin`"));
    }
}
