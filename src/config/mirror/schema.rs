//! The JSON Schema (draft 2020-12) of the desired-state file, generated from the raw serde mirror.
//!
//! It serves two readers: editors (through the `# yaml-language-server: $schema=` line of a file) and
//! `shape.rs`, which walks every document against it. One schema, so the editor and `validate` agree
//! on keys, types and roles.
//!
//! Optional keys are not nullable here (`name: ~` is a mistake, not "no name"), so the `null` that
//! schemars adds for `Option` is taken out again.

use schemars::Schema;
use schemars::generate::SchemaSettings;
use schemars::transform::RecursiveTransform;
use serde_json::Value;

use super::raw::RawFile;

/// The schema as a JSON value.
pub fn schema_value() -> Value {
    let settings = SchemaSettings::draft2020_12()
        .for_deserialize()
        .with_transform(RecursiveTransform(strip_null as fn(&mut Schema)));
    let generator = settings.into_generator();
    let mut schema = generator.into_root_schema_for::<RawFile>().to_value();
    super::schema_strict::add_constraints(&mut schema);
    schema
}

/// The schema as pretty JSON with a trailing newline, as committed in `principals.schema.json`.
pub fn schema_json() -> String {
    let mut text = serde_json::to_string_pretty(&schema_value()).unwrap_or_default();
    text.push('\n');
    text
}

/// `type: [T, "null"]` → `type: T`; `anyOf: [S, {type: null}]` → `S`.
fn strip_null(schema: &mut Schema) {
    let Some(obj) = schema.as_object_mut() else {
        return;
    };
    if let Some(Value::Array(types)) = obj.get_mut("type") {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            let only = types.remove(0);
            obj.insert("type".into(), only);
        }
    }
    let inner = match obj.get("anyOf") {
        Some(Value::Array(options)) if options.len() == 2 => {
            let is_null = |v: &Value| v.get("type").is_some_and(|t| t == "null");
            match (is_null(&options[0]), is_null(&options[1])) {
                (false, true) => Some(options[0].clone()),
                (true, false) => Some(options[1].clone()),
                _ => None,
            }
        }
        _ => None,
    };
    if let Some(Value::Object(inner)) = inner {
        obj.remove("anyOf");
        for (k, v) in inner {
            obj.entry(k).or_insert(v);
        }
    }
}
