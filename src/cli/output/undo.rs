//! What `floe undo` says before its plan: which revision it goes back to,
//! as that revision's record describes it.

use crate::state::RevisionMeta;

/// `Going back to revision 3 (succeeded, 2026-01-02T03:04:05, by ...)`.
pub fn target_text(target: &RevisionMeta) -> String {
    let time: String = target.time.chars().take(19).collect();
    let mut text = format!(
        "Going back to revision {} ({}, applied {time} by {}, from {}).\n",
        target.number, target.outcome, target.user, target.source
    );
    if let Some(artifact) = target.artifact_reference() {
        text.push_str(&format!(
            "Its artifact {artifact} was pulled and verified again.\n"
        ));
    }
    text
}

/// The first line of undo's JSON event stream, before the plan event.
pub fn target_event(target: &RevisionMeta) -> String {
    let line = serde_json::json!({
        "event": "undo",
        "revision": target.number,
        "outcome": target.outcome,
        "source": target.source,
        "artifact": target.artifact_reference(),
    });
    format!("{line}\n")
}
