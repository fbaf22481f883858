//! `floe status`'s report.

use super::pretty;
use crate::ops::status::StatusReport;

pub fn to_json(report: &StatusReport) -> String {
    pretty(&serde_json::json!({
        "namespace": report.namespace,
        "healthy": report.healthy(),
        "objects": report.objects,
    }))
}

pub fn to_text(report: &StatusReport) -> String {
    let width = report
        .objects
        .iter()
        .map(|o| o.object.len())
        .max()
        .unwrap_or(6)
        .max(6);
    let mut text = format!(
        "{} {} in namespace {}\n\n{:<width$}  {:<12} {}\n",
        report.product, report.environment, report.namespace, "OBJECT", "STATUS", "MESSAGE"
    );
    for o in &report.objects {
        text.push_str(&format!(
            "{:<width$}  {:<12} {}\n",
            o.object,
            o.status.as_str(),
            o.message
        ));
    }
    text
}
