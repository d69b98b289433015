//! The one place that turns transport, TLS and Entra ID failures into sentences: which host, what
//! went wrong, and what to do about it. Callers pass the raw error; they never format one
//! themselves, so every path that reaches ARM or the token endpoint says the same thing.
//!
//! Nothing here uses `http.rs` (it calls in, never the reverse): a host arrives
//! already shown (`http::display_host`). Nothing here includes a URL's query string (poll URLs
//! carry signed parameters) or any part of a request body (a client secret or assertion).

use std::error::Error as StdError;
use std::sync::atomic::{AtomicBool, Ordering};

/// What a failure at the connection level comes down to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    Refused,
    NoSuchHost,
    TimedOut,
    Reset,
    UnknownIssuer,
    WrongName,
    Expired,
    OtherTls,
    Other,
}

impl Cause {
    const ALL: [Cause; 8] = [
        Cause::Refused,
        Cause::NoSuchHost,
        Cause::TimedOut,
        Cause::Reset,
        Cause::UnknownIssuer,
        Cause::WrongName,
        Cause::Expired,
        Cause::OtherTls,
    ];

    /// Reads the cause from an error's chain: the I/O error kind under `reqwest` and `hyper`, else
    /// the words of the TLS or DNS error (hyper-util boxes those into its own type).
    pub fn of(err: &(dyn StdError + 'static)) -> Cause {
        let mut found = Cause::Other;
        let mut source: Option<&(dyn StdError + 'static)> = Some(err);
        while let Some(e) = source {
            if let Some(io) = e.downcast_ref::<std::io::Error>() {
                found = match io.kind() {
                    std::io::ErrorKind::ConnectionRefused => Cause::Refused,
                    std::io::ErrorKind::TimedOut => Cause::TimedOut,
                    std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted => {
                        Cause::Reset
                    }
                    _ => found,
                };
            }
            if found == Cause::Other {
                found = from_text(&e.to_string());
            }
            if e.downcast_ref::<reqwest::Error>()
                .is_some_and(reqwest::Error::is_timeout)
            {
                found = Cause::TimedOut;
            }
            source = e.source();
        }
        found
    }

    /// What happened, in words (after "cannot reach HOST: ").
    fn what(self) -> &'static str {
        match self {
            Cause::Refused => "nothing is listening there (connection refused)",
            Cause::NoSuchHost => "the host name does not resolve (DNS)",
            Cause::TimedOut => "it did not answer in time",
            Cause::Reset => "the connection was reset",
            Cause::UnknownIssuer => {
                "its TLS certificate is not signed by a trusted certificate authority (UnknownIssuer)"
            }
            Cause::WrongName => "its TLS certificate is for another host name",
            Cause::Expired => "its TLS certificate has expired",
            Cause::OtherTls => "the TLS handshake failed",
            Cause::Other => "the request failed",
        }
    }

    /// What to do; `setting` names the option or variable that points at the host.
    fn fix(self, setting: &str) -> String {
        match self {
            Cause::Refused | Cause::NoSuchHost => {
                format!("check {setting}, and that the service (or the emulator) is running")
            }
            Cause::TimedOut | Cause::Reset => {
                "check the network and any proxy in between, then run again".to_string()
            }
            Cause::UnknownIssuer => "if this is the emulator or a TLS-inspecting proxy, pass its \
                                     CA certificate with --ca-cert FILE.pem (or \
                                     KUSTO_PRINCIPALS_CA_CERT)"
                .to_string(),
            Cause::WrongName | Cause::Expired | Cause::OtherTls => {
                format!("check {setting} points at the right host, and its certificate")
            }
            Cause::Other => format!("check {setting}; -vv shows each attempt"),
        }
    }
}

/// The cause from an error's words, for layers that box the typed error away (hyper-util wraps
/// the TLS error of a connect in its own type).
fn from_text(text: &str) -> Cause {
    let t = text.to_ascii_lowercase();
    if t.contains("unknownissuer") {
        Cause::UnknownIssuer
    } else if t.contains("notvalidforname") {
        Cause::WrongName
    } else if t.contains("invalid peer certificate: expired") {
        Cause::Expired
    } else if t.contains("invalid peer certificate") {
        Cause::OtherTls
    } else if t.contains("failed to lookup address") || t.contains("name or service not known") {
        Cause::NoSuchHost
    } else {
        Cause::Other
    }
}

/// Why a connection to `host` (`http::display_host`) failed, as `http.rs` reports it for ARM and
/// the token endpoint alike: `cannot reach HOST: CAUSE`. The callers add the hint for their setting.
pub fn unreachable(err: &reqwest::Error, host: &str) -> String {
    format!("cannot reach {host}: {}", Cause::of(err).what())
}

/// `cannot reach HOST: CAUSE` → (`HOST: CAUSE`, the cause), from the words `unreachable` chose.
fn parse_unreachable(text: &str) -> Option<(&str, Cause)> {
    let start = text.find("cannot reach ")? + "cannot reach ".len();
    let rest = text[start..].lines().next()?;
    let cause = Cause::ALL
        .into_iter()
        .find(|c| rest.contains(c.what()))
        .unwrap_or(Cause::Other);
    Some((rest, cause))
}

/// A request to ARM that got no HTTP answer (`message` from `unreachable`).
pub fn arm_unreachable(message: &str) -> String {
    match parse_unreachable(message) {
        Some((rest, cause)) => format!(
            "cannot reach ARM at {rest}\n  hint: {}",
            cause.fix("--arm-endpoint (KUSTO_PRINCIPALS_ARM_ENDPOINT) and --cloud")
        ),
        None => message.to_string(),
    }
}

/// Said once per run at default verbosity when ARM does not answer and the client retries, so
/// that a user does not sit through the retries in silence.
pub fn warn_retrying(message: &str) {
    static SAID: AtomicBool = AtomicBool::new(false);
    if !SAID.swap(true, Ordering::Relaxed) {
        let first = message.lines().next().unwrap_or(message);
        tracing::warn!(
            "{first}; retrying with backoff within --operation-timeout (-v shows each attempt)"
        );
    }
}

/// A token request that failed: transport trouble with the Entra ID host, or Entra ID's own
/// `AADSTS` answer (code and message, without the trace ids and timestamps).
pub fn token_failure(err: &azure_core::Error, identity: &str) -> String {
    let text = error_chain(err);
    if let Some((code, message)) = aadsts(&text) {
        return format!(
            "Entra ID refused a token for {identity}: {code}: {message}\n  hint: {}",
            aadsts_fix(code)
        );
    }
    if let Some((rest, cause)) = parse_unreachable(&text) {
        return format!(
            "cannot get a token for {identity}: cannot reach the token endpoint at {rest}\n  hint: {}",
            cause.fix("--cloud and AZURE_AUTHORITY_HOST")
        );
    }
    format!(
        "cannot get a token for {identity}: {}",
        text.lines().next().unwrap_or("")
    )
}

/// An error and its sources on one line.
pub fn error_chain(e: &dyn StdError) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// The first `AADSTSnnnn: message` in `text`; the message ends at the first line break (Entra ID
/// appends `Trace ID:` and `Timestamp:` lines) or quote.
fn aadsts(text: &str) -> Option<(&str, &str)> {
    let start = text.find("AADSTS")?;
    let rest = &text[start..];
    let digits = rest[6..].bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let code = &rest[..6 + digits];
    let after = rest[6 + digits..].trim_start_matches(':').trim_start();
    // A serde error quotes the body with its line breaks escaped (`\\r\\n`).
    let end = [
        after.find(['\r', '\n', '"']),
        after.find("\\r"),
        after.find("\\n"),
    ]
    .into_iter()
    .flatten()
    .min()
    .unwrap_or(after.len());
    Some((code, after[..end].trim_end()))
}

/// The usual fix for the Entra ID codes a pipeline meets.
fn aadsts_fix(code: &str) -> &'static str {
    match code {
        "AADSTS7000215" => {
            "AZURE_CLIENT_SECRET must be the secret's value (shown once when it was made), not its ID"
        }
        "AADSTS7000222" => {
            "the client secret has expired: make a new one and update AZURE_CLIENT_SECRET"
        }
        "AADSTS700016" => {
            "no app with AZURE_CLIENT_ID in the tenant AZURE_TENANT_ID: check both ids"
        }
        "AADSTS90002" | "AADSTS900023" => "AZURE_TENANT_ID does not name a tenant: check it",
        "AADSTS70021" | "AADSTS700213" | "AADSTS700211" => {
            "no federated credential of the app matches this token's issuer and subject: check the \
             app's federated credentials"
        }
        _ => "look the code up at https://login.microsoftonline.com/error?code=<number>",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aadsts_code_and_first_line_of_the_message() {
        let text = "ClientSecretCredential authentication failed. invalid type: string \
                    \"AADSTS7000215: Invalid client secret provided. Ensure it.\\r\\nTrace ID: 9\", \
                    expected a borrowed string";
        assert_eq!(
            aadsts(text),
            Some((
                "AADSTS7000215",
                "Invalid client secret provided. Ensure it."
            ))
        );
        assert_eq!(
            aadsts("AADSTS700016: No app.\r\nTrace"),
            Some(("AADSTS700016", "No app."))
        );
        assert_eq!(aadsts("no code here"), None);
        assert_eq!(aadsts("AADSTS: nothing"), None);
    }

    #[test]
    fn io_kinds_and_tls_errors_are_told_apart() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(Cause::of(&refused), Cause::Refused);
        let tls = std::io::Error::other("invalid peer certificate: UnknownIssuer");
        assert_eq!(Cause::of(&tls), Cause::UnknownIssuer);
        assert!(Cause::UnknownIssuer.fix("x").contains("--ca-cert"));
    }

    /// A real connection to a closed loopback port, through the same client the CLI builds.
    #[tokio::test]
    async fn arm_down_names_the_host_the_cause_and_the_setting() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let url = url::Url::parse(&format!("https://127.0.0.1:{port}/subscriptions?x=secret"))
            .expect("url");
        let http = super::super::build_http_client(None, std::time::Duration::from_secs(10))
            .expect("client");
        let err = http
            .get(url.clone())
            .send()
            .await
            .expect_err("nothing listens");
        let text = arm_unreachable(&unreachable(&err, &super::super::http::display_host(&url)));
        assert_eq!(
            text,
            format!(
                "cannot reach ARM at 127.0.0.1:{port}: nothing is listening there (connection refused)\n  \
                 hint: check --arm-endpoint (KUSTO_PRINCIPALS_ARM_ENDPOINT) and --cloud, and that the \
                 service (or the emulator) is running"
            )
        );
        assert!(!text.contains("secret"));
    }
}
