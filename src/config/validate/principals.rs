//! Who an entry names: exactly one of `app`, `user`, `group` (and, in grants, `set`); the named
//! principal sets; and the `ignore` list.
//!
//! | entry          | may name                  | also checked                               |
//! |----------------|---------------------------|--------------------------------------------|
//! | grant          | `app` `user` `group` `set`| `set` exists; `app` is a GUID; `tenant`    |
//! | set member     | `app` `user` `group`      | listed once per set                        |
//! | `ignore` entry | `app` `user` `group`      | listed once; not also granted (`validate`) |

use std::collections::{BTreeMap, HashMap, HashSet};

use super::checker::Checker;
use crate::config::docpath::DocPath;
use crate::config::mirror::raw::{RawIgnore, RawMember};
use crate::config::suggest;
use crate::model::names;
use crate::model::{IgnoreRule, PrincipalId, PrincipalType, Role};

/// The principal keys of one entry, whatever kind of entry it is.
pub(super) struct Fields<'r> {
    pub app: Option<&'r str>,
    pub user: Option<&'r str>,
    pub group: Option<&'r str>,
    pub set: Option<&'r str>,
    pub tenant: Option<&'r str>,
    /// True for grants; set members and `ignore` entries name one identity.
    pub sets_allowed: bool,
}

/// One identity, with its tenant when the file states one.
#[derive(Debug, Clone)]
pub(super) struct Identity {
    pub kind: PrincipalType,
    pub id: PrincipalId,
    pub tenant: Option<String>,
}

impl Identity {
    /// `user:alice@contoso.com`, as grants and plans write it.
    pub fn label(&self) -> String {
        format!("{}:{}", self.kind.file_key(), self.id)
    }
}

pub(super) enum Who {
    One(Identity),
    /// A set's name, and the entry's `tenant` for members that state none.
    Set(String, Option<String>),
}

/// The named principal sets and their members.
pub(super) type Sets = BTreeMap<String, Vec<Identity>>;

const APP_HINT: &str = "use the application (client) id, a GUID like \
                        `87654321-1234-1234-1234-123456789123`, not the app's name";

