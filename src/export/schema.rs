//! values.schema.json: the type of every value (Helm refuses values of
//! another type before rendering).

use super::store::ValueStore;
use serde_json::{json, Map, Value};

pub fn schema(store: &ValueStore) -> String {
    let mut root = object_schema();
    'values: for (path, per_env) in &store.values {
        let present: Vec<&Value> = per_env.iter().flatten().collect();
        let mut node = &mut root;
        for key in &path.0 {
            // The store never lets one value lead into another, so every
            // step is an object schema.
            let Some(properties) = node.get_mut("properties").and_then(Value::as_object_mut) else {
                continue 'values;
            };
            node = properties.entry(key.clone()).or_insert_with(object_schema);
        }
        *node = of_values(&present);
    }
    root["$schema"] = json!("https://json-schema.org/draft-07/schema#");
    root["title"] = json!("Values of a chart exported by floe");
    serde_json::to_string_pretty(&root).unwrap_or_default() + "\n"
}

fn object_schema() -> Value {
    json!({"type": "object", "properties": {}})
}

/// The schema every one of `values` satisfies: their types, and for maps
/// and lists the types of what they hold.
fn of_values(values: &[&Value]) -> Value {
    let mut types: Vec<&str> = values.iter().map(|v| type_name(v)).collect();
    types.sort();
    types.dedup();
    if types.contains(&"integer") && types.contains(&"number") {
        types.retain(|t| *t != "integer");
    }
    let mut schema = Map::new();
    schema.insert(
        "type".into(),
        match types.as_slice() {
            [one] => json!(one),
            many => json!(many),
        },
    );
    let maps: Vec<&Map<String, Value>> = values.iter().filter_map(|v| v.as_object()).collect();
    if !maps.is_empty() {
        let mut properties = Map::new();
        for key in maps.iter().flat_map(|m| m.keys()) {
            let held: Vec<&Value> = maps.iter().filter_map(|m| m.get(key)).collect();
            properties.insert(key.clone(), of_values(&held));
        }
        schema.insert("properties".into(), Value::Object(properties));
    }
    let items: Vec<&Value> = values
        .iter()
        .filter_map(|v| v.as_array())
        .flatten()
        .collect();
    if !items.is_empty() {
        schema.insert("items".into(), of_values(&items));
    }
    Value::Object(schema)
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
