//! values.yaml (the defaults) and one values-<env>.yaml per environment.

use super::path::ValuePath;
use super::store::ValueStore;
use super::yaml::{self, Doc, Target};
use serde_json::{Map, Value};

/// values.yaml: every value, as the first environment rendering it has it,
/// so that every template can read every value it names.
pub fn defaults(store: &ValueStore, envs: &[String]) -> String {
    let mut root = Map::new();
    for (path, per_env) in &store.values {
        if let Some(value) = per_env.iter().flatten().next() {
            insert(&mut root, path, value.clone());
        }
    }
    let header = format!(
        "# Defaults: each value as the first environment rendering it has it ({}).\n\
         # Install with the file of one environment: helm install NAME . -f values-ENV.yaml\n",
        envs.join(", ")
    );
    header + &yaml::write(&Doc::from_json(&Value::Object(root)), Target::Plain)
}

/// values-<env>.yaml of the environment at `env`: every value it renders.
/// Where a default map holds keys this environment lacks, they are set to
/// null (Helm then drops them), so the merge gives exactly this
/// environment's value.
pub fn environment(store: &ValueStore, env: usize, name: &str) -> String {
    let mut root = Map::new();
    for (path, per_env) in &store.values {
        let default = per_env.iter().flatten().next();
        if let (Some(value), Some(default)) = (&per_env[env], default) {
            insert(&mut root, path, with_deletions(default, value));
        }
    }
    let header = format!("# The {name} environment, as `floe render --env {name}` renders it.\n");
    header + &yaml::write(&Doc::from_json(&Value::Object(root)), Target::Plain)
}

fn insert(root: &mut Map<String, Value>, path: &ValuePath, value: Value) {
    let Some((last, parents)) = path.0.split_last() else {
        return;
    };
    let mut map = root;
    for key in parents {
        let slot = map
            .entry(key.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        let Value::Object(next) = slot else { return };
        map = next;
    }
    map.insert(last.clone(), value);
}

/// `value`, with null for every key of `default`'s maps it does not have.
fn with_deletions(default: &Value, value: &Value) -> Value {
    match (default, value) {
        (Value::Object(default), Value::Object(map)) => {
            let mut out = map.clone();
            for (key, was) in default {
                match map.get(key) {
                    None => {
                        out.insert(key.clone(), Value::Null);
                    }
                    Some(now) => {
                        out.insert(key.clone(), with_deletions(was, now));
                    }
                }
            }
            Value::Object(out)
        }
        _ => value.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_only_the_default_has_are_deleted() {
        let default = json!({"a": {"x": 1, "y": 2}, "b": [1]});
        let value = json!({"a": {"z": 3, "y": 2}, "b": [2]});
        assert_eq!(
            with_deletions(&default, &value),
            json!({"a": {"x": null, "y": 2, "z": 3}, "b": [2]})
        );
    }
}
