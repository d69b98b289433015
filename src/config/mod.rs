//! The desired-state file: YAML text → a validated, normalised `DesiredState`.
//!
//! The phases, in the order `load` runs them, each reporting every problem it finds so that one run
//! shows them all:
//!
//! | phase       | does                                                                          |
//! |-------------|-------------------------------------------------------------------------------|
//! | `read`      | bytes → text → marked tree: size cap, UTF-8, forbidden characters, syntax,    |
//! |             | duplicate keys at their line, depth and alias limits                          |
//! | `shape`     | tree × the JSON Schema of the mirror → unknown/missing keys, types, roles per |
//! |             | scope; leaves the tree conforming, in place                                   |
//! | `mirror`    | the serde mirror (`deny_unknown_fields`), read from the tree one cluster at a |
//! |             | time, and the JSON Schema generated from it                                   |
//! | `validate`  | mirror → `DesiredState`: GUIDs, names, duplicates, sets, ignore, inheritance  |
//! | `outcome`   | what `validate` prints: problems or a summary as text, JSON or CI annotations |
//!
//! What every phase shares:
//!
//! | module     | owns                                                                   |
//! |------------|------------------------------------------------------------------------|
//! | `docpath`  | a path into the document, e.g. `clusters[1].principals[0].role`        |
//! | `problem`  | `Problem` and `ConfigErrors`: every problem of the file, reported at once |
//! | `suggest`  | "did you mean" and the wording of role mistakes (`shape`, `validate`)  |
//!
//! Nothing here talks to Azure, and nothing but `load` reads a file.

mod docpath;
mod mirror;
pub mod outcome;
mod problem;
mod read;
mod shape;
pub mod suggest;
mod validate;

pub use mirror::schema::schema_json;
pub use problem::{ConfigErrors, Problem};
pub use read::source::MAX_FILE_BYTES;

use std::path::Path;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::model::{DesiredState, SourceLocation};
use docpath::DocPath;
use mirror::{de, raw, schema};
use read::tree::Node;
use read::{source, yaml};

/// Reads and validates a desired-state file.
pub fn load(path: &Path) -> Result<DesiredState, ConfigErrors> {
    let file = path.display().to_string();
    let text = source::read(path).map_err(|e| match e {
        Ok(problem) => fail(&file, vec![problem]),
        Err(e) => ConfigErrors::single(&file, None, "", format!("cannot read the file: {e}"), None),
    })?;
    let parsed = read_tree(&text, &file);
    // The tree holds its own copy of every text: the file's text is not needed any more.
    drop(text);
    check(parsed?, &file)
}

/// Validates desired-state YAML text; `file` names it in messages.
pub fn parse(text: &str, file: &str) -> Result<DesiredState, ConfigErrors> {
    check(read_tree(text, file)?, file)
}

fn fail(file: &str, problems: Vec<Problem>) -> ConfigErrors {
    ConfigErrors {
        file: file.to_string(),
        problems,
    }
}

/// The `read` phase: the marked tree and the problems that did not stop it.
fn read_tree(text: &str, file: &str) -> Result<(Node, Vec<Problem>), ConfigErrors> {
    let start = Some(SourceLocation { line: 1, column: 1 });
    let refused = source::check(text);
    if !refused.is_empty() {
        return Err(fail(file, refused));
    }
    // Editors on Windows may save a byte-order mark; YAML allows it, the scanner would read a key.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let parsed = yaml::parse_tree(text).map_err(|p| fail(file, vec![p]))?;
    let mut problems = parsed.problems;
    let Some(root) = parsed.root.filter(|r| !r.is_null()) else {
        problems.push(Problem::new(
            start,
            &DocPath::root(),
            "the file is empty".into(),
            Some("start with `version: 1` and a `clusters:` list".into()),
        ));
        return Err(fail(file, problems));
    };
    Ok((root, problems))
}

/// The phases after `read`: shape, mirror, validate.
fn check(
    (mut root, mut problems): (Node, Vec<Problem>),
    file: &str,
) -> Result<DesiredState, ConfigErrors> {
    let fail = |problems| fail(file, problems);
    let shaped = shape::shape(&mut root, schema_value());
    problems.extend(shaped.problems);
    // Everything but the clusters now; each cluster is read when it is checked, so that the raw
    // mirror of the whole file never exists at once.
    let raw = match raw::RawFile::deserialize(de::NodeDe::without(&root, "clusters")) {
        Ok(raw) => raw,
        Err(e) => {
            problems.push(de::internal_error(&e));
            return Err(fail(sorted(problems)));
        }
    };
    let (state, semantic) = validate::validate(&raw, &root, &shaped.tainted, file);
    problems.extend(semantic);
    if problems.is_empty() {
        Ok(state)
    } else {
        Err(fail(sorted(problems)))
    }
}

/// The schema, generated once per process.
fn schema_value() -> &'static serde_json::Value {
    static SCHEMA: OnceLock<serde_json::Value> = OnceLock::new();
    SCHEMA.get_or_init(schema::schema_value)
}

