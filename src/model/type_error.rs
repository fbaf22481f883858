//! serde's type errors in the words a YAML author uses: what is wrong,
//! and a hint naming what is accepted there.

use super::yaml_lines::find_line;
use super::{Diagnostic, SETTINGS_FILE, SPEC_FILE};

/// serde_path_to_error prints `.` for the root and `?` for unknown parts.
pub(super) fn clean_path(path: &str) -> String {
    if path == "." {
        String::new()
    } else {
        path.to_string()
    }
}

/// Turns a serde message into a diagnostic in plain words, with a hint that
/// names the accepted fields or values where serde listed them. `text` is
/// the file's YAML, used to find the line when the parser did not say.
pub(super) fn type_diagnostic(
    file: &str,
    path: &str,
    message: &str,
    line: Option<usize>,
    text: &str,
) -> Diagnostic {
    let message = strip_path_prefix(&strip_location(message), path);
    let line = line.or_else(|| find_line(text, path));
    let shape = schema_pointer(file, path);
    let (message, hint) = unknown_name(&message, shape)
        .or_else(|| missing_field(&message, shape))
        .or_else(|| untagged_mismatch(&message, shape))
        .unwrap_or_else(|| plain_mismatch(&message, shape));
    Diagnostic::error(file, path, message)
        .with_line(line)
        .with_hint(hint)
}

/// Where the shape of the file's contents is written down.
fn schema_pointer(file: &str, path: &str) -> &'static str {
    if file == SPEC_FILE {
        "floe.yaml follows the floe platform's FloeSpec schema"
    } else if file == SETTINGS_FILE || path.starts_with("deployment") {
        "see docs/deploy-settings.md for the settings' shape"
    } else {
        "see the floe platform's manifest schema"
    }
}

/// `unknown field `x`, expected one of `a`, `b`` and the same for
/// variants: the message and a hint naming what is accepted.
fn unknown_name(message: &str, shape: &str) -> Option<(String, String)> {
    for what in ["unknown field", "unknown variant"] {
        let Some(rest) = message.strip_prefix(what) else {
            continue;
        };
        let (name, accepted) = match rest.split_once(", expected ") {
            Some((name, accepted)) => (name.trim(), accepted),
            None => (rest.trim(), ""),
        };
        let options: Vec<&str> = accepted
            .trim_start_matches("one of ")
            .split(", ")
            .map(|o| o.trim_matches('`'))
            .filter(|o| !o.is_empty())
            .collect();
        let bare = name.trim_matches('`');
        let mut hint = String::new();
        if let Some(near) = closest(bare, &options) {
            hint.push_str(&format!("did you mean `{near}`? "));
        }
        let field = what == "unknown field";
        if options.is_empty() {
            hint.push_str(&format!("nothing is accepted here; {shape}"));
        } else if field {
            hint.push_str(&format!("fields accepted here: {}", options.join(", ")));
        } else {
            hint.push_str(&format!("values accepted here: {}", options.join(", ")));
        }
        let noun = if field {
            "unknown field"
        } else {
            "unknown value"
        };
        return Some((format!("{noun} {name}"), hint));
    }
    None
}

fn missing_field(message: &str, shape: &str) -> Option<(String, String)> {
    let field = message
        .strip_prefix("missing field `")
        .and_then(|r| r.strip_suffix('`'))?;
    Some((
        format!("missing required field `{field}`"),
        format!("add `{field}:` here; {shape}"),
    ))
}

/// A value that fits none of the shapes of an untagged enum, named by
/// what the YAML author meant to write.
fn untagged_mismatch(message: &str, shape: &str) -> Option<(String, String)> {
    let rest = message.strip_prefix("data did not match any variant of untagged enum ")?;
    let (what, hint) = match rest.trim() {
        "Quantityish" => (
            "expected a quantity",
            "use Kubernetes quantities such as 500m or 2 for CPU, 512Mi or 2Gi for memory",
        ),
        "PortValue" => (
            "expected a port",
            "use a port number (1-65535) or the name of a port declared under `ports:`",
        ),
        "IntOrPercent" => (
            "expected a count or a percentage",
            "use a whole number such as 1 or a percentage such as \"25%\"",
        ),
        "ResourcePreset" => (
            "not a resource preset",
            "write either `{requests: {cpu, memory}, limits: {cpu, memory}}` or `{cpu_request, cpu_limit, memory_request, memory_limit}`",
        ),
        _ => ("unexpected value", shape),
    };
    Some((what.to_string(), hint.to_string()))
}

/// Any other mismatch, in plain words, with what to write instead.
fn plain_mismatch(message: &str, shape: &str) -> (String, String) {
    let message = humanise(message);
    let hint = match message.split_once(", expected ") {
        Some((_, expected)) => format!("write {expected} here; {shape}"),
        None => shape.to_string(),
    };
    (message, hint)
}

/// serde_norway puts the path of the failing mapping in front of its
/// message (`workloads.api: unknown field ...`); the diagnostic has the
/// path already.
fn strip_path_prefix(message: &str, path: &str) -> String {
    if let Some((head, rest)) = message.split_once(": ") {
        let head_is_path = !head.contains(' ')
            && !head.is_empty()
            && (path == head
                || path.starts_with(&format!("{head}."))
                || path.starts_with(&format!("{head}[")));
        if head_is_path {
            return rest.to_string();
        }
    }
    message.to_string()
}

/// serde's Rust type names in the words a YAML author uses.
fn humanise(message: &str) -> String {
    let mut m = message.to_string();
    for (from, to) in [
        ("expected u32", "expected a whole number (0 or more)"),
        ("expected u16", "expected a whole number from 0 to 65535"),
        ("expected u64", "expected a whole number (0 or more)"),
        ("expected i64", "expected a whole number"),
        ("expected a sequence", "expected a list"),
        ("expected a map", "expected a mapping"),
        ("expected a boolean", "expected true or false"),
        ("invalid type: sequence", "invalid type: list"),
        ("invalid type: map", "invalid type: mapping"),
        ("invalid type: unit value", "invalid type: empty value"),
    ] {
        if let Some(i) = m.find(from) {
            let end = i + from.len();
            // Only whole words: `expected a map` but not `expected a mapping`.
            if !m[end..].starts_with(|c: char| c.is_ascii_alphanumeric()) {
                m.replace_range(i..end, to);
            }
        }
    }
    if let Some(i) = m.find("expected struct ") {
        m.replace_range(i.., "expected a mapping");
    }
    if let Some(i) = m.find("expected enum ") {
        m.replace_range(i.., "expected one of the listed values");
    }
    m
}

/// The candidate closest to `word` by edit distance, if it is close enough
/// to be a typo.
pub(super) fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).clamp(1, 3);
    let lower = word.to_lowercase();
    // `production` for `prod`, `replica` for `replicas`.
    let prefix = candidates.iter().find(|c| {
        let c = c.to_lowercase();
        c.len() >= 3 && lower.len() >= 3 && (lower.starts_with(&c) || c.starts_with(&lower))
    });
    if prefix.is_some() {
        return prefix.copied();
    }
    candidates
        .iter()
        .map(|c| (edit_distance(&word.to_lowercase(), &c.to_lowercase()), *c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// serde_norway appends ` at line L column C`; the diagnostic carries the
/// line itself.
pub(super) fn strip_location(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}
