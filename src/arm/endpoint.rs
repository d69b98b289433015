//! The ARM endpoint and the scheme rule: https everywhere, http only on loopback.

use url::Url;

use super::error::ArmError;

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
}
