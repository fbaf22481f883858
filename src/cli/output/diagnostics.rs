//! Problems found in a product's files, one line each.

use crate::model::Diagnostic;

/// `error: ...` / `warning: ...` lines.
pub fn to_text(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| format!("{}: {d}\n", severity(d)))
        .collect()
}

fn severity(d: &Diagnostic) -> &'static str {
    if d.is_error() {
        "error"
    } else {
        "warning"
    }
}
