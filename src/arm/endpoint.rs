//! The ARM endpoint and the scheme rule: https everywhere, http only on loopback.

use url::Url;

use super::error::ArmError;
use super::http::display_url;

/// The Azure cloud (`--cloud`): its ARM endpoint, Entra ID authority and Graph endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Cloud {
    Public,
    Usgov,
    China,
}

/// The ARM endpoint and Entra ID authority of a cloud (docs/arm-service.md §6).
pub fn cloud_endpoints(cloud: Cloud) -> (&'static str, &'static str) {
    match cloud {
        Cloud::Public => (
            "https://management.azure.com",
            "https://login.microsoftonline.com",
        ),
        Cloud::Usgov => (
            "https://management.usgovcloudapi.net",
            "https://login.microsoftonline.us",
        ),
        Cloud::China => (
            "https://management.chinacloudapi.cn",
            "https://login.chinacloudapi.cn",
        ),
    }
}

/// The Graph endpoint and token audience of a cloud.
pub fn graph_for_cloud(cloud: Cloud) -> &'static str {
    match cloud {
        Cloud::Public => "https://graph.microsoft.com",
        Cloud::Usgov => "https://graph.microsoft.us",
        Cloud::China => "https://microsoftgraph.chinacloudapi.cn",
    }
}

/// Where to send ARM requests and token requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// The ARM endpoint, without a trailing slash; also the token audience (`{arm}/.default`).
    pub arm: String,
    /// The Entra ID authority host.
    pub authority: String,
}

/// The endpoints for `cloud`, with `--arm-endpoint` (`KUSTO_PRINCIPALS_ARM_ENDPOINT`) and
/// `AZURE_AUTHORITY_HOST` overriding the cloud's. Both must be https (http only on loopback).
pub fn resolve_endpoints(
    cloud: Cloud,
    arm_endpoint: Option<&str>,
    authority_host: Option<&str>,
) -> Result<Endpoints, String> {
    let (arm_default, authority_default) = cloud_endpoints(cloud);
    let pick = |given: Option<&str>, default: &str| {
        given
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or(default)
            .trim_end_matches('/')
            .to_string()
    };
    let arm = pick(arm_endpoint, arm_default);
    let authority = pick(authority_host, authority_default);
    let check = |text: &str, what: &str| {
        let url = Url::parse(text).map_err(|e| format!("{what} `{text}` is not a URL: {e}"))?;
        if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
            // Endpoints are printed in messages, which never show a query or credentials.
            return Err(format!(
                "{what} `{}` must be a plain scheme://host[:port] without query, fragment or user",
                display_url(&url)
            ));
        }
        check_scheme(&url).map_err(|e| format!("{what} `{text}`: {e}"))
    };
    check(&arm, "the ARM endpoint (--arm-endpoint)")?;
    check(&authority, "the authority host (AZURE_AUTHORITY_HOST)")?;
    Ok(Endpoints { arm, authority })
}

/// The ARM endpoint; the only host that ever sees the bearer token.
#[derive(Debug, Clone)]
pub struct ArmEndpoint {
    base: Url,
}

impl ArmEndpoint {
    /// Parses and checks an endpoint: https, or http only for a loopback address.
    pub fn parse(endpoint: &str) -> Result<Self, ArmError> {
        let bad = |m: String| ArmError::new("configure ARM endpoint", endpoint, m);
        let base = Url::parse(endpoint).map_err(|e| bad(format!("not a URL: {e}")))?;
        check_scheme(&base).map_err(bad)?;
        Ok(ArmEndpoint { base })
    }

    pub fn as_str(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    /// True when `url` is on this endpoint's scheme, host and port.
    pub fn owns(&self, url: &Url) -> bool {
        url.scheme() == self.base.scheme()
            && url.host_str().map(str::to_ascii_lowercase)
                == self.base.host_str().map(str::to_ascii_lowercase)
            && url.port_or_known_default() == self.base.port_or_known_default()
    }
}

/// True for `localhost` and loopback addresses.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// https, or http only on a loopback address (a local emulator or test server): a bearer token or a
/// client secret never crosses a network in clear text.
pub fn check_scheme(url: &Url) -> Result<(), String> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        other => Err(format!(
            "the scheme must be https (http only for loopback addresses), not `{other}`"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_need_https_unless_loopback() {
        assert!(ArmEndpoint::parse("https://management.azure.com").is_ok());
        assert!(ArmEndpoint::parse("http://127.0.0.1:8080").is_ok());
        assert!(ArmEndpoint::parse("http://localhost:8080").is_ok());
        assert!(ArmEndpoint::parse("http://management.azure.com").is_err());
        assert!(ArmEndpoint::parse("ftp://127.0.0.1").is_err());
    }

    #[test]
    fn only_the_arm_host_is_owned() {
        let e = ArmEndpoint::parse("https://127.0.0.1:8443").unwrap();
        assert!(e.owns(&Url::parse("https://127.0.0.1:8443/x?y=1").unwrap()));
        assert!(!e.owns(&Url::parse("https://127.0.0.1:9443/x").unwrap()));
        assert!(!e.owns(&Url::parse("https://evil.example/x").unwrap()));
        assert!(!e.owns(&Url::parse("http://127.0.0.1:8443/x").unwrap()));
    }

    #[test]
    fn each_cloud_has_its_endpoints() {
        let e = |cloud| resolve_endpoints(cloud, None, None).unwrap();
        assert_eq!(
            e(Cloud::Public),
            Endpoints {
                arm: "https://management.azure.com".into(),
                authority: "https://login.microsoftonline.com".into()
            }
        );
        assert_eq!(e(Cloud::Usgov).arm, "https://management.usgovcloudapi.net");
        assert_eq!(
            e(Cloud::Usgov).authority,
            "https://login.microsoftonline.us"
        );
        assert_eq!(e(Cloud::China).arm, "https://management.chinacloudapi.cn");
        assert_eq!(e(Cloud::China).authority, "https://login.chinacloudapi.cn");
    }

    #[test]
    fn overrides_win_and_must_be_https_unless_loopback() {
        let e = resolve_endpoints(
            Cloud::China,
            Some("https://127.0.0.1:8443/"),
            Some("https://login.example/"),
        )
        .unwrap();
        assert_eq!(e.arm, "https://127.0.0.1:8443");
        assert_eq!(e.authority, "https://login.example");
        assert!(resolve_endpoints(Cloud::Public, Some("http://127.0.0.1:1"), None).is_ok());
        assert!(resolve_endpoints(Cloud::Public, Some("http://localhost:1"), None).is_ok());
        assert!(resolve_endpoints(Cloud::Public, Some("http://[::1]:1"), None).is_ok());
        let arm = resolve_endpoints(Cloud::Public, Some("http://arm.example"), None).unwrap_err();
        assert!(
            arm.contains("--arm-endpoint") && arm.contains("https"),
            "{arm}"
        );
        let auth =
            resolve_endpoints(Cloud::Public, None, Some("http://login.example")).unwrap_err();
        assert!(auth.contains("AZURE_AUTHORITY_HOST"), "{auth}");
        assert!(resolve_endpoints(Cloud::Public, Some("not a url"), None).is_err());
        let query = resolve_endpoints(Cloud::Public, Some("https://arm.example/?sig=S3CRET"), None)
            .unwrap_err();
        assert!(
            query.contains("without query") && !query.contains("S3CRET"),
            "{query}"
        );
        // An empty variable is as good as unset.
        assert_eq!(
            resolve_endpoints(Cloud::Public, Some(" "), Some("")).unwrap(),
            resolve_endpoints(Cloud::Public, None, None).unwrap()
        );
    }
}