/// File order: by location, problems of the whole file first; ties keep the order found.
fn sorted(mut problems: Vec<Problem>) -> Vec<Problem> {
    problems.sort_by_key(|p| p.location);
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ClusterRef, PrincipalType, Role, Scope, Unmanaged};

    const SUB: &str = "12345678-1234-1234-1234-123456789098";
    const OTHER_SUB: &str = "aaaaaaaa-1234-1234-1234-123456789098";
    const TENANT: &str = "12345678-1234-1234-1234-123456789012";
    const OTHER_TENANT: &str = "bbbbbbbb-1234-1234-1234-123456789012";

    fn file() -> String {
        format!(
            "version: 1
defaults:
  subscription: {SUB}
  resource_group: rg
  tenant: {TENANT}
  unmanaged: keep
principal_sets:
  team:
    - user: a@contoso.com
    - user: b@contoso.com
      tenant: {OTHER_TENANT}
ignore:
  - group: admins@contoso.com
safety:
  min_existing: 3
clusters:
  - name: zkusto
    unmanaged: delete
    databases:
      - name: empty
      - name: logs
        unmanaged: keep
        principals:
          - set: team
            role: Viewer
  - id: /subscriptions/{OTHER_SUB}/resourceGroups/other/providers/Microsoft.Kusto/clusters/akusto
    principals:
      - app: 87654321-1234-1234-1234-123456789123
        role: AllDatabasesAdmin
        name: deployer
        tenant: {OTHER_TENANT}
"
        )
    }

    #[test]
    fn an_absent_principals_key_leaves_the_cluster_level_alone_and_an_empty_list_manages_it() {
        let text = format!(
            "version: 1\ndefaults: {{subscription: {SUB}, resource_group: rg}}\nclusters:\n  \
             - name: absent\n    databases: [{{name: db, principals: []}}]\n  \
             - name: empty\n    principals: []\n"
        );
        let state = parse(&text, "p.yaml").unwrap_or_else(|e| panic!("{e}"));
        let scopes: Vec<(String, usize)> = state
            .scopes
            .iter()
            .map(|s| (s.scope.to_string(), s.grants.len()))
            .collect();
        assert_eq!(
            scopes,
            [("absent/db".to_string(), 0), ("empty".to_string(), 0)]
        );
    }

    #[test]
    fn a_valid_file_is_normalised() {
        let state = parse(&file(), "p.yaml").unwrap_or_else(|e| panic!("{e}"));
        let zkusto = ClusterRef::new(SUB, "rg", "zkusto");
        let scopes: Vec<(Scope, Unmanaged, usize)> = state
            .scopes
            .iter()
            .map(|s| (s.scope.clone(), s.unmanaged, s.grants.len()))
            .collect();
        assert_eq!(
            scopes,
            [
                (
                    Scope::cluster(ClusterRef::new(OTHER_SUB, "other", "akusto")),
                    Unmanaged::Keep,
                    1
                ),
                // No `principals:` at zkusto: its cluster level is not managed.
                (
                    Scope::database(zkusto.clone(), "empty"),
                    Unmanaged::Delete,
                    0
                ),
                (Scope::database(zkusto, "logs"), Unmanaged::Keep, 2),
            ]
        );
        let admin = &state.scopes[0].grants[0];
        assert_eq!(admin.key.role, Role::AllDatabasesAdmin);
        assert_eq!(admin.name.as_deref(), Some("deployer"));
        assert_eq!(admin.tenant.as_deref(), Some(OTHER_TENANT));
        assert_eq!(
            admin.location,
            SourceLocation {
                line: 28,
                column: 9
            }
        );
        let team: Vec<(&str, Option<&str>)> = state.scopes[2]
            .grants
            .iter()
            .map(|g| (g.key.principal_id.as_str(), g.tenant.as_deref()))
            .collect();
        assert_eq!(
            team,
            [
                ("a@contoso.com", Some(TENANT)),
                ("b@contoso.com", Some(OTHER_TENANT))
            ]
        );
        assert_eq!(state.ignore[0].principal_type, PrincipalType::Group);
        assert_eq!(state.safety.min_existing, 3);
        assert_eq!(state.safety.max_delete_fraction, 0.3);
    }

    #[test]
    fn a_byte_order_mark_and_windows_line_ends_are_fine() {
        let text = format!("\u{feff}{}", file().replace('\n', "\r\n"));
        let state = parse(&text, "p.yaml").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(state, parse(&file(), "p.yaml").unwrap());
    }

    #[test]
    fn problems_come_in_file_order_with_paths() {
        let broken = file()
            .replace("role: Viewer", "role: Viewr")
            .replace("name: deployer", "name: deploy_er")
            .replace(
                "unmanaged: keep\nprincipal_sets",
                "unmanaged: kept\nprincipal_sets",
            );
        let errors = parse(&broken, "p.yaml").unwrap_err();
        let found: Vec<(usize, &str)> = errors
            .problems
            .iter()
            .map(|p| (p.location.unwrap().line, p.path.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                (6, "defaults.unmanaged"),
                (25, "clusters[0].databases[1].principals[0].role"),
                (30, "clusters[1].principals[0].name"),
            ]
        );
    }
}
