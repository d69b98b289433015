//! The constraints `validate` checks by meaning, written into the JSON Schema too, so that an editor
//! flags what `validate` flags wherever a schema can say it: `version: 1`, GUID-shaped ids, Azure's
//! name rules, exactly one of `app`/`user`/`group`/`set` per grant, `name` or `id` per cluster, the
//! roles of each level, non-empty principal sets.
//!
//! They live under `allOf`, which `shape.rs` does not read: the walk reports keys, types and enums,
//! and the semantic checks report these rules with their own wording (file:line:column, a hint).
//! `tests/it/schema_corpus.rs` runs a JSON Schema validator over the invalid corpus and lists the
//! few mistakes a schema cannot express.

use serde_json::{Value, json};

const GUID: &str = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";
/// `names::resource_group`: any non-ASCII character passes (editors' regex engines differ on
/// Unicode classes, and a schema must never be stricter than `validate`).
const RESOURCE_GROUP: &str = "^(?:[-\\w.()]|[^\\x00-\\x7F]){0,89}(?:[-\\w()]|[^\\x00-\\x7F])$";
/// `names::cluster`.
const CLUSTER: &str = "^[a-zA-Z][a-zA-Z0-9]{3,21}$";
/// `names::assignment`: no space at either end (and not only dots, below).
const ASSIGNMENT: &str = "^[a-zA-Z0-9.-](?:[a-zA-Z0-9 .-]{0,258}[a-zA-Z0-9.-])?$";
/// `names::database`: letters (any non-ASCII passes), digits, spaces, `_`, `-`, `.`; no space at
/// either end (and not only dots, below).
const DATABASE: &str =
    "^(?:[-\\w.]|[^\\x00-\\x7F])(?:(?:[-\\w .]|[^\\x00-\\x7F]){0,258}(?:[-\\w.]|[^\\x00-\\x7F]))?$";

/// `.` and `..` are path segments, never names.
fn not_dots() -> Value {
    json!({ "properties": { "name": { "not": { "pattern": "^[.]+$" } } } })
}
/// `names::cluster_id`, segment names in any case as ARM compares them.
const CLUSTER_ID: &str = "^/[sS][uU][bB][sS][cC][rR][iI][pP][tT][iI][oO][nN][sS]/[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/[rR][eE][sS][oO][uU][rR][cC][eE][gG][rR][oO][uU][pP][sS]/[^/]+/[pP][rR][oO][vV][iI][dD][eE][rR][sS]/[mM][iI][cC][rR][oO][sS][oO][fF][tT]\\.[kK][uU][sS][tT][oO]/[cC][lL][uU][sS][tT][eE][rR][sS]/[a-zA-Z][a-zA-Z0-9]{3,21}/?$";

const CLUSTER_ROLES: [&str; 3] = [
    "AllDatabasesAdmin",
    "AllDatabasesViewer",
    "AllDatabasesMonitor",
];
const DATABASE_ROLES: [&str; 6] = [
    "Admin",
    "Ingestor",
    "Monitor",
    "User",
    "UnrestrictedViewer",
    "Viewer",
];

fn one_of_required(keys: &[&str]) -> Value {
    json!({ "oneOf": keys.iter().map(|k| json!({ "required": [k] })).collect::<Vec<_>>() })
}

fn patterns(fields: &[(&str, &str)]) -> Value {
    let props: serde_json::Map<String, Value> = fields
        .iter()
        .map(|(k, p)| ((*k).to_string(), json!({ "pattern": p })))
        .collect();
    json!({ "properties": props })
}

fn grant(roles: &[&str]) -> Vec<Value> {
    vec![
        patterns(&[("app", GUID), ("tenant", GUID), ("name", ASSIGNMENT)]),
        json!({ "properties": { "role": { "enum": roles } } }),
        not_dots(),
        one_of_required(&["app", "user", "group", "set"]),
        // A set's members get names of their own.
        json!({ "not": { "required": ["set", "name"] } }),
    ]
}

/// Adds the constraints to the generated schema (root with `$defs`).
pub fn add_constraints(schema: &mut Value) {
    let mut root = vec![
        json!({ "properties": { "version": { "const": 1 } } }),
        json!({ "properties": { "principal_sets": { "additionalProperties": { "minItems": 1 } } } }),
    ];
    root.extend(["subscription", "resource_group"].map(inherited));
    push_all(schema, root);
    let defs: [(&str, Vec<Value>); 7] = [
        (
            "Database",
            vec![patterns(&[("name", DATABASE)]), not_dots()],
        ),
        (
            "Defaults",
            vec![patterns(&[
                ("subscription", GUID),
                ("tenant", GUID),
                ("resource_group", RESOURCE_GROUP),
            ])],
        ),
        (
            "Cluster",
            vec![
                patterns(&[
                    ("subscription", GUID),
                    ("resource_group", RESOURCE_GROUP),
                    ("name", CLUSTER),
                    ("id", CLUSTER_ID),
                ]),
                one_of_required(&["name", "id"]),
                // An id names the subscription and resource group itself.
                json!({ "not": { "anyOf": [
                    { "required": ["id", "subscription"] },
                    { "required": ["id", "resource_group"] }
                ] } }),
            ],
        ),
        ("ClusterGrant", grant(&CLUSTER_ROLES)),
        ("DatabaseGrant", grant(&DATABASE_ROLES)),
        (
            "Member",
            vec![
                patterns(&[("app", GUID), ("tenant", GUID)]),
                one_of_required(&["app", "user", "group"]),
            ],
        ),
        (
            "Ignore",
            vec![
                patterns(&[("app", GUID)]),
                one_of_required(&["app", "user", "group"]),
            ],
        ),
    ];
    for (name, constraints) in defs {
        if let Some(def) = schema.pointer_mut(&format!("/$defs/{name}")) {
            push_all(def, constraints);
        }
    }
}

/// Without `defaults.KEY`, every cluster sets `KEY` itself or gives an `id`.
fn inherited(key: &str) -> Value {
    json!({
        "if": { "not": { "required": ["defaults"], "properties": { "defaults": { "required": [key] } } } },
        "then": { "properties": { "clusters": { "items": { "anyOf": [
            { "required": [key] },
            { "required": ["id"] }
        ] } } } }
    })
}

fn push_all(target: &mut Value, constraints: Vec<Value>) {
    if let Some(obj) = target.as_object_mut() {
        let all = obj.entry("allOf").or_insert_with(|| json!([]));
        if let Some(list) = all.as_array_mut() {
            list.extend(constraints);
        }
    }
}
