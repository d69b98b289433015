//! How an engine principal's fqn (`aaduser=<object id>;<tenant>`) names its principal.

use crate::vocab::PrincipalType;

/// `aaduser`, `aadgroup` or `aadapp`: how an fqn names each principal type.
pub fn fqn_kind(ty: PrincipalType) -> &'static str {
    match ty {
        PrincipalType::User => "aaduser",
        PrincipalType::Group => "aadgroup",
        PrincipalType::App => "aadapp",
    }
}

/// The principal type an fqn names, if it is well formed.
pub fn fqn_prefix(fqn: &str) -> Option<PrincipalType> {
    let (kind, rest) = fqn.split_once('=')?;
    let id = rest.split(';').next().unwrap_or_default();
    if id.trim().is_empty() {
        return None;
    }
    [
        PrincipalType::User,
        PrincipalType::Group,
        PrincipalType::App,
    ]
    .into_iter()
    .find(|t| fqn_kind(*t).eq_ignore_ascii_case(kind.trim()))
}

/// What identifies the principal of an fqn: kind and id, lower case, without the tenant.
pub fn fqn_identity(fqn: &str) -> String {
    fqn.split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_lowercase()
}
