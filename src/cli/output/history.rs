//! `floe history`'s report.

use super::pretty;
use crate::state::RevisionMeta;

pub fn to_json(revisions: &[RevisionMeta]) -> String {
    pretty(&revisions)
}

/// A table, newest first; an artifact revision also shows what signature
/// verification found, a failed `--atomic` apply how going back went.
pub fn to_text(revisions: &[RevisionMeta], product: &str, namespace: &str) -> String {
    if revisions.is_empty() {
        return format!("No revisions of {product} in {namespace} yet.\n");
    }
    let mut text = row("REVISION", "TIME", "OUTCOME", "VERSION", "USER", "SOURCE");
    for r in revisions {
        let time: String = r.time.chars().take(19).collect();
        text.push_str(&row(
            &r.number.to_string(),
            &time,
            r.outcome.as_str(),
            &r.product_version,
            &r.user,
            &r.source,
        ));
        if let Some(signature) = &r.signature {
            text.push_str(&format!("{:<9} signature: {signature}\n", ""));
        }
        if let Some(rollback) = &r.rollback {
            text.push_str(&format!("{:<9} rollback: {rollback}\n", ""));
        }
    }
    text
}

/// One warning line per revision record that could not be read.
pub fn unreadable(records: &[String]) -> String {
    records
        .iter()
        .map(|r| format!("warning: revision record {r} (left out)\n"))
        .collect()
}

fn row(number: &str, time: &str, outcome: &str, version: &str, user: &str, source: &str) -> String {
    format!("{number:<9} {time:<21} {outcome:<12} {version:<10} {user:<24} {source}\n")
}
