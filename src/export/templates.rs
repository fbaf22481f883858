//! The text of one object's template.

use super::lift::Lifted;
use super::yaml::{self, Target};

/// The object's YAML with its values read from `.Values`, behind its
/// toggle when it has one.
pub fn object(lifted: &Lifted) -> String {
    let body = yaml::write(&lifted.body, Target::Template);
    match &lifted.toggle {
        Some(toggle) => format!(
            "{{{{- if {} }}}}\n{body}{{{{- end }}}}\n",
            toggle.accessor()
        ),
        None => body,
    }
}
