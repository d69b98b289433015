//! The emulator's Entra ID directory: which principals resolve, to which object id, display name
//! and mail, and from when (replication lag for new identities).
//!
//! A principal is found by the id callers send, its object id, its user principal name or its mail
//! (all without case). Users read back as Azure stores them: `principalId` is the user's mail
//! whatever form was sent, and `principalName` is "Display (UPN)", the only place a guest's
//! `#EXT#` UPN shows. Apps and groups keep the form that was sent.
//!
//! The emulator's own client is a service principal of the directory even when the state file does
//! not list it (it becomes the Admin of the databases it creates, so it must resolve).

use std::time::Duration;

use sha2::{Digest, Sha256};

use super::state::{Credentials, DirectoryEntry};
use crate::vocab::PrincipalType;

/// What Entra ID says about a principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub object_id: String,
    pub principal_name: String,
    /// What ARM stores as a user's `principalId` (`None` for apps and groups, which keep what was
    /// sent, and for users without a mail).
    pub stored_id: Option<String>,
}

/// The directory, or "resolve anything" when the state has none.
#[derive(Debug, Clone)]
pub struct Directory {
    /// The listed entries, then the client's own entry when the list lacks it.
    all: Vec<DirectoryEntry>,
    listed: usize,
    closed: bool,
    /// Lag of each entry (same order as `all`).
    lags: Vec<Duration>,
}

impl DirectoryEntry {
    /// The user's mail: as given, else the id or the UPN when it looks like one (`#EXT#` UPNs do
    /// not: they are no one's mail).
    pub fn mail(&self) -> Option<&str> {
        self.mail.as_deref().or_else(|| {
            [Some(self.id.as_str()), self.upn.as_deref()]
                .into_iter()
                .flatten()
                .find(|s| s.contains('@') && !s.to_ascii_uppercase().contains("#EXT#"))
        })
    }

    /// The user principal name: as given, else the id when it looks like one.
    pub fn user_principal_name(&self) -> Option<&str> {
        self.upn
            .as_deref()
            .or(Some(self.id.as_str()).filter(|id| id.contains('@')))
    }

    /// Whether `id` names this entry in any of its forms.
    pub fn answers_to(&self, id: &str) -> bool {
        let id = id.trim();
        [
            Some(self.id.as_str()),
            Some(self.object_id.as_str()),
            self.upn.as_deref(),
            self.mail.as_deref(),
        ]
        .into_iter()
        .flatten()
        .any(|form| form.eq_ignore_ascii_case(id))
    }
}

/// The directory entry of the emulator's own client: a service principal named by the credentials
/// (object id and display name default to stable values).
pub fn client_entry(c: &Credentials) -> DirectoryEntry {
    DirectoryEntry {
        principal_type: PrincipalType::App,
        id: c.client_id.clone(),
        object_id: c
            .object_id
            .clone()
            .unwrap_or_else(|| stable_guid(&format!("client-sp:{}", c.client_id))),
        display_name: c
            .display_name
            .clone()
            .unwrap_or_else(|| "kusto-principals-emulator-client".to_string()),
        upn: None,
        mail: None,
        lag_secs: None,
    }
}

impl Directory {
    /// `seeded` says whether a seeded assignment already uses an entry; those have no lag.
    /// `client` is the emulator's own service principal, added when the list does not name it.
    pub fn new(
        entries: Option<Vec<DirectoryEntry>>,
        default_lag: Duration,
        seeded: impl Fn(&DirectoryEntry) -> bool,
        client: Option<DirectoryEntry>,
    ) -> Directory {
        let closed = entries.is_some();
        let mut all = entries.unwrap_or_default();
        let listed = all.len();
        if let Some(c) = client.filter(|c| {
            !all.iter()
                .any(|e| e.principal_type == c.principal_type && e.answers_to(&c.id))
        }) {
            all.push(c);
        }
        let lags = all
            .iter()
            .enumerate()
            .map(|(i, e)| match e.lag_secs {
                Some(s) => Duration::from_secs(s),
                None if i >= listed || seeded(e) => Duration::ZERO,
                None => default_lag,
            })
            .collect();
        Directory {
            all,
            listed,
            closed,
            lags,
        }
    }

    /// The entries the state file lists (`None`: an open directory).
    pub fn entries(&self) -> Option<&[DirectoryEntry]> {
        self.closed.then(|| &self.all[..self.listed])
    }

    /// Every entry, the client's included.
    pub fn all(&self) -> &[DirectoryEntry] {
        &self.all
    }

    /// The entry for a principal in any of its forms (ignoring case and lag).
    pub fn entry(&self, ty: PrincipalType, id: &str) -> Option<&DirectoryEntry> {
        self.find(ty, id).map(|(_, e)| e)
    }

    /// Whether the directory lists its principals (`false`: anything resolves).
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Whether the entry at `i` of `all` has replicated by `age` (`None`: ignore lag).
    pub fn visible(&self, i: usize, age: Option<Duration>) -> bool {
        age.is_none_or(|age| age >= self.lags[i])
    }

