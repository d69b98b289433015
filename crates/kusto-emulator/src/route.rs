//! ARM paths → a `Route`. Segments match case-insensitively, as ARM's do; names are percent-decoded.
//!
//! | path (after `/subscriptions/{s}`)                                            | route              |
//! |------------------------------------------------------------------------------|--------------------|
//! | `/providers/Microsoft.Kusto/clusters`                                        | `ClusterList`      |
//! | `/resourceGroups/{rg}/providers/Microsoft.Kusto/clusters`                    | `ClusterList`      |
//! | `…/clusters/{c}`                                                             | `Cluster`          |
//! | `…/clusters/{c}/stop`, `…/clusters/{c}/start`                                 | `ClusterPower`     |
//! | `…/clusters/{c}/databases`                                                   | `DatabaseList`     |
//! | `…/clusters/{c}/databases/{d}`                                               | `Database`         |
//! | `…/clusters/{c}[/databases/{d}]/principalAssignments`                        | `AssignmentList`   |
//! | `…/clusters/{c}[/databases/{d}]/principalAssignments/{name}`                 | `Assignment`       |
//! | `…/clusters/{c}[/databases/{d}]/checkPrincipalAssignmentNameAvailability`    | `CheckName`        |
//! | `…/clusters/{c}/databases/{d}/listPrincipals` (and `add…`, `remove…`)        | `Principals`       |
//! | `/providers/Microsoft.Kusto/locations/{region}/operationResults/{id}`        | `OperationResult`  |
//!
//! and `/{tenant}/oauth2/v2.0/token` → `Token`. Parsing only; no policy.

/// A cluster as addressed by a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterPath {
    pub subscription: String,
    pub resource_group: String,
    pub cluster: String,
}

/// A principal assignment scope as addressed by a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopePath {
    pub cluster: ClusterPath,
    pub database: Option<String>,
}

/// `stop` or `start`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PowerAction {
    Stop,
    Start,
}

/// `listPrincipals`, `addPrincipals` or `removePrincipals`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalsAction {
    List,
    Add,
    Remove,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Token {
        tenant: String,
    },
    /// `/{tenant}/v2.0/.well-known/openid-configuration`
    OpenIdConfig {
        tenant: String,
    },
    /// `/{tenant}/discovery/v2.0/keys`
    Keys {
        tenant: String,
    },
    ClusterList {
        subscription: String,
        resource_group: Option<String>,
    },
    Cluster(ClusterPath),
    ClusterPower(ClusterPath, PowerAction),
    DatabaseList(ClusterPath),
    Database(ClusterPath, String),
    AssignmentList(ScopePath),
    Assignment(ScopePath, String),
    CheckName(ScopePath),
    /// The data-plane principals of a database (the scope always names one).
    Principals(ScopePath, PrincipalsAction),
    OperationResult {
        subscription: String,
        location: String,
        id: String,
    },
    Unknown,
}

impl Route {
    /// Entra ID's endpoints rather than ARM's.
    pub fn is_entra(&self) -> bool {
        matches!(
            self,
            Route::Token { .. } | Route::OpenIdConfig { .. } | Route::Keys { .. }
        )
    }

    /// The subscription a request is charged to (for throttling), if any.
    pub fn subscription(&self) -> Option<&str> {
        match self {
            Route::ClusterList { subscription, .. }
            | Route::OperationResult { subscription, .. } => Some(subscription),
            Route::Cluster(c)
            | Route::ClusterPower(c, _)
            | Route::DatabaseList(c)
            | Route::Database(c, _) => Some(&c.subscription),
            Route::AssignmentList(s)
            | Route::Assignment(s, _)
            | Route::CheckName(s)
            | Route::Principals(s, _) => Some(&s.cluster.subscription),
            Route::Token { .. }
            | Route::OpenIdConfig { .. }
            | Route::Keys { .. }
            | Route::Unknown => None,
        }
    }
}

