//! A small block-style YAML writer for the chart's files. The chart's
//! templates are text that Go templates expand before YAML reads it, so the
//! writer is ours: it quotes every string that any YAML 1.1 reader (Helm's)
//! could take for something else, and it can place template actions.

use serde_json::Value;

/// A document to write: JSON values, plus the template pieces the chart's
/// templates need.
#[derive(Debug, Clone, PartialEq)]
pub enum Doc {
    Scalar(Value),
    Map(Vec<Entry>),
    List(Vec<Doc>),
    /// Template text standing for one inline value (`{{ toJson ... }}`).
    Action(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    Pair(String, Doc),
    /// A named template whose lines are more entries of this map.
    Include(String),
}

/// Whether the text goes through Go templates (then `{{` in data is escaped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Template,
    Plain,
}

impl Doc {
    pub fn from_json(value: &Value) -> Doc {
        match value {
            Value::Object(map) => Doc::Map(
                map.iter()
                    .map(|(k, v)| Entry::Pair(k.clone(), Doc::from_json(v)))
                    .collect(),
            ),
            Value::Array(items) => Doc::List(items.iter().map(Doc::from_json).collect()),
            scalar => Doc::Scalar(scalar.clone()),
        }
    }
}

/// The document as YAML text, ending in a newline.
pub fn write(doc: &Doc, target: Target) -> String {
    let mut out = String::new();
    match doc {
        Doc::Map(entries) if !entries.is_empty() => write_entries(&mut out, entries, 0, target),
        Doc::List(items) if !items.is_empty() => write_items(&mut out, items, 0, target),
        other => {
            out.push_str(&inline(other, target).unwrap_or_default());
            out.push('\n');
        }
    }
    out
}

fn write_entries(out: &mut String, entries: &[Entry], indent: usize, target: Target) {
    for (i, entry) in entries.iter().enumerate() {
        // The first entry of a list item sits on the item's own line.
        let pad = if i == 0 && out.ends_with("- ") {
            String::new()
        } else {
            " ".repeat(indent)
        };
        match entry {
            Entry::Include(name) => out.push_str(&format!(
                "{{{{- include {name:?} . | nindent {indent} }}}}\n"
            )),
            Entry::Pair(key, value) => {
                out.push_str(&pad);
                out.push_str(&text(&scalar_text(key), target));
                out.push(':');
                write_child(out, value, indent, target);
            }
        }
    }
}

fn write_items(out: &mut String, items: &[Doc], indent: usize, target: Target) {
    for item in items {
        out.push_str(&" ".repeat(indent));
        out.push('-');
        write_child(out, item, indent, target);
    }
}

/// What follows `key:` or `-`: an inline value, a literal block, or nested
/// lines indented by two.
fn write_child(out: &mut String, value: &Doc, indent: usize, target: Target) {
    if let Some(text) = inline(value, target) {
        out.push(' ');
        out.push_str(&text);
        out.push('\n');
        return;
    }
    match value {
        Doc::Map(entries) if out.ends_with('-') => {
            out.push(' ');
            write_entries(out, entries, indent + 2, target);
        }
        Doc::Map(entries) => {
            out.push('\n');
            write_entries(out, entries, indent + 2, target);
        }
        Doc::List(items) => {
            out.push('\n');
            write_items(out, items, indent + 2, target);
        }
        Doc::Scalar(Value::String(s)) => write_literal(out, s, indent + 2, target),
        _ => {}
    }
}

/// Scalars, empty collections and actions fit on the line; `None` for the rest.
fn inline(value: &Doc, target: Target) -> Option<String> {
    match value {
        Doc::Map(entries) if entries.is_empty() => Some("{}".into()),
        Doc::List(items) if items.is_empty() => Some("[]".into()),
        Doc::Map(_) | Doc::List(_) => None,
        Doc::Action(action) => Some(action.clone()),
        Doc::Scalar(Value::String(s)) if literal_block_fits(s) => None,
        Doc::Scalar(Value::String(s)) => Some(text(&scalar_text(s), target)),
        Doc::Scalar(other) => Some(other.to_string()),
    }
}

