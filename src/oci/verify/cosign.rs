//! Cosign signatures made with a key pair, verified with the policy's public
//! key: classic simple-signing layers (the `sha256-<hex>.sig` tag), and the
//! Sigstore bundles cosign 3 attaches as OCI referrers (a DSSE envelope of
//! the `cosign sign` in-toto predicate). Either must name exactly the digest
//! being verified.

use super::error::Refusal;
use crate::oci::error::OciError;
use crate::oci::layout::{sha256_digest, ArtifactManifest};
use crate::oci::reference::ArtifactRef;
use crate::oci::registry::Registry;
use base64::Engine as _;
use oci_client::secrets::RegistryAuth;
use sigstore::cosign::signature_layers::SignatureLayer;
use sigstore::cosign::verification_constraint::{PublicKeyVerifier, VerificationConstraintVec};
use sigstore::cosign::{ClientBuilder, CosignCapabilities};
use sigstore::crypto::CosignVerificationKey;
use sigstore::registry::{Auth, ClientConfig, ClientProtocol, OciReference};

const BUNDLE_MEDIA_PREFIX: &str = "application/vnd.dev.sigstore.bundle";
/// The in-toto predicate of `cosign sign` (cosign 3's bundle format).
const COSIGN_SIGN_PREDICATE: &str = "https://sigstore.dev/cosign/sign/v1";

/// Classic cosign verification: the signature layers attached to `digest`,
/// at least one of which must be signed by `pem` over a simple-signing
/// payload naming exactly this digest; else a cosign 3 bundle signed by it.
/// Ok: (method, signer).
pub(crate) async fn verify_cosign_key(
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
    let verified = || Ok((format!("cosign key {key_source}"), key_source.to_string()));
    let layers = simple_signing_layers(registry, reference, digest).await?;
    if !layers.is_empty() {
        let constraints: VerificationConstraintVec = vec![Box::new(verifier)];
        if sigstore::cosign::verify_constraints(&layers, constraints.iter()).is_ok() {
            return verified();
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
        return verified();
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

/// The simple-signing layers of the `.sig` tag whose payload names this very
/// digest (their signatures not yet checked).
async fn simple_signing_layers(
    registry: &Registry,
    reference: &ArtifactRef,
    digest: &str,
) -> Result<Vec<SignatureLayer>, Refusal> {
    let registry_error = |e: sigstore::errors::SigstoreError| Refusal::Registry(e.to_string());
    let mut client = ClientBuilder::default()
        .with_oci_client_config(sigstore_client_config(registry)?)
        .build()
        .map_err(registry_error)?;
    let pinned: OciReference = reference
        .with_digest(digest)
        .reference
        .whole()
        .parse()
        .map_err(registry_error)?;
    let layers = client
        .trusted_signature_layers(&sigstore_auth(&registry.credentials().auth), &pinned)
        .await
        .map_err(registry_error)?;
    Ok(layers
        .into_iter()
        .filter(|l| l.simple_signing.critical.image.docker_manifest_digest == digest)
        .collect())
}

/// The registry options, for the `sigstore` crate's own registry client.
fn sigstore_client_config(registry: &Registry) -> Result<ClientConfig, Refusal> {
    let options = registry.options();
    Ok(ClientConfig {
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
    })
}

/// The registry credentials, for the `sigstore` crate's own registry client.
fn sigstore_auth(auth: &RegistryAuth) -> Auth {
    match auth {
        RegistryAuth::Anonymous => Auth::Anonymous,
        RegistryAuth::Basic(u, p) => Auth::Basic(u.clone(), p.clone()),
        RegistryAuth::Bearer(t) => Auth::Bearer(t.clone()),
    }
}

/// The Sigstore bundles attached to `digest` as referrers (the referrers
/// API, or the `sha256-<hex>` tag on registries without it).
async fn referrer_bundles(
    registry: &Registry,
    reference: &ArtifactRef,
    digest: &str,
) -> Result<Vec<serde_json::Value>, OciError> {
    let mut bundles = Vec::new();
    for referrer_digest in registry.referrers(reference, digest).await? {
        let Some(manifest) = registry
            .raw_manifest(
                reference,
                &referrer_digest,
                &[oci_client::manifest::OCI_IMAGE_MEDIA_TYPE],
            )
            .await?
        else {
            continue;
        };
        if sha256_digest(&manifest) != referrer_digest {
            continue;
        }
        let Ok(manifest) = serde_json::from_slice::<ArtifactManifest>(&manifest) else {
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
