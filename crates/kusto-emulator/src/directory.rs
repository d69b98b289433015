//! The emulator's Entra ID directory: which principals resolve, to which object id and display
//! name, and from when (replication lag for new identities).

use std::time::Duration;

use sha2::{Digest, Sha256};

use super::state::DirectoryEntry;
use crate::vocab::PrincipalType;

/// What Entra ID says about a principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub object_id: String,
    pub principal_name: String,
}

/// The directory, or "resolve anything" when the state has none.
#[derive(Debug, Clone)]
pub struct Directory {
    entries: Option<Vec<DirectoryEntry>>,
    /// Lag of each entry (same order as `entries`).
    lags: Vec<Duration>,
}

impl Directory {
    /// `seeded` says whether a seeded assignment already uses an entry; those have no lag.
    pub fn new(
        entries: Option<Vec<DirectoryEntry>>,
        default_lag: Duration,
        seeded: impl Fn(&DirectoryEntry) -> bool,
    ) -> Directory {
        let lags = entries
            .iter()
            .flatten()
            .map(|e| match e.lag_secs {
                Some(s) => Duration::from_secs(s),
                None if seeded(e) => Duration::ZERO,
                None => default_lag,
            })
            .collect();
        Directory { entries, lags }
    }

    pub fn entries(&self) -> Option<&[DirectoryEntry]> {
        self.entries.as_deref()
    }

    /// The entry for a principal (by the id callers send or by its object id, ignoring case and
    /// lag); `None` also when the directory is open.
    pub fn entry(&self, ty: PrincipalType, id: &str) -> Option<&DirectoryEntry> {
        self.find(ty, id).map(|(_, e)| e)
    }

    /// Whether the directory lists its principals (`false`: anything resolves).
    pub fn is_closed(&self) -> bool {
        self.entries.is_some()
    }

    fn find(&self, ty: PrincipalType, id: &str) -> Option<(usize, &DirectoryEntry)> {
        self.entries.as_ref()?.iter().enumerate().find(|(_, e)| {
            e.principal_type == ty
                && (e.id.eq_ignore_ascii_case(id.trim())
                    || e.object_id.eq_ignore_ascii_case(id.trim()))
        })
    }

    /// Looks a principal up by the id callers send or by its object id, ignoring case; `age` is the
    /// time since the emulator started (`None`: ignore lag, for reads of existing grants).
    pub fn resolve(&self, ty: PrincipalType, id: &str, age: Option<Duration>) -> Option<Resolved> {
        if self.entries.is_none() {
            return Some(Resolved {
                object_id: synthetic_object_id(ty, id),
                principal_name: id.to_string(),
            });
        };
        let (i, e) = self.find(ty, id)?;
        if age.is_some_and(|age| age < self.lags[i]) {
            return None;
        }
        let upn = e
            .upn
            .as_deref()
            .or(Some(e.id.as_str()).filter(|id| id.contains('@')));
        let principal_name = match (ty, upn) {
            (PrincipalType::User, Some(upn)) => format!("{} ({upn})", e.display_name),
            (PrincipalType::User | PrincipalType::App | PrincipalType::Group, _) => {
                e.display_name.clone()
            }
        };
        Some(Resolved {
            object_id: e.object_id.clone(),
            principal_name,
        })
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
mod tests {
    use super::*;

    fn entry(ty: PrincipalType, id: &str, lag: Option<u64>) -> DirectoryEntry {
        DirectoryEntry {
            principal_type: ty,
            id: id.into(),
            object_id: format!("obj-{id}"),
            display_name: "Alice".into(),
            upn: None,
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
    fn an_open_directory_resolves_anything_stably() {
        let d = Directory::new(None, Duration::ZERO, |_| false);
        let a = d.resolve(PrincipalType::App, "x", None).unwrap();
        assert_eq!(
            a.object_id,
            d.resolve(PrincipalType::App, "X", None).unwrap().object_id
        );
        assert!(uuid::Uuid::parse_str(&a.object_id).is_ok());
    }
}
