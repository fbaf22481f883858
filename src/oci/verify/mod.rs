//! Signature verification of a pulled artifact against the policy, offline
//! but for reading the signatures attached in the registry. Two ways:
//! - a cosign signature made with a key pair ([`cosign`]), verified with the
//!   policy's `public_key_ref`;
//! - a keyless Sigstore bundle in the `dev.floe.signature.bundle` annotation
//!   ([`bundle`]), verified against the policy's trusted root
//!   ([`trust_root`]), transparency log ([`tlog`]) and identity rules
//!   ([`identity`]).
//!
//! The verdict ([`Verification`]) is recorded in the revision; whether a
//! failure stops the deploy is the policy's enforcement.

mod bundle;
mod cosign;
mod der;
mod error;
mod identity;
mod protobuf_json;
mod time;
mod tlog;
mod trust_root;

pub use bundle::{signed_payload, verify_bundle};
pub use error::BundleError;
pub use identity::BundleSigner;

use super::layout::{ArtifactManifest, SIGNATURE_BUNDLE};
use super::policy::{Enforcement, Policy};
use super::reference::ArtifactRef;
use super::registry::Registry;
use error::Refusal;
use serde::Serialize;

/// What was checked and what came of it; recorded in the revision.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Verification {
    pub digest: String,
    pub enforcement: Enforcement,
    #[serde(flatten)]
    pub result: VerifyResult,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum VerifyResult {
    /// `method`: "cosign key FILE" or "sigstore bundle"; `signer`: the key
    /// file or the certificate identity.
    Verified { method: String, signer: String },
    /// Not verified; `reason` says why (unsigned, wrong key, ...).
    Failed { reason: String },
    /// Enforcement is off.
    NotChecked,
}

impl Verification {
    /// Whether the deploy may go on.
    pub fn allows_deploy(&self) -> bool {
        !matches!(
            (&self.result, self.enforcement),
            (VerifyResult::Failed { .. }, Enforcement::Enforce)
        )
    }

    /// One line for the revision record and the terminal.
    pub fn summary(&self) -> String {
        match &self.result {
            VerifyResult::Verified { method, signer } => {
                format!("verified {} ({method}, signer {signer})", self.digest)
            }
            VerifyResult::Failed { reason } => format!(
                "NOT VERIFIED {} (enforcement {}): {reason}",
                self.digest,
                self.enforcement.as_str()
            ),
            VerifyResult::NotChecked => format!("not checked {} (enforcement off)", self.digest),
        }
    }
}

/// Verifies `digest` (the manifest already pulled as `manifest`).
pub async fn verify(
    registry: &Registry,
    reference: &ArtifactRef,
    digest: &str,
    manifest: &ArtifactManifest,
    policy: &Policy,
) -> Verification {
    let result = if policy.enforcement == Enforcement::Off {
        VerifyResult::NotChecked
    } else {
        match check(registry, reference, digest, manifest, policy).await {
            Ok((method, signer)) => VerifyResult::Verified { method, signer },
            Err(reason) => VerifyResult::Failed {
                reason: reason.to_string(),
            },
        }
    };
    Verification {
        digest: digest.to_string(),
        enforcement: policy.enforcement,
        result,
    }
}

/// Tries the cosign key, then the bundle; Ok: (method, signer).
async fn check(
    registry: &Registry,
    reference: &ArtifactRef,
    digest: &str,
    manifest: &ArtifactManifest,
    policy: &Policy,
) -> Result<(String, String), Refusal> {
    let trusted_root = match (&policy.trusted_root, policy.trusted_issuers.is_empty()) {
        (Some((_, root)), false) => Some(root.as_slice()),
        _ => None,
    };
    if policy.public_key.is_none() && trusted_root.is_none() {
        return Err(Refusal::NoMaterial(format!(
            "{}; it needs public_key_ref (cosign key) or trusted_root and trusted_issuers (bundle)",
            policy.origin
        )));
    }
    let mut failures: Vec<Refusal> = Vec::new();
    if let Some((key_source, pem)) = &policy.public_key {
        match cosign::verify_cosign_key(registry, reference, digest, key_source, pem).await {
            Ok(found) => return Ok(found),
            Err(Refusal::Unsigned { .. }) => {}
            Err(other) => failures.push(other),
        }
    }
    if let Some(bundle) = manifest.annotation(SIGNATURE_BUNDLE) {
        match check_bundle(bundle, manifest, trusted_root, policy).await {
            Ok(found) => return Ok(found),
            Err(refusal) => failures.push(refusal),
        }
    }
    Err(refusal(failures, digest, policy))
}

/// The annotation's bundle, when the policy can verify one.
async fn check_bundle(
    bundle: &str,
    manifest: &ArtifactManifest,
    trusted_root: Option<&[u8]>,
    policy: &Policy,
) -> Result<(String, String), Refusal> {
    let root = trusted_root.ok_or_else(|| {
        Refusal::NoMaterial(format!(
            "it carries only a Sigstore bundle, and {} sets no trusted_root and trusted_issuers",
            policy.origin
        ))
    })?;
    let payload = signed_payload(&manifest.layer_triples());
    let signer = verify_bundle(bundle, &payload, root, &policy.trusted_issuers)
        .await
        .map_err(Refusal::Bundle)?;
    Ok((
        "sigstore bundle".into(),
        format!("{} (issuer {})", signer.subject, signer.issuer),
    ))
}

/// Why nothing verified: unsigned (as far as the policy looks), the one
/// failure, or all of them.
fn refusal(mut failures: Vec<Refusal>, digest: &str, policy: &Policy) -> Refusal {
    match failures.len() {
        0 if policy.public_key.is_none() => Refusal::NoBundle {
            origin: policy.origin.clone(),
        },
        0 => Refusal::Unsigned {
            digest: digest.to_string(),
        },
        1 => failures.remove(0),
        _ => Refusal::Several(
            failures
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        ),
    }
}