/// Parses a request path (without the query).
pub fn parse(path: &str) -> Route {
    let segs: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect();
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    let is = |i: usize, lit: &str| s.get(i).is_some_and(|v| v.eq_ignore_ascii_case(lit));
    if let Some(entra) = parse_entra(&s) {
        return entra;
    }
    if !is(0, "subscriptions") || s.len() < 5 {
        return Route::Unknown;
    }
    let subscription = s[1].to_string();
    if is(2, "providers") && is(3, "microsoft.kusto") {
        return parse_under_provider(subscription, &s[4..]);
    }
    if !(is(2, "resourcegroups")
        && is(4, "providers")
        && is(5, "microsoft.kusto")
        && is(6, "clusters"))
    {
        return Route::Unknown;
    }
    let resource_group = s[3].to_string();
    if s.len() == 7 {
        return Route::ClusterList {
            subscription,
            resource_group: Some(resource_group),
        };
    }
    let cluster = ClusterPath {
        subscription,
        resource_group,
        cluster: s[7].to_string(),
    };
    parse_under_cluster(cluster, &s[8..])
}

/// Entra ID's paths: `/{tenant}/oauth2/v2.0/token` and the discovery documents.
fn parse_entra(s: &[&str]) -> Option<Route> {
    let is = |i: usize, lit: &str| s.get(i).is_some_and(|v| v.eq_ignore_ascii_case(lit));
    if s.len() != 4 {
        return None;
    }
    let tenant = s[0].to_string();
    if is(1, "oauth2") && is(2, "v2.0") && is(3, "token") {
        return Some(Route::Token { tenant });
    }
    if is(1, "v2.0") && is(2, ".well-known") && is(3, "openid-configuration") {
        return Some(Route::OpenIdConfig { tenant });
    }
    if is(1, "discovery") && is(2, "v2.0") && is(3, "keys") {
        return Some(Route::Keys { tenant });
    }
    None
}

/// What follows `/subscriptions/{s}/providers/Microsoft.Kusto`: the subscription's clusters or an
/// operation's status.
fn parse_under_provider(subscription: String, rest: &[&str]) -> Route {
    let is = |i: usize, lit: &str| rest.get(i).is_some_and(|v| v.eq_ignore_ascii_case(lit));
    if rest.len() == 1 && is(0, "clusters") {
        return Route::ClusterList {
            subscription,
            resource_group: None,
        };
    }
    if rest.len() == 4 && is(0, "locations") && is(2, "operationresults") {
        return Route::OperationResult {
            subscription,
            location: rest[1].to_string(),
            id: rest[3].to_string(),
        };
    }
    Route::Unknown
}

fn parse_under_cluster(cluster: ClusterPath, rest: &[&str]) -> Route {
    let is = |i: usize, lit: &str| rest.get(i).is_some_and(|v| v.eq_ignore_ascii_case(lit));
    let (scope, rest) = if is(0, "databases") && rest.len() >= 3 {
        if let [action] = &rest[2..]
            && let Some(a) = principals_action(action)
        {
            let scope = ScopePath {
                cluster,
                database: Some(rest[1].to_string()),
            };
            return Route::Principals(scope, a);
        }
        let scope = ScopePath {
            cluster,
            database: Some(rest[1].to_string()),
        };
        (scope, &rest[2..])
    } else {
        match rest {
            [] => return Route::Cluster(cluster),
            [a] if a.eq_ignore_ascii_case("stop") => {
                return Route::ClusterPower(cluster, PowerAction::Stop);
            }
            [a] if a.eq_ignore_ascii_case("start") => {
                return Route::ClusterPower(cluster, PowerAction::Start);
            }
            [d] if d.eq_ignore_ascii_case("databases") => return Route::DatabaseList(cluster),
            [d, db] if d.eq_ignore_ascii_case("databases") => {
                return Route::Database(cluster, db.to_string());
            }
            _ => (
                ScopePath {
                    cluster,
                    database: None,
                },
                rest,
            ),
        }
    };
    match rest {
        [p] if p.eq_ignore_ascii_case("principalAssignments") => Route::AssignmentList(scope),
        [p, name] if p.eq_ignore_ascii_case("principalAssignments") => {
            Route::Assignment(scope, name.to_string())
        }
        [c] if c.eq_ignore_ascii_case("checkPrincipalAssignmentNameAvailability") => {
            Route::CheckName(scope)
        }
        _ => Route::Unknown,
    }
}