impl Checker<'_> {
    /// The principal an entry names, after checking that it names exactly one.
    pub fn principal(&mut self, f: &Fields, path: &DocPath) -> Option<Who> {
        let (key, value) = self.named_key(f, path)?;
        let tenant = f
            .tenant
            .filter(|t| self.rule(&path.key("tenant"), "tenant id", t, names::guid));
        let vpath = path.key(key);
        if value.trim().is_empty() {
            self.report(&vpath, format!("`{key}` is empty"), None);
            return None;
        }
        let kind = match key {
            "app" => PrincipalType::App,
            "user" => PrincipalType::User,
            "group" => PrincipalType::Group,
            _ => return Some(Who::Set(value.to_string(), tenant.map(str::to_string))),
        };
        let id = PrincipalId::new(value);
        if kind == PrincipalType::App && !id.is_guid() {
            self.report(
                &vpath,
                format!("`app` must be an application id (a GUID), not `{value}`"),
                Some(APP_HINT.into()),
            );
            return None;
        }
        Some(Who::One(Identity {
            kind,
            id,
            tenant: tenant.map(str::to_string),
        }))
    }

    /// The one principal key an entry gives, with its value; reports none, or two.
    fn named_key<'f>(&mut self, f: &Fields<'f>, path: &DocPath) -> Option<(&'static str, &'f str)> {
        let given: Vec<(&'static str, &'f str)> = [
            ("app", f.app),
            ("user", f.user),
            ("group", f.group),
            ("set", f.set),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect();
        let kinds = if f.sets_allowed {
            "`app`, `user`, `group` or `set`"
        } else {
            "`app`, `user` or `group`"
        };
        match given.as_slice() {
            [] => {
                if !self.tainted(path) {
                    self.report(
                        path,
                        "the entry names no principal".into(),
                        Some(format!("add one of {kinds}")),
                    );
                }
                None
            }
            [one] => Some(*one),
            [first, second, ..] => {
                self.report_key(
                    &path.key(second.0),
                    format!(
                        "the entry names two principals, `{}` and `{}`",
                        first.0, second.0
                    ),
                    Some("an entry grants one principal; split it into one entry each".into()),
                );
                None
            }
        }
    }

    /// Reads `principal_sets`: each set's members, each listed once, no set empty.
    pub fn sets(&mut self, raw: &BTreeMap<String, Vec<RawMember>>) -> Sets {
        let mut sets = Sets::new();
        let root = DocPath::root().key("principal_sets");
        for (name, members) in raw {
            let spath = root.key(name);
            if members.is_empty() {
                self.report_key(
                    &spath,
                    format!("principal set `{name}` is empty"),
                    Some("add members, or remove the set".into()),
                );
            }
            let mut seen: HashMap<(PrincipalType, PrincipalId), usize> = HashMap::new();
            let mut out = Vec::new();
            for (i, m) in members.iter().enumerate() {
                let mpath = spath.index(i);
                let fields = Fields {
                    app: m.app.as_deref(),
                    user: m.user.as_deref(),
                    group: m.group.as_deref(),
                    set: None,
                    tenant: m.tenant.as_deref(),
                    sets_allowed: false,
                };
                let Some(Who::One(identity)) = self.principal(&fields, &mpath) else {
                    continue;
                };
                let line = self.line(&mpath);
                let key = (identity.kind, identity.id.clone());
                if let Some(first) = seen.insert(key, line) {
                    self.report(
                        &mpath,
                        format!(
                            "`{}` is listed twice in set `{name}`, also at line {first}",
                            identity.label()
                        ),
                        Some("remove one of them".into()),
                    );
                    continue;
                }
                out.push(identity);
            }
            sets.insert(name.clone(), out);
        }
        sets
    }

    /// The members of set `name`; reports an unknown name.
    pub fn set_members(
        &mut self,
        sets: &Sets,
        name: &str,
        path: &DocPath,
    ) -> Option<Vec<Identity>> {
        if let Some(members) = sets.get(name) {
            return Some(members.clone());
        }
        let known: Vec<&str> = sets.keys().map(String::as_str).collect();
        let hint = match suggest::closest(name, &known) {
            Some(near) => format!("did you mean `{near}`?"),
            None if known.is_empty() => "define it under `principal_sets`".into(),
            None => format!(
                "define it under `principal_sets`; the sets are {}",
                suggest::list(&known)
            ),
        };
        self.report(path, format!("unknown principal set `{name}`"), Some(hint));
        None
    }

    /// Reports every set no grant uses.
    pub fn unused_sets(&mut self, sets: &Sets, referenced: &HashSet<&str>) {
        for name in sets.keys() {
            if !referenced.contains(name.as_str()) {
                self.report_key(
                    &DocPath::root().key("principal_sets").key(name),
                    format!("principal set `{name}` is never used"),
                    Some(format!("grant it a role with `set: {name}`, or remove it")),
                );
            }
        }
    }

    /// Reads `ignore`, each identity (and role) once; returns each rule with its path.
    pub fn ignore_rules(&mut self, raw: &[RawIgnore]) -> Vec<(IgnoreRule, DocPath)> {
        let root = DocPath::root().key("ignore");
        let mut out: Vec<(IgnoreRule, DocPath)> = Vec::new();
        for (i, entry) in raw.iter().enumerate() {
            let path = root.index(i);
            let fields = Fields {
                app: entry.app.as_deref(),
                user: entry.user.as_deref(),
                group: entry.group.as_deref(),
                set: None,
                tenant: None,
                sets_allowed: false,
            };
            let Some(Who::One(identity)) = self.principal(&fields, &path) else {
                continue;
            };
            let role = entry.role.as_ref().and_then(|r| Role::parse(&r.0));
            let rule = IgnoreRule {
                principal_type: identity.kind,
                principal_id: identity.id.clone(),
                role,
            };
            if let Some((_, first)) = out.iter().find(|(r, _)| *r == rule) {
                let line = self.line(first);
                self.report(
                    &path,
                    format!(
                        "`{}` is ignored twice, also at line {line}",
                        identity.label()
                    ),
                    Some("remove one of them".into()),
                );
                continue;
            }
            out.push((rule, path));
        }
        out
    }
}
