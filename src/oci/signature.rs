//! Signature verification of a pulled artifact against the policy: a
//! standard cosign signature made with a key pair (the `sha256-<hex>.sig`
//! tag or an OCI referrer, verified with the policy's public key), or a
//! Sigstore bundle in the `dev.floe.signature.bundle` annotation (verified
//! offline against the trusted root and the identity rules).

use super::bundle::{self, BundleError};
use super::policy::{Enforcement, Policy};
use super::{ArtifactManifest, ArtifactRef, OciError, Registry, SIGNATURE_BUNDLE};
use serde::Serialize;
use sigstore::cosign::verification_constraint::{PublicKeyVerifier, VerificationConstraintVec};
use sigstore::cosign::{ClientBuilder, CosignCapabilities};
use sigstore::crypto::CosignVerificationKey;
use sigstore::registry::{Auth, ClientConfig, ClientProtocol, OciReference};

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

#[derive(Debug, thiserror::Error)]
enum Refusal {
    #[error("it is not signed: no cosign signature for {digest} (tag {}.sig or a referrer) and no {SIGNATURE_BUNDLE} annotation", .digest.replace(':', "-"))]
    Unsigned { digest: String },
    #[error("it carries no {SIGNATURE_BUNDLE} annotation, and the policy ({origin}) trusts only Sigstore bundles (no public_key_ref, so cosign key signatures are not looked for)")]
    NoBundle { origin: String },
    #[error("it is signed, but not with the key in public_key_ref ({key}): {detail}")]
    WrongKey { key: String, detail: String },
    #[error("the Sigstore bundle does not verify: {0}")]
    Bundle(#[source] BundleError),
    #[error("the policy has no way to verify it: {0}")]
    NoMaterial(String),
    #[error("cannot read its signatures: {0}")]
    Registry(String),
    #[error("{0}")]
    Several(String),
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

async fn check(
    registry: &Registry,
    reference: &ArtifactRef,
    digest: &str,
    manifest: &ArtifactManifest,
    policy: &Policy,
) -> Result<(String, String), Refusal> {
    let bundle_annotation = manifest.annotation(SIGNATURE_BUNDLE);
    let bundle_material = match (&policy.trusted_root, policy.trusted_issuers.is_empty()) {
        (Some((_, root)), false) => Some(root),
        _ => None,
    };
    if policy.public_key.is_none() && bundle_material.is_none() {
        return Err(Refusal::NoMaterial(format!(
            "{}; it needs public_key_ref (cosign key) or trusted_root and trusted_issuers (bundle)",
            policy.origin
        )));
    }
    let mut failures: Vec<Refusal> = Vec::new();
    let mut signed = false;
    if let Some((key_source, pem)) = &policy.public_key {
        match cosign_key(registry, reference, digest, key_source, pem).await {
            Ok(found) => return Ok(found),
            Err(Refusal::Unsigned { .. }) => {}
            Err(other) => {
                signed = true;
                failures.push(other);
            }
        }
    }
    if let Some(b64) = bundle_annotation {
        signed = true;
        match bundle_material {
            Some(root) => {
                let payload = bundle::signed_payload(&manifest.layer_triples());
                match bundle::verify_bundle(b64, &payload, root, &policy.trusted_issuers).await {
                    Ok(signer) => {
                        return Ok((
                            "sigstore bundle".into(),
                            format!("{} (issuer {})", signer.subject, signer.issuer),
                        ))
                    }
                    Err(e) => failures.push(Refusal::Bundle(e)),
                }
            }
            None => failures.push(Refusal::NoMaterial(format!(
                "it carries only a Sigstore bundle, and {} sets no trusted_root and trusted_issuers",
                policy.origin
            ))),
        }
    }
    if !signed && policy.public_key.is_none() {
        return Err(Refusal::NoBundle {
            origin: policy.origin.clone(),
        });
    }
    if !signed {
        return Err(Refusal::Unsigned {
            digest: digest.to_string(),
        });
    }
    if failures.len() == 1 {
        return Err(failures.remove(0));
    }
    Err(Refusal::Several(
        failures
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; "),
    ))
}

/// Classic cosign verification: the signature layers attached to `digest`,
/// at least one of which must be signed by `pem` over a simple-signing
/// payload naming exactly this digest.
async fn cosign_key(
    registry: &Registry,
    reference: &ArtifactRef,
    digest: &str,
    key_source: &str,
    pem: &[u8],
) -> Result<(String, String), Refusal> {
    // The policy loader has already checked that this PEM is a public key.
    let unusable = |e: sigstore::errors::SigstoreError| Refusal::WrongKey {
        key: key_source.to_string(),
        detail: format!("the key is not a PEM public key cosign can use: {e}"),
    };
    let key = CosignVerificationKey::try_from_pem(pem).map_err(unusable)?;
    let verifier = PublicKeyVerifier::try_from(pem).map_err(unusable)?;
    let options = registry.options();
    let config = ClientConfig {
        protocol: if options.plain_http {
            ClientProtocol::Http
        } else {
            ClientProtocol::Https
        },
        extra_root_certificates: match &options.ca_file {
            Some(ca) => vec![sigstore::registry::Certificate {
                encoding: sigstore::registry::CertificateEncoding::Pem,
                data: std::fs::read(ca).map_err(|e| Refusal::Registry(e.to_string()))?,
            }],
            None => Vec::new(),
        },
        ..ClientConfig::default()
    };
    let mut client = ClientBuilder::default()
        .with_oci_client_config(config)
        .build()
        .map_err(|e| Refusal::Registry(e.to_string()))?;
    let pinned: OciReference = reference
        .with_digest(digest)
        .reference
        .whole()
        .parse()
        .map_err(|e: sigstore::errors::SigstoreError| Refusal::Registry(e.to_string()))?;
    let auth = match &registry.credentials().auth {
        oci_client::secrets::RegistryAuth::Anonymous => Auth::Anonymous,
        oci_client::secrets::RegistryAuth::Basic(u, p) => Auth::Basic(u.clone(), p.clone()),
        oci_client::secrets::RegistryAuth::Bearer(t) => Auth::Bearer(t.clone()),
    };
    let layers = client
        .trusted_signature_layers(&auth, &pinned)
        .await
        .map_err(|e| Refusal::Registry(e.to_string()))?;
    // Only layers whose payload names this very digest count.
    let layers: Vec<_> = layers
        .into_iter()
        .filter(|l| l.simple_signing.critical.image.docker_manifest_digest == digest)
        .collect();
    if !layers.is_empty() {
        let constraints: VerificationConstraintVec = vec![Box::new(verifier)];
        if sigstore::cosign::verify_constraints(&layers, constraints.iter()).is_ok() {
            return Ok((format!("cosign key {key_source}"), key_source.to_string()));
        }
    }
    // cosign 3 signs into a Sigstore bundle attached as an OCI referrer
    // (the `sha256-<hex>` tag where the registry has no referrers API).
    let bundles = referrer_bundles(registry, reference, digest)
        .await
        .map_err(|e| Refusal::Registry(e.to_string()))?;
    // Attestations made with a key (`cosign attest`) are not signatures.
    let signatures: Vec<CosignSignature> = bundles.iter().filter_map(cosign_signature).collect();
    if signatures.iter().any(|sig| sig.signed_by(&key, digest)) {
        return Ok((format!("cosign key {key_source}"), key_source.to_string()));
    }
    let found = layers.len() + signatures.len();
    if found == 0 {
        return Err(Refusal::Unsigned {
            digest: digest.to_string(),
        });
    }
    Err(Refusal::WrongKey {
        key: key_source.to_string(),
        detail: format!("{found} signature(s) found, none verifies with this key"),
    })
}

const BUNDLE_MEDIA_PREFIX: &str = "application/vnd.dev.sigstore.bundle";
/// The in-toto predicate of `cosign sign` (cosign 3's bundle format).
const COSIGN_SIGN_PREDICATE: &str = "https://sigstore.dev/cosign/sign/v1";

/// The Sigstore bundles attached to `digest` as referrers (the referrers
/// API, or the `sha256-<hex>` tag on registries without it).
async fn referrer_bundles(
    registry: &Registry,
    reference: &ArtifactRef,
    digest: &str,
) -> Result<Vec<serde_json::Value>, OciError> {
    let mut bundles = Vec::new();
    for mdigest in registry.referrers(reference, digest).await? {
        let Some(manifest) = registry
            .raw_manifest(
                reference,
                &mdigest,
                &[oci_client::manifest::OCI_IMAGE_MEDIA_TYPE],
            )
            .await?
        else {
            continue;
        };
        if super::sha256_digest(&manifest) != mdigest {
            continue;
        }
        let Ok(manifest) = serde_json::from_slice::<super::ArtifactManifest>(&manifest) else {
            continue;
        };
        for layer in manifest
            .layers
            .iter()
            .filter(|l| l.media_type.starts_with(BUNDLE_MEDIA_PREFIX))
        {
            let bytes = registry.blob(reference, layer).await?;
            if let Ok(bundle) = serde_json::from_slice(&bytes) {
                bundles.push(bundle);
            }
        }
    }
    Ok(bundles)
}

/// A `cosign sign` signature in a bundle's DSSE envelope (cosign 3): what
/// the signatures cover (the DSSE pre-authentication encoding), the
/// signatures, and the digests the in-toto statement names.
struct CosignSignature {
    signed_bytes: Vec<u8>,
    signatures: Vec<Vec<u8>>,
    subjects: Vec<String>,
}

impl CosignSignature {
    fn signed_by(&self, key: &CosignVerificationKey, digest: &str) -> bool {
        let hex = digest.trim_start_matches("sha256:");
        self.subjects.iter().any(|s| s == hex)
            && self.signatures.iter().any(|sig| {
                key.verify_signature(sigstore::crypto::Signature::Raw(sig), &self.signed_bytes)
                    .is_ok()
            })
    }
}

/// The bundle's signature, when it is one: an in-toto statement of the
/// `cosign sign` predicate, not any other attestation made with the key
/// (`cosign attest` of a scan result, say).
fn cosign_signature(bundle: &serde_json::Value) -> Option<CosignSignature> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let envelope = &bundle["dsseEnvelope"];
    let payload_type = envelope["payloadType"].as_str()?;
    if payload_type != "application/vnd.in-toto+json" {
        return None;
    }
    let payload = b64.decode(envelope["payload"].as_str()?).ok()?;
    let statement: serde_json::Value = serde_json::from_slice(&payload).ok()?;
    if statement["predicateType"].as_str() != Some(COSIGN_SIGN_PREDICATE) {
        return None;
    }
    let subjects = statement["subject"]
        .as_array()?
        .iter()
        .filter_map(|s| s["digest"]["sha256"].as_str().map(str::to_string))
        .collect();
    let signatures = envelope["signatures"]
        .as_array()?
        .iter()
        .filter_map(|s| s["sig"].as_str())
        .filter_map(|s| b64.decode(s).ok())
        .collect();
    // DSSE pre-authentication encoding.
    let mut signed_bytes = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    )
    .into_bytes();
    signed_bytes.extend_from_slice(&payload);
    Some(CosignSignature {
        signed_bytes,
        signatures,
        subjects,
    })
}
