//! YAML text into typed data or a JSON value, with a diagnostic (field
//! path and line) for what does not parse.

use super::type_error::{clean_path, strip_location, type_diagnostic};
use super::Diagnostic;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Parses YAML text straight into `T`, recording a diagnostic with the field
/// path and line on failure.
pub fn parse_typed<T: DeserializeOwned>(
    file: &str,
    text: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<T> {
    parse_yaml_value(file, text, diags)?;
    let de = serde_norway::Deserializer::from_str(text);
    match serde_path_to_error::deserialize::<_, T>(de) {
        Ok(t) => Some(t),
        Err(err) => {
            let line = err.inner().location().map(|l| l.line());
            let path = clean_path(&err.path().to_string());
            diags.push(type_diagnostic(
                file,
                &path,
                &err.inner().to_string(),
                line,
                text,
            ));
            None
        }
    }
}

/// Like [`parse_typed`] but keeps the YAML as JSON (for merge patches).
pub(super) fn parse_typed_keep<T: DeserializeOwned>(
    file: &str,
    text: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Value> {
    let value = parse_yaml_value(file, text, diags)?;
    parse_typed::<T>(file, text, diags).map(|_| value)
}

/// YAML → JSON value. An empty file is an empty mapping.
pub fn parse_yaml_value(file: &str, text: &str, diags: &mut Vec<Diagnostic>) -> Option<Value> {
    if text.trim().is_empty() {
        return Some(Value::Object(Default::default()));
    }
    match serde_norway::from_str::<Value>(text) {
        Ok(Value::Null) => Some(Value::Object(Default::default())),
        Ok(v @ Value::Object(_)) => Some(v),
        Ok(_) => {
            diags.push(
                Diagnostic::error(file, "", "expected a YAML mapping at the top level")
                    .with_line(Some(1))
                    .with_hint(
                        "the file holds one mapping of `key: value` lines, not a list or a scalar",
                    ),
            );
            None
        }
        Err(err) => {
            let line = err.location().map(|l| l.line());
            let message = strip_location(&err.to_string());
            let hint = if message.contains("more than one document") {
                "the file holds a single YAML document: remove the `---` separators"
            } else {
                "fix the YAML syntax on or just before this line (indentation, a missing `:`, an unclosed bracket or quote)"
            };
            diags.push(
                Diagnostic::error(file, "", format!("invalid YAML: {message}"))
                    .with_line(line)
                    .with_hint(hint),
            );
            None
        }
    }
}
