//! What the artifact use cases report: the verification of a fetched
//! artifact (stderr notes) and `floe artifact verify`'s report.

use crate::oci::VerifyResult;
use crate::oci::{ArtifactKind, Enforcement};
use crate::ops::artifact::{Fetched, VerifyReport};

const RULE: &str = "WARNING: ==================================================================\n";

/// The stderr notes of a fetch: the signature (or a loud warning when it
/// was not verified and the policy only warns), then the digest deployed.
pub fn fetched_notes(fetched: &Fetched) -> String {
    let reference = &fetched.reference;
    let verification = &fetched.verification;
    let mut text = match (&verification.result, verification.enforcement) {
        (VerifyResult::Failed { reason }, enforcement) if enforcement != Enforcement::Enforce => {
            format!(
                "{RULE}WARNING: the signature of {reference} was NOT verified: {reason}\n\
                 WARNING: deploying anyway because enforcement is warn ({})\n{RULE}",
                fetched.policy
            )
        }
        _ => format!("Signature: {}\n", verification.summary()),
    };
    let what = match fetched.pulled.manifest.kind() {
        ArtifactKind::PlatformManifest => "Platform manifest",
        _ => "Artifact",
    };
    text.push_str(&format!(
        "{what} {reference} is {}{}\n",
        fetched.pulled.digest,
        if fetched.pulled.cached {
            " (cached)"
        } else {
            ""
        }
    ));
    text
}

pub fn verify_json(report: &VerifyReport) -> String {
    let mut value = serde_json::to_value(&report.verification).unwrap_or_default();
    value["reference"] = serde_json::Value::String(report.reference.to_string());
    value["policy"] = serde_json::Value::String(report.policy.clone());
    format!("{value}\n")
}

pub fn verify_text(report: &VerifyReport) -> String {
    let mut text = format!(
        "artifact:  {}\ndigest:    {}\npolicy:    {} ({})\n",
        report.reference, report.digest, report.policy, report.environment
    );
    text.push_str(&match &report.verification.result {
        VerifyResult::Verified { method, signer } => {
            format!("verified:  yes, {method}\nsigner:    {signer}\n")
        }
        VerifyResult::Failed { reason } => format!("verified:  NO\nreason:    {reason}\n"),
        VerifyResult::NotChecked => "verified:  not checked\n".to_string(),
    });
    text
}