    fn find(&self, ty: PrincipalType, id: &str) -> Option<(usize, &DirectoryEntry)> {
        self.all
            .iter()
            .enumerate()
            .find(|(_, e)| e.principal_type == ty && e.answers_to(id))
    }

    /// Looks a principal up in any of its forms; `age` is the time since the emulator started
    /// (`None`: ignore lag, for reads of existing grants).
    pub fn resolve(&self, ty: PrincipalType, id: &str, age: Option<Duration>) -> Option<Resolved> {
        let Some((i, e)) = self.find(ty, id) else {
            return (!self.closed).then(|| Resolved {
                object_id: synthetic_object_id(ty, id),
                principal_name: id.to_string(),
                stored_id: None,
            });
        };
        if !self.visible(i, age) {
            return None;
        }
        let (principal_name, stored_id) = match (ty, e.user_principal_name()) {
            (PrincipalType::User, Some(upn)) => (
                format!("{} ({upn})", e.display_name),
                e.mail().map(str::to_string),
            ),
            (PrincipalType::User, None) => (e.display_name.clone(), e.mail().map(str::to_string)),
            (PrincipalType::App | PrincipalType::Group, _) => (e.display_name.clone(), None),
        };
        Some(Resolved {
            object_id: e.object_id.clone(),
            principal_name,
            stored_id,
        })
    }

    /// What identifies a principal for duplicate checks: its object id when it resolves (ignoring
    /// lag), else the string as sent, without case.
    pub fn identity(&self, ty: PrincipalType, id: &str) -> String {
        match self.find(ty, id) {
            Some((_, e)) => e.object_id.to_lowercase(),
            None => id.trim().to_lowercase(),
        }
    }
}

/// A stable GUID for a principal the open directory has never heard of.
pub fn synthetic_object_id(ty: PrincipalType, id: &str) -> String {
    stable_guid(&format!("{ty}:{}", id.to_lowercase()))
}

/// A version-4-shaped GUID derived from `seed`: the same seed always gives the same GUID.
pub fn stable_guid(seed: &str) -> String {
    let x: String = Sha256::digest(seed)
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect();
    format!(
        "{}-{}-4{}-8{}-{}",
        &x[0..8],
        &x[8..12],
        &x[13..16],
        &x[17..20],
        &x[20..32]
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A directory entry for tests (also used by `state::check`'s).
    pub(crate) fn entry(ty: PrincipalType, id: &str, lag: Option<u64>) -> DirectoryEntry {
        DirectoryEntry {
            principal_type: ty,
            id: id.into(),
            object_id: format!("obj-{id}"),
            display_name: "Alice".into(),
            upn: None,
            mail: None,
            lag_secs: lag,
        }
    }

    #[test]
    fn lookups_by_id_object_id_and_type_with_lag() {
        let d = Directory::new(
            Some(vec![
                entry(PrincipalType::User, "alice@x.com", None),
                entry(PrincipalType::App, "new-app", None),
            ]),
            Duration::from_secs(5),
            |e| e.id == "alice@x.com",
            None,
        );
        let r = d
            .resolve(PrincipalType::User, "ALICE@x.com", Some(Duration::ZERO))
            .unwrap();
        assert_eq!(r.principal_name, "Alice (alice@x.com)");
        assert!(
            d.resolve(PrincipalType::User, "obj-alice@x.com", None)
                .is_some()
        );
        assert!(d.resolve(PrincipalType::App, "alice@x.com", None).is_none());
        assert!(
            d.resolve(PrincipalType::App, "new-app", Some(Duration::from_secs(1)))
                .is_none()
        );
        assert!(
            d.resolve(PrincipalType::App, "new-app", Some(Duration::from_secs(5)))
                .is_some()
        );
    }

    #[test]
    fn forms_resolve_and_users_read_back_as_their_mail() {
        let mut guest = entry(PrincipalType::User, "pp@home.com", None);
        guest.upn = Some("pp_home.com#EXT#@t.onmicrosoft.com".into());
        let d = Directory::new(Some(vec![guest]), Duration::ZERO, |_| true, None);
        let r = d
            .resolve(
                PrincipalType::User,
                "PP_home.com#EXT#@t.onmicrosoft.com",
                None,
            )
            .unwrap();
        assert_eq!(r.stored_id.as_deref(), Some("pp@home.com"));
        assert_eq!(
            r.principal_name,
            "Alice (pp_home.com#EXT#@t.onmicrosoft.com)"
        );
        assert_eq!(
            d.identity(PrincipalType::User, "obj-pp@home.com"),
            d.identity(PrincipalType::User, "pp@home.com")
        );
    }

    #[test]
    fn an_open_directory_resolves_anything_stably() {
        let d = Directory::new(None, Duration::ZERO, |_| false, None);
        let a = d.resolve(PrincipalType::App, "x", None).unwrap();
        assert_eq!(
            a.object_id,
            d.resolve(PrincipalType::App, "X", None).unwrap().object_id
        );
        assert!(uuid::Uuid::parse_str(&a.object_id).is_ok());
    }
}