fn principals_action(seg: &str) -> Option<PrincipalsAction> {
    [
        ("listPrincipals", PrincipalsAction::List),
        ("addPrincipals", PrincipalsAction::Add),
        ("removePrincipals", PrincipalsAction::Remove),
    ]
    .into_iter()
    .find(|(name, _)| seg.eq_ignore_ascii_case(name))
    .map(|(_, a)| a)
}

/// `%XX` → byte; invalid escapes stay as written.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Encodes a path segment (spaces as `%20`, as ARM writes `East%20US`).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const C: &str = "/subscriptions/S/resourceGroups/RG/providers/Microsoft.Kusto/Clusters/k1";

    fn cluster() -> ClusterPath {
        ClusterPath {
            subscription: "S".into(),
            resource_group: "RG".into(),
            cluster: "k1".into(),
        }
    }

    #[test]
    fn paths_match_without_case() {
        let db = ScopePath {
            cluster: cluster(),
            database: Some("TestDb".into()),
        };
        let cl = ScopePath {
            cluster: cluster(),
            database: None,
        };
        assert_eq!(parse(C), Route::Cluster(cluster()));
        assert_eq!(
            parse(&format!("{C}/DATABASES")),
            Route::DatabaseList(cluster())
        );
        assert_eq!(
            parse(&format!("{C}/Databases/TestDb/PrincipalAssignments/x")),
            Route::Assignment(db.clone(), "x".into())
        );
        assert_eq!(
            parse(&format!("{C}/principalassignments")),
            Route::AssignmentList(cl.clone())
        );
        assert_eq!(
            parse(&format!("{C}/checkPrincipalAssignmentNameAvailability")),
            Route::CheckName(cl)
        );
        assert_eq!(
            parse(&format!(
                "{C}/databases/TestDb/checkprincipalassignmentnameavailability"
            )),
            Route::CheckName(db.clone())
        );
        assert_eq!(
            parse(&format!("{C}/Databases/TestDb/LISTPRINCIPALS")),
            Route::Principals(db, PrincipalsAction::List)
        );
        assert_eq!(parse(&format!("{C}/listPrincipals")), Route::Unknown);
        assert_eq!(parse(&format!("{C}/foo")), Route::Unknown);
        assert_eq!(
            parse(&format!("{C}/Stop")),
            Route::ClusterPower(cluster(), PowerAction::Stop)
        );
    }

    #[test]
    fn operation_results_decode_the_region() {
        assert_eq!(
            parse(
                "/subscriptions/S/providers/Microsoft.Kusto/locations/East%20US/operationResults/abc"
            ),
            Route::OperationResult {
                subscription: "S".into(),
                location: "East US".into(),
                id: "abc".into()
            }
        );
        assert_eq!(percent_encode("East US"), "East%20US");
        assert_eq!(percent_decode("a%2"), "a%2");
    }

    #[test]
    fn token_and_cluster_lists() {
        assert_eq!(
            parse("/t1/v2.0/.well-known/openid-configuration"),
            Route::OpenIdConfig {
                tenant: "t1".into()
            }
        );
        assert_eq!(
            parse("/t1/discovery/v2.0/keys"),
            Route::Keys {
                tenant: "t1".into()
            }
        );
        assert_eq!(
            parse("/t1/oauth2/v2.0/token"),
            Route::Token {
                tenant: "t1".into()
            }
        );
        assert_eq!(
            parse("/subscriptions/S/providers/Microsoft.Kusto/clusters"),
            Route::ClusterList {
                subscription: "S".into(),
                resource_group: None
            }
        );
        assert_eq!(
            parse("/subscriptions/S/resourcegroups/RG/providers/microsoft.kusto/clusters"),
            Route::ClusterList {
                subscription: "S".into(),
                resource_group: Some("RG".into())
            }
        );
    }
}
