//! Settings layers and their per-environment overlays: each layer and
//! overlay type-checked on its own (so a problem points at the file that
//! has it), then merged.

use super::type_error::{clean_path, closest, type_diagnostic};
use super::yaml_lines::find_line;
use super::{diag, DeploySettings, Diagnostic, Environment, SETTINGS_FILE};
use serde_json::Value;

/// One settings layer: where it came from, the path prefix of its fields
/// in that file, the value, and the file's text (for line numbers).
pub(super) struct Layer {
    pub file: String,
    pub prefix: String,
    pub value: Value,
    pub text: String,
}

/// Type-checks one settings layer that arrived as a JSON value.
pub(super) fn check_settings_layer(
    file: &str,
    prefix: &str,
    value: &Value,
    text: &str,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    match serde_path_to_error::deserialize::<_, DeploySettings>(value) {
        Ok(_) => true,
        Err(err) => {
            let inner = clean_path(&err.path().to_string());
            let path = if inner.is_empty() {
                prefix.to_string()
            } else {
                diag::join(prefix, &inner)
            };
            diags.push(type_diagnostic(
                file,
                &path,
                &err.inner().to_string(),
                None,
                text,
            ));
            false
        }
    }
}

/// Removes `null` members of mappings: in a merge patch they delete a key,
/// so they are not values to type-check.
fn strip_nulls(value: &mut Value) {
    if let Value::Object(map) = value {
        map.retain(|_, v| !v.is_null());
        map.values_mut().for_each(strip_nulls);
    } else if let Value::Array(items) = value {
        items.iter_mut().for_each(strip_nulls);
    }
}

/// Checks every overlay of a layer, whichever environment is being loaded,
/// so a typo in `environments.prod` shows up in a dev run too. Returns
/// whether the overlay for `env` had a problem.
fn check_overlays(layer: &Layer, env: Environment, diags: &mut Vec<Diagnostic>) -> bool {
    let Some(envs) = layer.value.get("environments") else {
        return false;
    };
    let Some(envs) = envs.as_object() else {
        // Already reported when the layer itself was type-checked.
        return false;
    };
    let mut env_failed = false;
    for (name, overlay) in envs {
        let at = diag::join(&layer.prefix, &format!("environments.{name}"));
        if Environment::parse(name).is_none() {
            diags.push(unknown_environment(layer, &at, name));
            continue;
        }
        if let Some(problem) = overlay_problem(layer, &at, name, overlay) {
            diags.push(problem);
            if name == env.as_str() {
                env_failed = true;
            }
        }
    }
    env_failed
}

fn unknown_environment(layer: &Layer, at: &str, name: &str) -> Diagnostic {
    let hint = match closest(name, &["dev", "staging", "prod"]) {
        Some(near) => format!("did you mean `{near}`? environments are dev, staging and prod"),
        None => "environments are dev, staging and prod".to_string(),
    };
    Diagnostic::error(&layer.file, at, format!("unknown environment {name:?}"))
        .with_line(find_line(&layer.text, at))
        .with_hint(hint)
}

/// The problem with the overlay of a known environment, if any.
fn overlay_problem(layer: &Layer, at: &str, name: &str, overlay: &Value) -> Option<Diagnostic> {
    if !overlay.is_object() && !overlay.is_null() {
        return Some(
            Diagnostic::error(
                &layer.file,
                at,
                "an overlay must be a mapping with the same fields as the file",
            )
            .with_line(find_line(&layer.text, at))
            .with_hint(format!(
                "write the fields to change under `environments.{name}:`, e.g. `workloads: {{code-location: {{replicas: 3}}}}`"
            )),
        );
    }
    if overlay.get("environments").is_some() {
        let nested = diag::join(at, "environments");
        return Some(
            Diagnostic::error(
                &layer.file,
                nested.clone(),
                "overlays cannot nest `environments`",
            )
            .with_line(find_line(&layer.text, &nested))
            .with_hint("move the nested overlay up to the file's own `environments:`"),
        );
    }
    if overlay.is_null() {
        // `prod:` with nothing under it changes nothing.
        return None;
    }
    let mut overlay = overlay.clone();
    strip_nulls(&mut overlay);
    match serde_path_to_error::deserialize::<_, DeploySettings>(&overlay) {
        // A partial overlay may leave out required fields that the file it
        // patches has; the merged result is checked later.
        Err(err) if !err.inner().to_string().starts_with("missing field") => {
            let inner = clean_path(&err.path().to_string());
            let path = if inner.is_empty() {
                at.to_string()
            } else {
                diag::join(at, &inner)
            };
            Some(type_diagnostic(
                &layer.file,
                &path,
                &err.inner().to_string(),
                None,
                &layer.text,
            ))
        }
        _ => None,
    }
}

/// Merges the layers' bases, then each layer's overlay for `env` (merge
/// patches, RFC 7386), and type-checks the result.
pub(super) fn merge_settings(
    layers: &[Layer],
    env: Environment,
    diags: &mut Vec<Diagnostic>,
) -> Option<DeploySettings> {
    let mut merged = Value::Object(Default::default());
    for layer in layers {
        let mut value = layer.value.clone();
        if let Some(obj) = value.as_object_mut() {
            obj.remove("environments");
        }
        json_patch::merge(&mut merged, &value);
    }
    let mut overlay_failed = false;
    for layer in layers {
        if check_overlays(layer, env, diags) {
            overlay_failed = true;
            continue;
        }
        if let Some(overlay) = layer
            .value
            .get("environments")
            .and_then(|e| e.get(env.as_str()))
            // A merge patch that is not a mapping would replace the whole
            // document; an empty `prod:` changes nothing.
            .filter(|o| o.is_object())
        {
            json_patch::merge(&mut merged, overlay);
        }
    }
    match serde_path_to_error::deserialize::<_, DeploySettings>(&merged) {
        Ok(s) => Some(s),
        // The overlay's own problem is reported already, at its own path.
        Err(_) if overlay_failed => None,
        Err(err) => {
            let path = clean_path(&err.path().to_string());
            let file = layers
                .last()
                .map(|l| l.file.as_str())
                .unwrap_or(SETTINGS_FILE);
            let d = type_diagnostic(file, &path, &err.inner().to_string(), None, "");
            let overlay = format!("the value comes from the `environments.{env}` overlay");
            let hint = match &d.hint {
                Some(h) => format!("{h}; {overlay}"),
                None => overlay,
            };
            diags.push(d.with_hint(hint));
            None
        }
    }
}
