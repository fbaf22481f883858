//! Where a value lives: in a rendered object (a JSON path) and in the
//! chart's values (a path of keys, and the template expression reading it).

use std::fmt;

/// One step into a rendered object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// A path inside a rendered object, written the way kubectl's JSONPath
/// reads (`spec.template.spec.containers[0].image`, `data["platform.json"]`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectPath(pub Vec<Step>);

impl ObjectPath {
    pub fn child(&self, step: Step) -> ObjectPath {
        let mut steps = self.0.clone();
        steps.push(step);
        ObjectPath(steps)
    }

    /// The keys of the path, indices left out.
    pub fn keys(&self) -> Vec<&str> {
        self.0
            .iter()
            .filter_map(|s| match s {
                Step::Key(k) => Some(k.as_str()),
                Step::Index(_) => None,
            })
            .collect()
    }

    pub fn last_key(&self) -> Option<&str> {
        match self.0.last()? {
            Step::Key(k) => Some(k),
            Step::Index(_) => None,
        }
    }

    /// Whether the path is exactly these keys (no indices).
    pub fn is(&self, keys: &[&str]) -> bool {
        self.0.len() == keys.len() && self.keys() == keys
    }
}

impl fmt::Display for ObjectPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            match step {
                Step::Index(n) => write!(f, "[{n}]")?,
                Step::Key(k)
                    if is_identifier(k)
                        || k.chars().all(|c| c == '-' || c.is_ascii_alphanumeric()) =>
                {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
                }
                Step::Key(k) => write!(f, "[{k:?}]")?,
            }
        }
        Ok(())
    }
}

/// The keys leading to a value in values.yaml.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ValuePath(pub Vec<String>);

impl ValuePath {
    pub fn of(keys: &[&str]) -> ValuePath {
        ValuePath(keys.iter().map(|k| k.to_string()).collect())
    }

    /// The template expression reading the value: `.Values.a.b`, or with
    /// `index` for keys a Go template cannot name after a dot.
    pub fn accessor(&self) -> String {
        let plain = self.0.iter().take_while(|k| is_identifier(k)).count();
        let mut text = String::from(".Values");
        for key in &self.0[..plain] {
            text.push('.');
            text.push_str(key);
        }
        if plain == self.0.len() {
            return text;
        }
        let rest: Vec<String> = self.0[plain..].iter().map(|k| format!("{k:?}")).collect();
        format!("(index {text} {})", rest.join(" "))
    }

    /// Whether one path is the other or leads into it (they could not both
    /// be values).
    pub fn overlaps(&self, other: &ValuePath) -> bool {
        self.0.starts_with(&other.0) || other.0.starts_with(&self.0)
    }
}

impl fmt::Display for ValuePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join("."))
    }
}

fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accessors_use_index_for_keys_with_dashes_or_dots() {
        assert_eq!(
            ValuePath::of(&["workloads", "api", "replicas"]).accessor(),
            ".Values.workloads.api.replicas"
        );
        assert_eq!(
            ValuePath::of(&["workloads", "code-location", "replicas"]).accessor(),
            "(index .Values.workloads \"code-location\" \"replicas\")"
        );
    }

    #[test]
    fn object_paths_read_like_jsonpath() {
        let path = ObjectPath(vec![
            Step::Key("data".into()),
            Step::Key("platform.json".into()),
        ]);
        assert_eq!(path.to_string(), "data[\"platform.json\"]");
        let path = ObjectPath(vec![
            Step::Key("spec".into()),
            Step::Key("containers".into()),
            Step::Index(0),
            Step::Key("image".into()),
        ]);
        assert_eq!(path.to_string(), "spec.containers[0].image");
    }
}
