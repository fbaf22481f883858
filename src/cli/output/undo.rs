//! What `floe undo` says before its plan: which revision it goes back to,
//! as that revision's record describes it.

use crate::state::RevisionMeta;

/// `Going back to revision 3 (succeeded, applied 2026-01-02T03:04:05 by
/// ..., from ...)`, and for an artifact's revision what verifying it again
/// found (`signature`).
pub fn target_text(target: &RevisionMeta, signature: Option<&str>) -> String {
    let time: String = target.time.chars().take(19).collect();
    let mut text = format!(
        "Going back to revision {} ({}, applied {time} by {}, from {}).\n",
        target.number, target.outcome, target.user, target.source
    );
    if let (Some(artifact), Some(signature)) = (target.artifact_reference(), signature) {
        text.push_str(&format!(
            "Its artifact {artifact} was pulled again; signature: {signature}\n"
        ));
    }
    text
}

/// The first line of undo's JSON event stream, before the plan event.
pub fn target_event(target: &RevisionMeta, signature: Option<&str>) -> String {
    let line = serde_json::json!({
        "event": "undo",
        "revision": target.number,
        "outcome": target.outcome,
        "source": target.source,
        "artifact": target.artifact_reference(),
        "signature": signature,
    });
    format!("{line}\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::RevisionOutcome;

    #[test]
    fn the_target_is_named_with_what_verifying_its_artifact_found() {
        let mut target = RevisionMeta::sample(3, RevisionOutcome::Succeeded);
        target.source = "dir /p".into();
        let text = target_text(&target, None);
        assert!(
            text.starts_with("Going back to revision 3 (succeeded, applied"),
            "{text}"
        );
        assert!(!text.contains("artifact"), "{text}");

        target.artifact = Some("oci://r/orders@sha256:ab".into());
        let text = target_text(&target, Some("verified sha256:ab (cosign key, signer k)"));
        assert!(
            text.contains("Its artifact oci://r/orders@sha256:ab was pulled again; signature: verified sha256:ab"),
            "{text}"
        );
        let event: serde_json::Value =
            serde_json::from_str(&target_event(&target, Some("verified"))).unwrap();
        assert_eq!(event["event"], "undo");
        assert_eq!(event["revision"], 3);
        assert_eq!(event["artifact"], "oci://r/orders@sha256:ab");
    }
}
