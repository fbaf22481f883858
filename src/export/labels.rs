//! The labels floe puts on every object and pod template of a product,
//! written once in `_helpers.tpl` and included wherever they appear.

use super::path::ValuePath;
use super::yaml::scalar_text;
use crate::names::{LABEL_ENVIRONMENT, LABEL_MANAGED_BY, LABEL_PRODUCT};
use crate::object::Object;
use serde_json::{Map, Value};

pub const INSTANCE: &str = "app.kubernetes.io/instance";
/// Labels with the same value in every environment.
const CONSTANT: [&str; 4] = [
    "app.kubernetes.io/part-of",
    "app.kubernetes.io/version",
    LABEL_MANAGED_BY,
    LABEL_PRODUCT,
];

/// The shared labels and where their per-environment values live.
#[derive(Debug, Clone)]
pub struct SharedLabels {
    pub constants: Vec<(String, String)>,
    /// `(label, value path)` of the labels that differ per environment.
    pub variables: Vec<(String, ValuePath)>,
}

impl SharedLabels {
    /// Read from the first object floe rendered; `None` when it does not
    /// carry the shared labels (then every label is written out in place).
    pub fn from_first(object: &Object) -> Option<SharedLabels> {
        let labels = object.body.pointer("/metadata/labels")?.as_object()?;
        let constants = CONSTANT
            .iter()
            .map(|k| Some((k.to_string(), labels.get(*k)?.as_str()?.to_string())))
            .collect::<Option<Vec<_>>>()?;
        labels.get(INSTANCE)?;
        labels.get(LABEL_ENVIRONMENT)?;
        Some(SharedLabels {
            constants,
            variables: vec![
                (INSTANCE.to_string(), ValuePath::of(&["instance"])),
                (
                    LABEL_ENVIRONMENT.to_string(),
                    ValuePath::of(&["environment"]),
                ),
            ],
        })
    }

    /// `labels` without the shared ones, when its constant labels are the
    /// shared values; `None` otherwise.
    pub fn rest(&self, labels: &Map<String, Value>) -> Option<Map<String, Value>> {
        let agree = self
            .constants
            .iter()
            .all(|(k, v)| labels.get(k).and_then(Value::as_str) == Some(v));
        let has_variables = self.variables.iter().all(|(k, _)| labels.contains_key(k));
        if !agree || !has_variables {
            return None;
        }
        let mut rest = labels.clone();
        for key in self.constants.iter().map(|(k, _)| k) {
            rest.remove(key);
        }
        for (key, _) in &self.variables {
            rest.remove(key);
        }
        Some(rest)
    }
}

/// The name of the template holding the shared labels.
pub fn labels_template(chart: &str) -> String {
    format!("{chart}.labels")
}

/// The name of the template holding Helm's own label.
pub fn chart_labels_template(chart: &str) -> String {
    format!("{chart}.chartLabels")
}

/// `_helpers.tpl`.
pub fn helpers(chart: &str, shared: Option<&SharedLabels>) -> String {
    let mut out = String::from(
        "{{/*\nThe labels floe puts on every object and pod template of this product.\n*/}}\n",
    );
    out.push_str(&format!(
        "{{{{- define {:?} -}}}}\n",
        labels_template(chart)
    ));
    let mut lines: Vec<String> = Vec::new();
    if let Some(shared) = shared {
        for (k, v) in &shared.constants {
            lines.push(format!("{}: {}", scalar_text(k), scalar_text(v)));
        }
        for (k, path) in &shared.variables {
            lines.push(format!(
                "{}: {{{{ toJson {} }}}}",
                scalar_text(k),
                path.accessor()
            ));
        }
    }
    lines.sort();
    out.push_str(&lines.join("\n"));
    out.push_str("\n{{- end }}\n\n");
    out.push_str("{{/*\nHelm's own label, on the objects only (a pod template keeps floe's labels,\nso that a new chart version does not roll the pods).\n*/}}\n");
    out.push_str(&format!(
        "{{{{- define {:?} -}}}}\nhelm.sh/chart: {{{{ printf \"%s-%s\" .Chart.Name .Chart.Version | replace \"+\" \"_\" | trunc 63 | trimSuffix \"-\" | quote }}}}\n{{{{- end }}}}\n",
        chart_labels_template(chart)
    ));
    out
}
