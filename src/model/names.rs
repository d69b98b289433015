//! The naming rules of every name that becomes part of an ARM URL, in one place: the validator of
//! the file (`config`), the saved-plan loader and the parsing of ARM's answers all call these.
//!
//! Every rule starts from `segment`, what any single ARM path segment must be: 1 to 260 characters,
//! no control character, no `/` or `\`, no leading or trailing whitespace, and not `.` or `..`
//! (which a URL parser would resolve away, even percent-encoded, reaching another resource).
//!
//! | value                | rule, on top of `segment`                                            |
//! |----------------------|----------------------------------------------------------------------|
//! | subscription, tenant | a GUID                                                               |
//! | resource group       | 1–90 letters, digits, `_ - . ( )`, not ending in `.` (ARM's pattern) |
//! | cluster              | 4–22 letters and digits, starting with a letter (Kusto's rule)       |
//! | database             | 1–260 letters, digits, spaces, `_ - .`, not only dots               |
//! | assignment `name`    | 1–260 ASCII letters, digits, spaces, `. -`, not only dots (as Terraform) |
//! | listed assignment    | `segment` only: ARM itself accepts any name (`^.*$`)                 |
//! | cluster `id`         | `/subscriptions/{guid}/resourceGroups/{rg}/providers/Microsoft.Kusto/clusters/{name}` |
//!
//! Names compare as ARM compares them: without case (`fold`, `same`). Each check returns the hint
//! to show, or `Ok`.

use super::{ClusterRef, PrincipalId};

/// The kinds of name, for callers that check a name by kind (the saved-plan loader).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    Subscription,
    ResourceGroup,
    Cluster,
    Database,
    /// An assignment name the file or a saved plan asks to create.
    Assignment,
    /// An assignment name ARM listed: any name ARM accepts that is one safe path segment.
    ListedAssignment,
}

/// Checks `value` as a name of `kind`.
pub fn check(kind: NameKind, value: &str) -> Result<(), String> {
    match kind {
        NameKind::Subscription => guid(value),
        NameKind::ResourceGroup => resource_group(value),
        NameKind::Cluster => cluster(value),
        NameKind::Database => database(value),
        NameKind::Assignment => assignment(value),
        NameKind::ListedAssignment => segment(value),
    }
}

/// The form two names are compared in: ARM's names are case-insensitive.
pub fn fold(name: &str) -> String {
    name.to_lowercase()
}

/// True when ARM treats `a` and `b` as the same name.
pub fn same(a: &str, b: &str) -> bool {
    a == b || fold(a) == fold(b)
}

/// What every ARM path segment must be (see the module docs).
pub fn segment(value: &str) -> Result<(), String> {
    let len = value.chars().count();
    if !(1..=260).contains(&len) {
        return Err("a name has 1 to 260 characters".into());
    }
    if let Some(c) = value.chars().find(|c| c.is_control()) {
        return Err(format!(
            "a name cannot hold the control character U+{:04X}",
            c as u32
        ));
    }
    if value.trim() != value {
        return Err("a name cannot start or end with whitespace".into());
    }
    if value.contains(['/', '\\']) {
        return Err("a name cannot hold `/` or `\\`".into());
    }
    if value == "." || value == ".." {
        return Err("a name cannot be `.` or `..`".into());
    }
    Ok(())
}

/// A GUID such as a subscription or tenant id.
pub fn guid(value: &str) -> Result<(), String> {
    if PrincipalId::new(value).is_guid() && value.trim() == value {
        Ok(())
    } else {
        Err("expected a GUID like `12345678-1234-1234-1234-123456789012`".into())
    }
}

pub fn resource_group(value: &str) -> Result<(), String> {
    let ok_char = |c: char| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '(' | ')');
    let len = value.chars().count();
    if (1..=90).contains(&len) && value.chars().all(ok_char) && !value.ends_with('.') {
        Ok(())
    } else {
        Err(
            "resource group names have 1 to 90 letters, digits, `_`, `-`, `.`, `(` and `)`, \
             and do not end with `.`"
                .into(),
        )
    }
}

pub fn cluster(value: &str) -> Result<(), String> {
    let mut chars = value.chars();
    let first_letter = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    if first_letter
        && (4..=22).contains(&value.len())
        && value.chars().all(|c| c.is_ascii_alphanumeric())
    {
        Ok(())
    } else {
        Err("cluster names have 4 to 22 letters and digits and start with a letter".into())
    }
}

/// True when the name is made of dots alone (`.`, `..`, `...`): never a real name, and the first two
/// are path steps.
fn only_dots(value: &str) -> bool {
    value.chars().all(|c| c == '.')
}

