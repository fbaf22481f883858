//! `floe validate`'s report.

use super::{diagnostics, plural, pretty};
use crate::ops::validate::ValidationReport;
use std::path::Path;

pub fn to_json(report: &ValidationReport) -> String {
    pretty(&serde_json::json!({
        "format_version": 1,
        "valid": report.errors() == 0,
        "environment": report.environment.as_str(),
        "error_count": report.errors(),
        "warning_count": report.warnings(),
        "diagnostics": report.diagnostics,
    }))
}

pub fn to_text(report: &ValidationReport, dir: &Path) -> String {
    let (errors, warnings) = (report.errors(), report.warnings());
    let mut text = diagnostics::to_text(&report.diagnostics);
    text.push_str(&match report.objects {
        Some(n) => format!(
            "{} is valid for {}: {n} objects, {warnings} warning{}.\n",
            dir.display(),
            report.environment,
            plural(warnings)
        ),
        None => format!(
            "{errors} error{}, {warnings} warning{}.\n",
            plural(errors),
            plural(warnings)
        ),
    });
    text
}
