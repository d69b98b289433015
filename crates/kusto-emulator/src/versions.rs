//! The api-versions served: every stable Microsoft.Kusto version since principal assignments
//! appeared (2020-02-15), each with the roles its spec lists.
//!
//! | versions                 | cluster roles                                  |
//! |--------------------------|------------------------------------------------|
//! | 2020-02-15 … 2023-08-15  | `AllDatabasesAdmin`, `AllDatabasesViewer`      |
//! | 2024-04-13, 2025-02-14   | the same and `AllDatabasesMonitor`             |
//!
//! Database roles are `Admin`, `Ingestor`, `Monitor`, `User`, `UnrestrictedViewer`, `Viewer` in
//! every version. The oldest specs spell one `UnrestrictedViewers`, but the service refuses that
//! spelling ("Database principal role is invalid") and accepts the singular, so the emulator
//! follows the service there. Whether the service refuses `AllDatabasesMonitor` on the versions
//! whose spec lacks it is not confirmed; the emulator follows those specs and refuses it.

use axum::http::StatusCode;

use crate::reply::ErrorResponse;
use crate::vocab::Role;

/// Oldest first.
pub const API_VERSIONS: [&str; 13] = [
    "2020-02-15",
    "2020-06-14",
    "2020-09-18",
    "2021-01-01",
    "2021-08-27",
    "2022-02-01",
    "2022-07-07",
    "2022-11-11",
    "2022-12-29",
    "2023-05-02",
    "2023-08-15",
    "2024-04-13",
    "2025-02-14",
];

/// The first version whose spec lists `AllDatabasesMonitor`.
const MONITOR_SINCE: &str = "2024-04-13";

/// The newest version, for requests whose version does not matter.
pub fn newest() -> &'static str {
    API_VERSIONS[API_VERSIONS.len() - 1]
}

/// Whether `role` is in the spec of `version` (an api-version from `API_VERSIONS`).
pub fn has_role(version: &str, role: Role) -> bool {
    match role {
        // The versions are ISO dates, so they compare as strings.
        Role::AllDatabasesMonitor => version >= MONITOR_SINCE,
        _ => true,
    }
}

/// `api-version` is required and must be one the emulator serves.
pub fn check_api_version(v: Option<String>) -> Result<String, ErrorResponse> {
    let Some(v) = v.filter(|v| !v.is_empty()) else {
        return Err(ErrorResponse::new(
            StatusCode::BAD_REQUEST,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        ));
    };
    if API_VERSIONS.contains(&v.as_str()) {
        return Ok(v);
    }
    let supported = API_VERSIONS.join(", ");
    let date_like = v.len() >= 10
        && v.as_bytes()[..10].iter().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                *b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    Err(if date_like {
        ErrorResponse::new(
            StatusCode::BAD_REQUEST,
            "NoRegisteredProviderFound",
            format!(
                "No registered resource provider found for location 'eastus' and API version '{v}' for type 'clusters'. The supported api-versions are '{supported}'."
            ),
        )
    } else {
        ErrorResponse::new(
            StatusCode::BAD_REQUEST,
            "InvalidApiVersionParameter",
            format!("The api-version '{v}' is invalid. The supported versions are '{supported}'."),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::ScopeKind;

    fn roles(version: &str, kind: ScopeKind) -> Vec<Role> {
        Role::for_scope(kind)
            .into_iter()
            .filter(|r| has_role(version, *r))
            .collect()
    }

    #[test]
    fn versions_are_in_order_and_the_monitor_role_comes_with_2024_04_13() {
        assert!(API_VERSIONS.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(newest(), "2025-02-14");
        let monitor = |v| roles(v, ScopeKind::Cluster).contains(&Role::AllDatabasesMonitor);
        assert!(!monitor("2020-02-15"));
        assert!(!monitor("2023-08-15"));
        assert!(monitor("2024-04-13"));
        assert!(monitor("2025-02-14"));
        assert_eq!(roles("2020-02-15", ScopeKind::Database).len(), 6);
    }

    #[test]
    fn api_versions_are_required_and_checked() {
        assert_eq!(
            check_api_version(None).unwrap_err().code,
            "MissingApiVersionParameter"
        );
        assert_eq!(
            check_api_version(Some("2024-04-13".into())).unwrap(),
            "2024-04-13"
        );
        assert_eq!(
            check_api_version(Some("2025-02-14".into())).unwrap(),
            "2025-02-14"
        );
        for v in ["2020-02-15", "2023-08-15"] {
            assert_eq!(check_api_version(Some(v.into())).unwrap(), v);
        }
        assert_eq!(
            check_api_version(Some("2019-01-21".into()))
                .unwrap_err()
                .code,
            "NoRegisteredProviderFound"
        );
        assert_eq!(
            check_api_version(Some("latest".into())).unwrap_err().code,
            "InvalidApiVersionParameter"
        );
    }
}