pub fn database(value: &str) -> Result<(), String> {
    let ok_char = |c: char| c.is_alphanumeric() || matches!(c, ' ' | '_' | '-' | '.');
    kind_rule(
        value,
        ok_char,
        "database names have 1 to 260 letters, digits, spaces, `_`, `-` and `.`",
    )
}

pub fn assignment(value: &str) -> Result<(), String> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, ' ' | '.' | '-');
    kind_rule(
        value,
        ok_char,
        "assignment names have 1 to 260 letters, digits, spaces, `.` and `-`",
    )
}

/// `segment`, then the kind's characters, then not only dots; the hint says which failed.
fn kind_rule(value: &str, ok_char: impl Fn(char) -> bool, rule: &str) -> Result<(), String> {
    segment(value).map_err(|e| format!("{e}; {rule}"))?;
    if !value.chars().all(ok_char) {
        return Err(rule.into());
    }
    if only_dots(value) {
        return Err(format!("a name cannot be only dots; {rule}"));
    }
    Ok(())
}

const ID_SHAPE: &str = "expected `/subscriptions/{guid}/resourceGroups/{group}/providers/Microsoft.Kusto/clusters/{name}`";

/// A cluster's ARM resource id; segment names compare without case, as ARM does.
pub fn cluster_id(value: &str) -> Result<ClusterRef, String> {
    let parts: Vec<&str> = value.trim_end_matches('/').split('/').collect();
    let shape = [
        "",
        "subscriptions",
        "*",
        "resourcegroups",
        "*",
        "providers",
        "microsoft.kusto",
        "clusters",
        "*",
    ];
    let fits = parts.len() == shape.len()
        && parts.iter().zip(shape).all(|(p, s)| {
            if s == "*" {
                !p.is_empty()
            } else {
                p.eq_ignore_ascii_case(s)
            }
        });
    if !fits {
        return Err(ID_SHAPE.into());
    }
    let (sub, rg, name) = (parts[2], parts[4], parts[8]);
    guid(sub).map_err(|_| format!("the subscription in the id is not a GUID; {ID_SHAPE}"))?;
    resource_group(rg)?;
    cluster(name)?;
    Ok(ClusterRef::new(sub, rg, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_azure_rules() {
        assert!(resource_group("rg-prod_01(eu).a").is_ok());
        assert!(resource_group("rg.").is_err());
        assert!(resource_group("..").is_err());
        assert!(resource_group("rg/x").is_err());
        assert!(resource_group(&"r".repeat(91)).is_err());
        assert!(cluster("mykustocluster").is_ok());
        assert!(cluster("my-cluster").is_err());
        assert!(cluster("1abc").is_err());
        assert!(cluster("abc").is_err());
        assert!(database("Sales 2024.v1").is_ok());
        assert!(database("sales/x").is_err());
        assert!(database("..").is_err());
        assert!(database(".").is_err());
        assert!(database(" sales").is_err());
        assert!(database("sales\u{0}").is_err());
        assert!(assignment("clusterPrincipalAssignment1").is_ok());
        assert!(assignment("a_b").is_err());
        assert!(assignment("   ").is_err());
        assert!(assignment("admin\t").is_err());
        assert!(assignment("admin ").is_err());
        assert!(assignment("a\tb").is_err());
        assert!(assignment("..").is_err());
        assert!(guid("12345678-1234-1234-1234-12345678901").is_err());
    }

    #[test]
    fn listed_names_need_only_be_one_safe_segment() {
        assert!(check(NameKind::ListedAssignment, "my_assignment (old)").is_ok());
        assert!(check(NameKind::ListedAssignment, "..").is_err());
        assert!(check(NameKind::ListedAssignment, "a/b").is_err());
        assert!(check(NameKind::ListedAssignment, "x\r").is_err());
        assert!(check(NameKind::ListedAssignment, "").is_err());
    }

    #[test]
    fn names_compare_without_case() {
        assert!(same("Admins", "aDMINS"));
        assert!(!same("admins", "admins "));
        assert_eq!(fold("ÄB"), "äb");
    }

    #[test]
    fn cluster_ids_parse_without_case() {
        let id = "/subscriptions/12345678-1234-1234-1234-123456789098/resourcegroups/testrg/providers/microsoft.kusto/Clusters/kusto1";
        let c = cluster_id(id).unwrap();
        assert_eq!(
            c,
            ClusterRef::new("12345678-1234-1234-1234-123456789098", "testrg", "kusto1")
        );
        assert!(
            cluster_id(
                "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Kusto/clusters/kusto1"
            )
            .is_err()
        );
        assert!(cluster_id("kusto1").is_err());
    }
}
