//! The naming rules of the values the file holds. Each check returns the hint to show, or `Ok`.
//!
//! | value                | rule                                                                 |
//! |----------------------|----------------------------------------------------------------------|
//! | subscription, tenant | a GUID                                                               |
//! | resource group       | 1–90 letters, digits, `_ - . ( )`, not ending in `.` (ARM's pattern) |
//! | cluster              | 4–22 letters and digits, starting with a letter (Kusto's rule)       |
//! | database             | 1–260 letters, digits, spaces, `_ - .`                               |
//! | assignment `name`    | 1–260 letters, digits, spaces, `. -`, not only spaces (as Terraform) |
//! | cluster `id`         | `/subscriptions/{guid}/resourceGroups/{rg}/providers/Microsoft.Kusto/clusters/{name}` |

use crate::model::{ClusterRef, PrincipalId};

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

pub fn database(value: &str) -> Result<(), String> {
    let ok_char = |c: char| c.is_alphanumeric() || matches!(c, ' ' | '_' | '-' | '.');
    let len = value.chars().count();
    if (1..=260).contains(&len) && value.chars().all(ok_char) && !value.trim().is_empty() {
        Ok(())
    } else {
        Err("database names have 1 to 260 letters, digits, spaces, `_`, `-` and `.`".into())
    }
}

pub fn assignment(value: &str) -> Result<(), String> {
    let ok_char =
        |c: char| c.is_ascii_alphanumeric() || c.is_whitespace() || matches!(c, '.' | '-');
    let len = value.chars().count();
    if (1..=260).contains(&len) && value.chars().all(ok_char) && !value.trim().is_empty() {
        Ok(())
    } else {
        Err("assignment names have 1 to 260 letters, digits, spaces, `.` and `-`".into())
    }
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
        assert!(resource_group("rg/x").is_err());
        assert!(resource_group(&"r".repeat(91)).is_err());
        assert!(cluster("mykustocluster").is_ok());
        assert!(cluster("my-cluster").is_err());
        assert!(cluster("1abc").is_err());
        assert!(cluster("abc").is_err());
        assert!(database("Sales 2024.v1").is_ok());
        assert!(database("sales/x").is_err());
        assert!(assignment("clusterPrincipalAssignment1").is_ok());
        assert!(assignment("a_b").is_err());
        assert!(assignment("   ").is_err());
        assert!(guid("12345678-1234-1234-1234-12345678901").is_err());
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