/// Multi-line text reads best as a literal block; only text that the block
/// gives back byte for byte qualifies.
fn literal_block_fits(s: &str) -> bool {
    s.contains('\n')
        && !s.starts_with([' ', '\n', '\t'])
        && !s.chars().any(|c| c.is_control() && c != '\n')
        && !s.contains(['\u{85}', '\u{2028}', '\u{2029}', '\u{feff}'])
        && s.lines().all(|l| l == l.trim_end())
}

fn write_literal(out: &mut String, s: &str, indent: usize, target: Target) {
    let body = s.trim_end_matches('\n');
    let chomp = match s.len() - body.len() {
        0 => "-",
        1 => "",
        _ => "+",
    };
    out.push_str(&format!(" |{chomp}\n"));
    for line in body
        .split('\n')
        .chain((1..s.len() - body.len()).map(|_| ""))
    {
        if !line.is_empty() {
            out.push_str(&" ".repeat(indent));
            out.push_str(&text(line, target));
        }
        out.push('\n');
    }
}

/// A string as a plain scalar when no YAML reader could take it for anything
/// else, double-quoted (JSON escapes are valid YAML) otherwise.
pub fn scalar_text(s: &str) -> String {
    if is_plain(s) {
        return s.to_string();
    }
    let mut quoted = serde_json::to_string(s).unwrap_or_default();
    for (c, escape) in [
        ('\u{85}', "\\u0085"),
        ('\u{2028}', "\\u2028"),
        ('\u{2029}', "\\u2029"),
        ('\u{feff}', "\\ufeff"),
    ] {
        quoted = quoted.replace(c, escape);
    }
    quoted
}

fn is_plain(s: &str) -> bool {
    const WORDS: [&str; 11] = [
        "y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf",
    ];
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "._/-".contains(c))
        && !WORDS.contains(&s.to_ascii_lowercase().as_str())
}

/// Data written into a template must not start a template action.
fn text(s: &str, target: Target) -> String {
    match target {
        Target::Template => s.replace("{{", "{{ \"{{\" }}"),
        Target::Plain => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(value: Value) {
        let text = write(&Doc::from_json(&value), Target::Plain);
        let back: Value = serde_norway::from_str(&text).expect(&text);
        assert_eq!(back, value, "{text}");
    }

    #[test]
    fn values_that_look_like_other_types_stay_strings() {
        round_trip(json!({
            "a": "8", "b": "yes", "c": "off", "d": "", "e": "1.5", "f": "null",
            "g": "a: b", "h": "- x", "i": "#c", "j": 8, "k": true, "l": null, "m": "~",
            "n": "0x10", "o": "1e3", "p": " lead", "q": "tab\there", "r": "é ü",
        }));
    }

    #[test]
    fn nested_lists_maps_and_text_blocks_come_back_unchanged() {
        round_trip(json!({
            "containers": [{"name": "api", "args": ["--a", "b"], "env": []}, {"x": {}}],
            "nested": [["a", "b"], [], [{"k": "v"}]],
            "data": {"one": "a\nb\n", "none": "a\n  b", "many": "a\n\nb\n\n", "blank": "x\n\ny"},
        }));
    }

    #[test]
    fn template_braces_in_data_are_escaped() {
        let doc = Doc::from_json(&json!({"cmd": "echo {{x}}"}));
        assert_eq!(
            write(&doc, Target::Template),
            "cmd: \"echo {{ \"{{\" }}x}}\"\n"
        );
    }

    #[test]
    fn includes_and_actions_are_placed_at_the_indentation() {
        let doc = Doc::Map(vec![Entry::Pair(
            "labels".into(),
            Doc::Map(vec![
                Entry::Include("p.labels".into()),
                Entry::Pair("x".into(), Doc::Action("{{ toJson .Values.x }}".into())),
            ]),
        )]);
        assert_eq!(
            write(&doc, Target::Template),
            "labels:\n{{- include \"p.labels\" . | nindent 2 }}\n  x: {{ toJson .Values.x }}\n"
        );
    }
}
