//! Offline verification of a Sigstore bundle carried in the artifact's
//! `dev.floe.signature.bundle` annotation (owned by the bundle helper).
//!
//! A bundle made by a keyless signer (cosign, sigstore-python, the floe platform's
//! signing step) holds a short-lived Fulcio certificate, a signature over the
//! artifact and one Rekor transparency-log entry. [`verify_bundle`] checks it against
//! a Sigstore `trusted_root.json` and the identity policy
//! (`artifacts.verification.trusted_issuers`), without any network access.
//!
//! # What is verified
//!
//! By the `sigstore` crate (0.14, `bundle::verify::Verifier::verify_digest`, offline):
//! - the leaf certificate chains to a CA certificate of the trusted root
//!   (`certificateAuthorities`; every certificate of a chain is a trust anchor), for
//!   code signing, checked at the certificate's own `notBefore`;
//! - the certificate's embedded SCT is signed by a CT log of the trusted root
//!   (`ctlogs`);
//! - the signature is valid for the payload, under the certificate's key — a layer
//!   changed after signing fails here;
//! - the tlog entry's `canonicalizedBody` is the hashedrekord of exactly this
//!   signature, certificate and payload digest;
//! - the log's `integratedTime` lies within the certificate's validity.
//!
//! Here, because sigstore-rs 0.14 leaves them as TODOs (`verifier.rs`: "Merkle
//! inclusion; sigstore-rs#285", "SET verification; sigstore-rs#285"):
//! - the signed entry timestamp (inclusion promise, SET): ECDSA by the Rekor key of the
//!   trusted root named by the entry's `logId` over the canonical JSON of `{body,
//!   integratedTime, logID, logIndex}`; it is required, because without it the
//!   integrated time the validity check relies on is unauthenticated; the key's
//!   `validFor` must cover the integrated time;
//! - the inclusion proof, when the bundle has one (v0.2/v0.3 bundles must, with a
//!   checkpoint): the RFC 6962 audit path from the entry's leaf hash to the proof's root
//!   hash, and the checkpoint (a signed note) signed by the same Rekor key (key hint =
//!   the first 4 bytes of its log id), for the same tree size and root hash;
//! - the identity: the OIDC issuer extension (1.3.6.1.4.1.57264.1.8, else the legacy
//!   .1.1) and the subject alternative name (e-mail, URI or Sigstore other-name)
//!   against the [`IdentityRule`]s. The crate's own `VerificationPolicy` trait cannot be
//!   implemented outside it without a direct `x509-cert` dependency (its argument type),
//!   so the crate gets an always-passing policy and the certificate is read here.
//!   (The crate's own policies would not do anyway: `policy::Identity` reads only the
//!   legacy issuer extension .1.1, and `policy::AnyOf` fails when *any* child fails.)
//!   The entry's log must also be a `tlogs` key of the trusted root (the crate does
//!   not look at `logId`).
//!
//! # What is not verified
//! - the checkpoint is not compared with a fresher one from the log (offline: no
//!   consistency proof, no witness), so a log that forked its tree is not detected;
//! - `validFor` of the certificate authorities is not checked (only that of the Rekor
//!   key); CT log `validFor` neither;
//! - RFC 3161 timestamps (`timestampVerificationData`) are ignored;
//! - DSSE (attestation) bundles are refused: floe signs its payload directly
//!   (`messageSignature`).
//!
//! Test fixtures: `fixtures/signing/`, made by `scripts/gen-test-bundles.py` (a fake
//! Fulcio, CT log and Rekor), plus a real public-good Rekor entry and trusted root in
//! `fixtures/signing/public-good/`.

use super::error_chain;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use sigstore::bundle::verify::policy::AnyOf;
use sigstore::bundle::verify::{VerificationError, VerificationPolicy, Verifier};
use sigstore::bundle::Bundle;
use sigstore::crypto::{CosignVerificationKey, Signature};
use sigstore::trust::ManualTrustRoot;
use std::collections::BTreeMap;

/// One accepted signer identity (manifest `artifacts.verification.trusted_issuers[]`).
///
/// A certificate matches when its OIDC issuer equals `issuer` and one of its subject
/// alternative names equals `subject` and/or matches `subject_regex` (anchored: the
/// whole name must match). A rule needs `subject` or `subject_regex`; with both, the
/// name must satisfy both.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize, PartialEq)]
pub struct IdentityRule {
    pub issuer: String,
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub subject_regex: Option<String>,
}

/// Who signed, as the certificate says.
#[derive(Debug, Clone, PartialEq)]
pub struct BundleSigner {
    /// The OIDC issuer that vouched for the signer.
    pub issuer: String,
    /// The signer: the certificate's e-mail or URI subject alternative name.
    pub subject: String,
}

/// Why a bundle is refused. Each message stands on its own for a user.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("the signature bundle is neither base64 nor JSON: {0}")]
    NotBase64(String),
    #[error("the signature bundle is not a Sigstore bundle: {0}")]
    NotABundle(String),
    #[error("the Sigstore bundle is unusable: {0}")]
    Unsupported(String),
    #[error("the trusted root is unusable: {0}")]
    TrustedRoot(String),
    #[error("no trusted identities are configured (trusted_issuers is empty), so no Sigstore bundle can be accepted")]
    NoRules,
    #[error("trusted_issuers[{index}] (issuer {issuer:?}) {message}")]
    InvalidRule {
        index: usize,
        issuer: String,
        message: String,
    },
    #[error("the signing certificate in the bundle is malformed: {0}")]
    CertificateMalformed(String),
    #[error("the signing certificate was not issued by a certificate authority of the trusted root ({0})")]
    UntrustedCertificate(String),
    #[error("the signing certificate has no valid Certificate Transparency timestamp (SCT) from a CT log of the trusted root ({0})")]
    InvalidSct(String),
    #[error("the signature does not match the artifact: its layers were changed after signing (or the bundle was made for other content)")]
    SignatureMismatch,
    #[error("the signing certificate was not valid when the signature was entered in the transparency log (integrated time {0})")]
    CertificateExpired(String),
    #[error("the bundle has no transparency log entry for this signature: {0}")]
    TlogInconsistent(String),
    #[error(
        "the transparency log's signed entry timestamp (inclusion promise) does not verify: {0}"
    )]
    InvalidSet(String),
    #[error("the transparency log inclusion proof does not verify: {0}")]
    InvalidInclusionProof(String),
    #[error("the signing certificate does not say who signed: {0}")]
    NoIdentity(String),
    #[error("the signer {subject} (OIDC issuer {issuer}) is not a trusted identity; trusted_issuers allows: {rules}")]
    IdentityNotAllowed {
        issuer: String,
        subject: String,
        rules: String,
    },
    #[error("verification failed: {0}")]
    Other(String),
}

/// The bytes a bundle signs for a floe artifact: the compact JSON array of the
/// manifest's layer descriptors in manifest order, each exactly
/// `{"mediaType","digest","size"}` in that key order. Changing any layer changes this
/// payload.
pub fn signed_payload(layers: &[(String, String, u64)]) -> Vec<u8> {
    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Layer<'a> {
        media_type: &'a str,
        digest: &'a str,
        size: u64,
    }
    let layers: Vec<Layer> = layers
        .iter()
        .map(|(media_type, digest, size)| Layer {
            media_type,
            digest,
            size: *size,
        })
        .collect();
    serde_json::to_vec(&layers).expect("layer descriptors serialise")
}

/// Verifies a Sigstore bundle offline (see the module documentation for what is and
/// is not checked).
///
/// `bundle_b64`: the annotation value (base64 of the bundle JSON, standard alphabet;
/// raw JSON starting with '{' is accepted too). `payload`: the exact signed bytes
/// ([`signed_payload`] of the artifact's layers). `trusted_root_json`: a Sigstore
/// `trusted_root.json` (`application/vnd.dev.sigstore.trustedroot+json;version=0.1`).
pub async fn verify_bundle(
    bundle_b64: &str,
    payload: &[u8],
    trusted_root_json: &[u8],
    rules: &[IdentityRule],
) -> Result<BundleSigner, BundleError> {
    let rules = compile_rules(rules)?;
    let json = decode_annotation(bundle_b64)?;
    let (bundle, parsed) = parse_bundle(&json)?;
    let root = TrustRoot::parse(trusted_root_json)?;

    crate_verify(bundle, payload, &root)
        .await?
        .map_err(|e| map_crate_error(e, &parsed))?;

    let key = root.rekor_key(&parsed.tlog)?;
    verify_set(&parsed.tlog, &key)?;
    if let Some(proof) = &parsed.tlog.inclusion_proof {
        verify_inclusion_proof(&parsed.tlog, proof, &key)?;
    }

    let identity = CertIdentity::parse(&parsed.certificate)
        .ok_or_else(|| BundleError::CertificateMalformed("cannot read its extensions".into()))?;
    identity.check(&rules)
}

/// The `sigstore` crate's offline verification (chain, SCT, signature, log entry
/// consistency, validity at the integrated time), with an always-passing policy: the
/// identity is checked by [`CertIdentity::check`].
async fn crate_verify(
    bundle: Bundle,
    payload: &[u8],
    root: &TrustRoot,
) -> Result<Result<(), VerificationError>, BundleError> {
    let verifier = Verifier::new(Default::default(), root.manual())
        .map_err(|e| BundleError::TrustedRoot(error_chain(&e)))?;
    // `AnyOf` of nothing passes (and would fail, not pass, if the crate changed it to
    // mean "at least one of").
    let accept_all = AnyOf::new(Vec::<&dyn VerificationPolicy>::new());
    Ok(verifier
        .verify_digest(Sha256::new_with_prefix(payload), bundle, &accept_all, true)
        .await)
}

// ---------------------------------------------------------------------------
// Identity rules

struct CompiledRule {
    issuer: String,
    subject: Option<String>,
    regex: Option<(String, regex::Regex)>,
}

impl CompiledRule {
    fn matches(&self, issuer: &str, name: &str) -> bool {
        self.issuer == issuer
            && self.subject.as_deref().is_none_or(|s| s == name)
            && self.regex.as_ref().is_none_or(|(_, re)| re.is_match(name))
    }

    fn describe(&self) -> String {
        let mut text = format!("issuer {}", self.issuer);
        if let Some(s) = &self.subject {
            text.push_str(&format!(" with subject {s}"));
        }
        if let Some((re, _)) = &self.regex {
            let joint = if self.subject.is_some() {
                " and"
            } else {
                " with"
            };
            text.push_str(&format!("{joint} subject matching {re:?}"));
        }
        text
    }
}

fn compile_rules(rules: &[IdentityRule]) -> Result<Vec<CompiledRule>, BundleError> {
    if rules.is_empty() {
        return Err(BundleError::NoRules);
    }
    rules
        .iter()
        .enumerate()
        .map(|(index, rule)| {
            let invalid = |message: String| BundleError::InvalidRule {
                index,
                issuer: rule.issuer.clone(),
                message,
            };
            if rule.issuer.trim().is_empty() {
                return Err(invalid("has an empty issuer".into()));
            }
            if rule.subject.is_none() && rule.subject_regex.is_none() {
                return Err(invalid(
                    "needs `subject` or `subject_regex`: an issuer alone would accept anyone it vouches for".into(),
                ));
            }
            let regex = match &rule.subject_regex {
                None => None,
                Some(re) => {
                    let compiled = regex::Regex::new(&format!("^(?:{re})$")).map_err(|e| {
                        invalid(format!("has a subject_regex {re:?} that is not a valid regular expression: {e}"))
                    })?;
                    Some((re.clone(), compiled))
                }
            };
            Ok(CompiledRule {
                issuer: rule.issuer.clone(),
                subject: rule.subject.clone(),
                regex,
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------
// The bundle

/// The annotation value: base64 of the bundle JSON, or the JSON itself.
fn decode_annotation(value: &str) -> Result<Vec<u8>, BundleError> {
    let trimmed = value.trim();
    if trimmed.starts_with('{') {
        return Ok(trimmed.as_bytes().to_vec());
    }
    if trimmed.is_empty() {
        return Err(BundleError::NotBase64("it is empty".into()));
    }
    let compact: String = trimmed
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    BASE64.decode(compact.as_bytes()).map_err(|e| {
        use base64::DecodeError as E;
        BundleError::NotBase64(match e {
            E::InvalidByte(_, b'=') => "its padding is wrong".into(),
            E::InvalidByte(_, b) if b.is_ascii_graphic() => {
                format!("{:?} is not a base64 character", b as char)
            }
            E::InvalidByte(_, b) => format!("byte 0x{b:02x} is not a base64 character"),
            E::InvalidLength(n) => format!("{n} base64 characters cannot be whole bytes"),
            E::InvalidLastSymbol(_, _) | E::InvalidPadding => "its padding is wrong".into(),
        })
    })
}

/// What verification needs from the bundle beyond the crate's checks, read from the
/// same JSON the crate parses.
struct ParsedBundle {
    certificate: Vec<u8>,
    tlog: TlogEntry,
}

struct TlogEntry {
    log_index: i64,
    log_id: Vec<u8>,
    integrated_time: i64,
    body: Vec<u8>,
    set: Option<Vec<u8>>,
    inclusion_proof: Option<InclusionProof>,
}

struct InclusionProof {
    log_index: i64,
    tree_size: i64,
    root_hash: Vec<u8>,
    hashes: Vec<Vec<u8>>,
    checkpoint: Option<String>,
}

const MEDIA_TYPES: [&str; 3] = [
    "application/vnd.dev.sigstore.bundle+json;version=0.1",
    "application/vnd.dev.sigstore.bundle+json;version=0.2",
    "application/vnd.dev.sigstore.bundle.v0.3+json",
];

fn parse_bundle(json: &[u8]) -> Result<(Bundle, ParsedBundle), BundleError> {
    let not = |m: &str| BundleError::NotABundle(m.to_string());
    let value: serde_json::Value = serde_json::from_slice(json)
        .map_err(|e| BundleError::NotABundle(format!("not JSON ({e})")))?;
    let object = value.as_object().ok_or_else(|| not("not a JSON object"))?;
    let media_type = object
        .get("mediaType")
        .and_then(|v| v.as_str())
        .ok_or_else(|| not("it has no mediaType"))?;
    if !MEDIA_TYPES.contains(&media_type) {
        if media_type.starts_with("application/vnd.dev.sigstore.bundle") {
            return Err(BundleError::Unsupported(format!(
                "bundle version {media_type:?} is not supported (supported: {})",
                MEDIA_TYPES.join(", ")
            )));
        }
        return Err(BundleError::NotABundle(format!(
            "its mediaType is {media_type:?}"
        )));
    }
    if object.contains_key("dsseEnvelope") {
        return Err(BundleError::Unsupported(
            "it holds a DSSE attestation, not a signature of the artifact (messageSignature)"
                .into(),
        ));
    }
    let bundle: Bundle = serde_json::from_value(value.clone())
        .map_err(|e| BundleError::NotABundle(e.to_string()))?;
    Ok((bundle, parsed_parts(&value)?))
}

/// The signing certificate and the log entry, from the bundle JSON.
fn parsed_parts(value: &serde_json::Value) -> Result<ParsedBundle, BundleError> {
    let unusable = |m: &str| BundleError::Unsupported(m.to_string());
    let material = value
        .get("verificationMaterial")
        .ok_or_else(|| unusable("it has no verificationMaterial"))?;
    let certificate = material
        .pointer("/certificate/rawBytes")
        .or_else(|| material.pointer("/x509CertificateChain/certificates/0/rawBytes"))
        .and_then(|v| v.as_str())
        .ok_or_else(|| {
            unusable("it has no signing certificate (keyless bundles only; a public-key bundle is verified as a cosign key signature)")
        })?;
    let certificate = b64_field(certificate, "certificate rawBytes")?;
    let entries = material
        .get("tlogEntries")
        .and_then(|v| v.as_array())
        .map(Vec::as_slice)
        .unwrap_or_default();
    let [entry] = entries else {
        return Err(BundleError::Unsupported(format!(
            "it must have exactly one transparency log entry, it has {}",
            entries.len()
        )));
    };
    let tlog = TlogEntry::parse(entry)?;
    Ok(ParsedBundle { certificate, tlog })
}

fn b64_field(value: &str, what: &str) -> Result<Vec<u8>, BundleError> {
    BASE64
        .decode(value)
        .map_err(|e| BundleError::NotABundle(format!("{what} is not base64 ({e})")))
}

/// An int64 in protobuf JSON: a string of digits or a number; absent is 0.
fn int_field(value: &serde_json::Value, pointer: &str) -> Result<i64, BundleError> {
    match value.pointer(pointer) {
        None => Some(0),
        Some(serde_json::Value::Number(n)) => n.as_i64(),
        Some(serde_json::Value::String(s)) => s.parse().ok(),
        Some(_) => None,
    }
    .ok_or_else(|| BundleError::NotABundle(format!("{pointer} is not an integer")))
}

impl TlogEntry {
    fn parse(entry: &serde_json::Value) -> Result<Self, BundleError> {
        let string = |pointer: &str| entry.pointer(pointer).and_then(|v| v.as_str());
        let bytes = |pointer: &str| -> Result<Option<Vec<u8>>, BundleError> {
            string(pointer).map(|s| b64_field(s, pointer)).transpose()
        };
        let inclusion_proof = match entry.get("inclusionProof") {
            None | Some(serde_json::Value::Null) => None,
            Some(proof) => Some(InclusionProof {
                log_index: int_field(proof, "/logIndex")?,
                tree_size: int_field(proof, "/treeSize")?,
                root_hash: bytes("/inclusionProof/rootHash")?.unwrap_or_default(),
                hashes: proof
                    .get("hashes")
                    .and_then(|v| v.as_array())
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                    .iter()
                    .map(|h| {
                        h.as_str()
                            .ok_or_else(|| {
                                BundleError::NotABundle(
                                    "an inclusion proof hash is not a string".into(),
                                )
                            })
                            .and_then(|s| b64_field(s, "inclusion proof hash"))
                    })
                    .collect::<Result<_, _>>()?,
                checkpoint: proof
                    .pointer("/checkpoint/envelope")
                    .and_then(|v| v.as_str())
                    .map(str::to_string),
            }),
        };
        Ok(TlogEntry {
            log_index: int_field(entry, "/logIndex")?,
            log_id: bytes("/logId/keyId")?.unwrap_or_default(),
            integrated_time: int_field(entry, "/integratedTime")?,
            body: bytes("/canonicalizedBody")?.unwrap_or_default(),
            set: bytes("/inclusionPromise/signedEntryTimestamp")?,
            inclusion_proof,
        })
    }
}

/// The crate's error, as one of ours. Its inner error kinds are not exported, so the
/// kind is told by its message (pinned by the tests below).
fn map_crate_error(error: VerificationError, parsed: &ParsedBundle) -> BundleError {
    match &error {
        VerificationError::Bundle(_) => BundleError::Unsupported(error_chain(&error)),
        VerificationError::Certificate(kind) => match kind.to_string().as_str() {
            "certificate expired before time of signing" => {
                BundleError::CertificateExpired(unix_to_rfc3339(parsed.tlog.integrated_time))
            }
            "certificate SCT verification failed" => BundleError::InvalidSct(causes(kind)),
            "certificate verification failed" => BundleError::UntrustedCertificate(causes(kind)),
            _ => BundleError::CertificateMalformed(error_chain(&error)),
        },
        VerificationError::Signature(kind) => match kind.to_string().as_str() {
            "signature verification failed" => BundleError::SignatureMismatch,
            "signature transparency materials are inconsistent" => BundleError::TlogInconsistent(
                "its canonicalized body does not record this signature, certificate and artifact digest".into(),
            ),
            _ => BundleError::Unsupported(error_chain(&error)),
        },
        _ => BundleError::Other(error_chain(&error)),
    }
}

/// The causes of an error, without its own message ("UnknownIssuer", ...).
fn causes(e: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !parts.contains(&text) {
            parts.push(text);
        }
        cause = c.source();
    }
    parts.join(": ")
}

// ---------------------------------------------------------------------------
// The trusted root

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TrustedRootJson {
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    tlogs: Vec<LogJson>,
    #[serde(default)]
    certificate_authorities: Vec<CaJson>,
    #[serde(default)]
    ctlogs: Vec<LogJson>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LogJson {
    #[serde(default)]
    base_url: Option<String>,
    public_key: PublicKeyJson,
    #[serde(default)]
    log_id: Option<LogIdJson>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PublicKeyJson {
    raw_bytes: String,
    #[serde(default)]
    valid_for: Option<ValidForJson>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LogIdJson {
    key_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ValidForJson {
    #[serde(default)]
    start: Option<String>,
    #[serde(default)]
    end: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CaJson {
    cert_chain: CertChainJson,
}

#[derive(Deserialize)]
struct CertChainJson {
    certificates: Vec<RawBytesJson>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawBytesJson {
    raw_bytes: String,
}

/// A log key of the trusted root.
#[derive(Clone)]
struct LogKey {
    name: String,
    id: Vec<u8>,
    spki: Vec<u8>,
    /// Unix seconds, inclusive.
    valid_from: Option<i64>,
    valid_until: Option<i64>,
}

struct TrustRoot {
    fulcio_certs: Vec<Vec<u8>>,
    rekor: Vec<LogKey>,
    ctlogs: Vec<LogKey>,
}

impl TrustRoot {
    fn parse(json: &[u8]) -> Result<Self, BundleError> {
        let bad = |m: String| BundleError::TrustedRoot(m);
        let root: TrustedRootJson = serde_json::from_slice(json)
            .map_err(|e| bad(format!("it is not a Sigstore trusted_root.json ({e})")))?;
        if let Some(mt) = &root.media_type {
            if !mt.starts_with("application/vnd.dev.sigstore.trustedroot") {
                return Err(bad(format!(
                    "its mediaType is {mt:?}, not application/vnd.dev.sigstore.trustedroot+json;version=0.1"
                )));
            }
        }
        let decode = |s: &str, what: &str| {
            BASE64
                .decode(s)
                .map_err(|e| bad(format!("{what} is not base64 ({e})")))
        };
        let mut fulcio_certs = Vec::new();
        for (i, ca) in root.certificate_authorities.iter().enumerate() {
            for (j, cert) in ca.cert_chain.certificates.iter().enumerate() {
                fulcio_certs.push(decode(
                    &cert.raw_bytes,
                    &format!("certificateAuthorities[{i}].certChain.certificates[{j}].rawBytes"),
                )?);
            }
        }
        let logs = |logs: &[LogJson], field: &str| -> Result<Vec<LogKey>, BundleError> {
            logs.iter()
                .enumerate()
                .map(|(i, log)| {
                    let spki =
                        decode(&log.public_key.raw_bytes, &format!("{field}[{i}].publicKey.rawBytes"))?;
                    let id = match &log.log_id {
                        Some(id) => decode(&id.key_id, &format!("{field}[{i}].logId.keyId"))?,
                        None => Sha256::digest(&spki).to_vec(),
                    };
                    let time = |t: &Option<String>, what: &str| {
                        t.as_deref()
                            .map(|t| {
                                rfc3339_to_unix(t).ok_or_else(|| {
                                    bad(format!("{field}[{i}].publicKey.validFor.{what} {t:?} is not an RFC 3339 time"))
                                })
                            })
                            .transpose()
                    };
                    let valid = log.public_key.valid_for.as_ref();
                    Ok(LogKey {
                        name: log
                            .base_url
                            .clone()
                            .unwrap_or_else(|| format!("{field}[{i}]")),
                        id,
                        spki,
                        valid_from: time(&valid.and_then(|v| v.start.clone()), "start")?,
                        valid_until: time(&valid.and_then(|v| v.end.clone()), "end")?,
                    })
                })
                .collect()
        };
        let rekor = logs(&root.tlogs, "tlogs")?;
        let ctlogs = logs(&root.ctlogs, "ctlogs")?;
        for (list, what) in [
            (
                fulcio_certs.is_empty(),
                "certificate authority (certificateAuthorities)",
            ),
            (rekor.is_empty(), "transparency log (tlogs)"),
            (ctlogs.is_empty(), "CT log (ctlogs)"),
        ] {
            if list {
                return Err(bad(format!("it names no {what}")));
            }
        }
        Ok(TrustRoot {
            fulcio_certs,
            rekor,
            ctlogs,
        })
    }

    fn manual(&self) -> ManualTrustRoot<'static> {
        let keys = |logs: &[LogKey]| -> BTreeMap<String, Vec<u8>> {
            logs.iter()
                .map(|k| (hex::encode(&k.id), k.spki.clone()))
                .collect()
        };
        ManualTrustRoot {
            fulcio_certs: self.fulcio_certs.iter().cloned().map(Into::into).collect(),
            rekor_keys: keys(&self.rekor),
            ctfe_keys: keys(&self.ctlogs),
        }
    }

    /// The Rekor key the entry names, valid at its integrated time.
    fn rekor_key(&self, entry: &TlogEntry) -> Result<LogKey, BundleError> {
        let key = self
            .rekor
            .iter()
            .find(|k| k.id == entry.log_id)
            .ok_or_else(|| {
                BundleError::InvalidSet(format!(
                    "the entry is from transparency log {}, which is not in the trusted root",
                    hex::encode(&entry.log_id)
                ))
            })?;
        let t = entry.integrated_time;
        if key.valid_from.is_some_and(|s| t < s) || key.valid_until.is_some_and(|e| t > e) {
            return Err(BundleError::InvalidSet(format!(
                "the trusted root's key for {} was not valid at the integrated time {}",
                key.name,
                unix_to_rfc3339(t)
            )));
        }
        Ok(key.clone())
    }
}

// ---------------------------------------------------------------------------
// Transparency log: SET, inclusion proof, checkpoint

fn verify_set(entry: &TlogEntry, key: &LogKey) -> Result<(), BundleError> {
    let set = entry.set.as_ref().ok_or_else(|| {
        BundleError::InvalidSet(
            "the bundle has none, so the time of signing is not attested".into(),
        )
    })?;
    // Rekor signs the canonical (RFC 8785) JSON of these four fields; the values have
    // nothing to escape, so the keys in sorted order are all there is to it.
    let payload = format!(
        r#"{{"body":"{}","integratedTime":{},"logID":"{}","logIndex":{}}}"#,
        BASE64.encode(&entry.body),
        entry.integrated_time,
        hex::encode(&entry.log_id),
        entry.log_index
    );
    verify_with(key, set, payload.as_bytes()).map_err(|_| {
        BundleError::InvalidSet(format!(
            "it is not {}'s signature of this entry (log index {}, integrated time {})",
            key.name,
            entry.log_index,
            unix_to_rfc3339(entry.integrated_time)
        ))
    })
}

fn verify_with(key: &LogKey, signature: &[u8], message: &[u8]) -> Result<(), ()> {
    let key = CosignVerificationKey::try_from_der(&key.spki).map_err(|_| ())?;
    key.verify_signature(Signature::Raw(signature), message)
        .map_err(|_| ())
}

fn hash_children(left: &[u8], right: &[u8]) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().to_vec()
}

/// RFC 9162 section 2.1.3.2: the root hash an audit path leads to from a leaf.
fn root_from_inclusion_proof(
    index: u64,
    size: u64,
    leaf_hash: &[u8],
    path: &[Vec<u8>],
) -> Option<Vec<u8>> {
    if index >= size {
        return None;
    }
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = leaf_hash.to_vec();
    for p in path {
        if sn == 0 {
            return None;
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = hash_children(p, &r);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            r = hash_children(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    (sn == 0).then_some(r)
}

fn verify_inclusion_proof(
    entry: &TlogEntry,
    proof: &InclusionProof,
    key: &LogKey,
) -> Result<(), BundleError> {
    let bad = |m: String| BundleError::InvalidInclusionProof(m);
    let leaf = {
        let mut h = Sha256::new();
        h.update([0u8]);
        h.update(&entry.body);
        h.finalize().to_vec()
    };
    let (Ok(index), Ok(size)) = (
        u64::try_from(proof.log_index),
        u64::try_from(proof.tree_size),
    ) else {
        return Err(bad("its log index or tree size is negative".into()));
    };
    match root_from_inclusion_proof(index, size, &leaf, &proof.hashes) {
        Some(root) if root == proof.root_hash => {}
        _ => {
            return Err(bad(format!(
                "the entry at index {index} of a tree of {size} does not hash up to the proof's root hash"
            )))
        }
    }
    // v0.2+ bundles must have a checkpoint (the crate checks); a v0.1 bundle may lack
    // one, and then its SET is the log's only signed word on the entry.
    let Some(envelope) = &proof.checkpoint else {
        return Ok(());
    };
    let checkpoint = Checkpoint::parse(envelope)
        .ok_or_else(|| bad("its checkpoint is not a signed note".into()))?;
    if checkpoint.size != size || checkpoint.root_hash != proof.root_hash {
        return Err(bad(format!(
            "its checkpoint is for a tree of {} with another root hash, not the proof's tree of {size}",
            checkpoint.size
        )));
    }
    let hint = key.id.get(..4).unwrap_or_default();
    let signed = checkpoint.signatures.iter().any(|(_, sig)| {
        sig.len() > 4
            && &sig[..4] == hint
            && verify_with(key, &sig[4..], checkpoint.note.as_bytes()).is_ok()
    });
    if !signed {
        return Err(bad(format!(
            "its checkpoint is not signed by {} (signatures by: {})",
            key.name,
            checkpoint
                .signatures
                .iter()
                .map(|(name, _)| name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(())
}

/// A checkpoint: a signed note (c2sp.org/signed-note) whose text is the origin, the
/// tree size and the base64 root hash.
struct Checkpoint {
    /// The signed text, up to and including the newline before the blank line.
    note: String,
    size: u64,
    root_hash: Vec<u8>,
    /// (signer name, key hint + signature)
    signatures: Vec<(String, Vec<u8>)>,
}

impl Checkpoint {
    fn parse(envelope: &str) -> Option<Self> {
        let split = envelope.find("\n\n")?;
        let note = &envelope[..=split];
        let mut lines = note.lines();
        let _origin = lines.next()?;
        let size = lines.next()?.parse().ok()?;
        let root_hash = BASE64.decode(lines.next()?).ok()?;
        let signatures = envelope[split + 2..]
            .lines()
            .filter_map(|line| {
                let rest = line.strip_prefix("\u{2014} ")?;
                let (name, sig) = rest.rsplit_once(' ')?;
                Some((name.to_string(), BASE64.decode(sig).ok()?))
            })
            .collect();
        Some(Checkpoint {
            note: note.to_string(),
            size,
            root_hash,
            signatures,
        })
    }
}

// ---------------------------------------------------------------------------
// The signer's identity, read from the leaf certificate (DER)

const OID_ISSUER_V2: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xbf, 0x30, 0x01, 0x08];
const OID_ISSUER_V1: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xbf, 0x30, 0x01, 0x01];
const OID_OTHERNAME: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xbf, 0x30, 0x01, 0x07];
const OID_SAN: &[u8] = &[0x55, 0x1d, 0x11];

/// One DER element: (tag, contents, the rest after it).
fn der_next(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    if tag & 0x1f == 0x1f {
        return None;
    }
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        first as usize
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | b as usize);
        rest = &rest[n..];
        len
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// The elements of a constructed DER value's contents.
fn der_items(mut input: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    let mut items = Vec::new();
    while !input.is_empty() {
        let (tag, content, rest) = der_next(input)?;
        items.push((tag, content));
        input = rest;
    }
    Some(items)
}

struct CertIdentity {
    issuer: Option<String>,
    names: Vec<String>,
}

impl CertIdentity {
    fn parse(der: &[u8]) -> Option<Self> {
        let (0x30, cert, _) = der_next(der)? else {
            return None;
        };
        let (0x30, tbs, _) = der_next(cert)? else {
            return None;
        };
        let mut issuer_v1 = None;
        let mut issuer_v2 = None;
        let mut names = Vec::new();
        let Some((_, extensions)) = der_items(tbs)?.into_iter().find(|(tag, _)| *tag == 0xa3)
        else {
            return Some(CertIdentity {
                issuer: None,
                names,
            });
        };
        let (0x30, extensions, _) = der_next(extensions)? else {
            return None;
        };
        for (_, extension) in der_items(extensions)? {
            let items = der_items(extension)?;
            let (Some((0x06, oid)), Some((0x04, value))) = (items.first(), items.last()) else {
                return None;
            };
            match *oid {
                OID_ISSUER_V2 => {
                    if let Some((0x0c, text, _)) = der_next(value) {
                        issuer_v2 = std::str::from_utf8(text).ok().map(str::to_string);
                    }
                }
                OID_ISSUER_V1 => issuer_v1 = std::str::from_utf8(value).ok().map(str::to_string),
                OID_SAN => {
                    let (0x30, general_names, _) = der_next(value)? else {
                        return None;
                    };
                    for (tag, content) in der_items(general_names)? {
                        let name = match tag {
                            // rfc822Name, uniformResourceIdentifier
                            0x81 | 0x86 => std::str::from_utf8(content).ok(),
                            // otherName: type-id, [0] EXPLICIT UTF8String
                            0xa0 => match der_items(content)?.as_slice() {
                                [(0x06, OID_OTHERNAME), (0xa0, inner)] => match der_next(inner) {
                                    Some((0x0c, text, _)) => std::str::from_utf8(text).ok(),
                                    _ => None,
                                },
                                _ => None,
                            },
                            _ => None,
                        };
                        names.extend(name.map(str::to_string));
                    }
                }
                _ => {}
            }
        }
        Some(CertIdentity {
            issuer: issuer_v2.or(issuer_v1),
            names,
        })
    }

    fn check(self, rules: &[CompiledRule]) -> Result<BundleSigner, BundleError> {
        let issuer = self.issuer.ok_or_else(|| {
            BundleError::NoIdentity(
                "it has no OIDC issuer extension (1.3.6.1.4.1.57264.1.8 or .1.1)".into(),
            )
        })?;
        if self.names.is_empty() {
            return Err(BundleError::NoIdentity(
                "it has no e-mail or URI subject alternative name".into(),
            ));
        }
        for name in &self.names {
            if rules.iter().any(|r| r.matches(&issuer, name)) {
                return Ok(BundleSigner {
                    issuer,
                    subject: name.clone(),
                });
            }
        }
        Err(BundleError::IdentityNotAllowed {
            issuer,
            subject: self.names.join(", "),
            rules: rules
                .iter()
                .map(CompiledRule::describe)
                .collect::<Vec<_>>()
                .join("; "),
        })
    }
}

// ---------------------------------------------------------------------------
// Time

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)` to Unix seconds.
fn rfc3339_to_unix(text: &str) -> Option<i64> {
    let re = regex::Regex::new(
        r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:([Zz])|([+-])(\d{2}):(\d{2}))$",
    )
    .expect("a static regex compiles");
    let c = re.captures(text)?;
    let n = |i: usize| c.get(i).and_then(|m| m.as_str().parse::<i64>().ok());
    let (y, mo, d, h, mi, s) = (n(1)?, n(2)?, n(3)?, n(4)?, n(5)?, n(6)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let mut t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
    if c.get(7).is_none() {
        let offset = n(9)? * 3600 + n(10)? * 60;
        t += if &c[8] == "+" { -offset } else { offset };
    }
    Some(t)
}

/// Unix seconds as `YYYY-MM-DDTHH:MM:SSZ`.
fn unix_to_rfc3339(t: i64) -> String {
    let (days, secs) = (t.div_euclid(86400), t.rem_euclid(86400));
    let z = days + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ISSUER: &str = "https://issuer.floe.test";

    fn fixture(name: &str) -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/signing")
            .join(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    fn text(name: &str) -> String {
        String::from_utf8(fixture(name)).unwrap()
    }

    fn sha(text: &str) -> String {
        format!("sha256:{}", hex::encode(Sha256::digest(text.as_bytes())))
    }

    /// The layers payload.bin signs (as in scripts/gen-test-bundles.py).
    fn layers() -> Vec<(String, String, u64)> {
        vec![
            (
                "application/vnd.floe.compiled-artifacts.v1+json".into(),
                sha("compiled_artifacts.json"),
                1234,
            ),
            (
                "application/vnd.floe.spec.v1+yaml".into(),
                sha("floe.yaml"),
                567,
            ),
            (
                "application/vnd.floe.deploy-settings.v1+yaml".into(),
                sha("deploy.yaml"),
                89,
            ),
        ]
    }

    fn rule(subject: &str) -> IdentityRule {
        IdentityRule {
            issuer: ISSUER.into(),
            subject: Some(subject.into()),
            subject_regex: None,
        }
    }

    fn regex_rule(issuer: &str, re: &str) -> IdentityRule {
        IdentityRule {
            issuer: issuer.into(),
            subject: None,
            subject_regex: Some(re.into()),
        }
    }

    fn run<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f)
    }

    /// Verifies bundle fixture `name` (raw JSON) against payload.bin and trusted_root.json.
    fn verify(bundle: &str, rules: &[IdentityRule]) -> Result<BundleSigner, BundleError> {
        run(verify_bundle(
            bundle,
            &fixture("payload.bin"),
            &fixture("trusted_root.json"),
            rules,
        ))
    }

    fn verify_err(bundle: &str, rules: &[IdentityRule]) -> String {
        match verify(bundle, rules) {
            Ok(s) => panic!("expected an error, got {s:?}"),
            Err(e) => e.to_string(),
        }
    }

    /// The good bundle with `edit` applied to its JSON.
    fn edited(edit: impl FnOnce(&mut serde_json::Value)) -> String {
        let mut v: serde_json::Value =
            serde_json::from_slice(&fixture("bundle-good.json")).unwrap();
        edit(&mut v);
        v.to_string()
    }

    fn tlog(v: &mut serde_json::Value) -> &mut serde_json::Value {
        &mut v["verificationMaterial"]["tlogEntries"][0]
    }

    #[test]
    fn signed_payload_is_the_compact_layer_list() {
        assert_eq!(signed_payload(&layers()), fixture("payload.bin"));
        assert_eq!(
            String::from_utf8(signed_payload(&[("a/b".into(), "sha256:00".into(), 7)])).unwrap(),
            r#"[{"mediaType":"a/b","digest":"sha256:00","size":7}]"#
        );
        assert_eq!(signed_payload(&[]), b"[]");
    }

    #[test]
    fn good_bundle_with_the_exact_subject_verifies() {
        let expected = BundleSigner {
            issuer: ISSUER.into(),
            subject: "ci@floe.dev".into(),
        };
        // As the annotation carries it (base64), and as raw JSON.
        let b64 = text("bundle-good.b64");
        assert_eq!(verify(&b64, &[rule("ci@floe.dev")]).unwrap(), expected);
        let json = text("bundle-good.json");
        assert_eq!(
            verify(&json, &[rule("someone@floe.dev"), rule("ci@floe.dev")]).unwrap(),
            expected
        );
    }

    #[test]
    fn subject_regex_matches_the_whole_subject() {
        let json = text("bundle-good.json");
        let signer = verify(&json, &[regex_rule(ISSUER, r".*@floe\.dev")]).unwrap();
        assert_eq!(signer.subject, "ci@floe.dev");
        // Anchored: a regex matching only part of the subject does not accept it.
        let err = verify_err(&json, &[regex_rule(ISSUER, "ci@floe")]);
        assert_eq!(
            err,
            "the signer ci@floe.dev (OIDC issuer https://issuer.floe.test) is not a trusted identity; \
             trusted_issuers allows: issuer https://issuer.floe.test with subject matching \"ci@floe\""
        );
        // subject and subject_regex together: both must hold.
        let both = IdentityRule {
            subject_regex: Some("ci@.*".into()),
            ..rule("ci@floe.dev")
        };
        assert!(verify(&json, &[both]).is_ok());
    }

    #[test]
    fn uri_subject_and_legacy_issuer_extension() {
        let json = text("bundle-github-uri.json");
        let signer = verify(
            &json,
            &[regex_rule(
                "https://token.actions.githubusercontent.com",
                r"https://github\.com/floe-dev/platform/\.github/workflows/release\.yml@refs/tags/v.*",
            )],
        )
        .unwrap();
        assert_eq!(
            signer,
            BundleSigner {
                issuer: "https://token.actions.githubusercontent.com".into(),
                subject: "https://github.com/floe-dev/platform/.github/workflows/release.yml@refs/tags/v1.2.3".into(),
            }
        );
    }

    #[test]
    fn a_changed_layer_is_refused() {
        let mut changed = layers();
        changed[1].1 = sha("floe.yaml, edited after signing");
        let err = run(verify_bundle(
            &text("bundle-good.b64"),
            &signed_payload(&changed),
            &fixture("trusted_root.json"),
            &[rule("ci@floe.dev")],
        ))
        .unwrap_err();
        assert!(matches!(err, BundleError::SignatureMismatch), "{err:?}");
        assert_eq!(
            err.to_string(),
            "the signature does not match the artifact: its layers were changed after signing \
             (or the bundle was made for other content)"
        );
        // A different size of the same layer too.
        let mut resized = layers();
        resized[0].2 += 1;
        let err = run(verify_bundle(
            &text("bundle-good.b64"),
            &signed_payload(&resized),
            &fixture("trusted_root.json"),
            &[rule("ci@floe.dev")],
        ))
        .unwrap_err();
        assert!(matches!(err, BundleError::SignatureMismatch), "{err:?}");
    }

    #[test]
    fn another_identity_is_refused_with_who_signed_and_what_was_tried() {
        let json = text("bundle-other-identity.json");
        let err = verify_err(
            &json,
            &[
                rule("ci@floe.dev"),
                regex_rule("https://other.example", ".*"),
            ],
        );
        assert_eq!(
            err,
            "the signer other@floe.dev (OIDC issuer https://issuer.floe.test) is not a trusted identity; \
             trusted_issuers allows: issuer https://issuer.floe.test with subject ci@floe.dev; \
             issuer https://other.example with subject matching \".*\""
        );
        // It verifies once the policy names it.
        assert_eq!(
            verify(&json, &[rule("other@floe.dev")]).unwrap().subject,
            "other@floe.dev"
        );
        // The right subject from another issuer is not the same identity.
        let err = verify_err(
            &text("bundle-good.json"),
            &[IdentityRule {
                issuer: "https://accounts.google.com".into(),
                ..rule("ci@floe.dev")
            }],
        );
        assert!(
            err.starts_with("the signer ci@floe.dev (OIDC issuer https://issuer.floe.test) is not a trusted identity"),
            "{err}"
        );
    }

    #[test]
    fn a_certificate_from_another_ca_is_refused() {
        let err = verify_err(&text("bundle-other-ca.json"), &[rule("ci@floe.dev")]);
        assert_eq!(
            err,
            "the signing certificate was not issued by a certificate authority of the trusted root (UnknownIssuer)"
        );
    }

    #[test]
    fn an_sct_from_an_unknown_ct_log_is_refused() {
        let err = verify_err(&text("bundle-bad-sct.json"), &[rule("ci@floe.dev")]);
        assert_eq!(
            err,
            "the signing certificate has no valid Certificate Transparency timestamp (SCT) from a CT log \
             of the trusted root (failed to verify SCT: requested key not in keyring)"
        );
    }

    #[test]
    fn the_signed_entry_timestamp_is_checked() {
        // Another log index: the SET no longer signs the entry.
        let json = edited(|v| tlog(v)["logIndex"] = "4243".into());
        assert_eq!(
            verify_err(&json, &[rule("ci@floe.dev")]),
            "the transparency log's signed entry timestamp (inclusion promise) does not verify: \
             it is not https://rekor.floe.test's signature of this entry (log index 4243, integrated time 2025-01-01T12:01:00Z)"
        );
        // Another integrated time within the certificate's validity: same.
        let json = edited(|v| tlog(v)["integratedTime"] = "1735733100".into());
        assert!(verify_err(&json, &[rule("ci@floe.dev")]).starts_with(
            "the transparency log's signed entry timestamp (inclusion promise) does not verify"
        ),);
        // No SET at all.
        let json = edited(|v| {
            tlog(v).as_object_mut().unwrap().remove("inclusionPromise");
        });
        assert_eq!(
            verify_err(&json, &[rule("ci@floe.dev")]),
            "the transparency log's signed entry timestamp (inclusion promise) does not verify: \
             the bundle has none, so the time of signing is not attested"
        );
        // A log the trusted root does not name.
        let json = edited(|v| tlog(v)["logId"]["keyId"] = BASE64.encode([7u8; 32]).into());
        assert_eq!(
            verify_err(&json, &[rule("ci@floe.dev")]),
            "the transparency log's signed entry timestamp (inclusion promise) does not verify: \
             the entry is from transparency log 0707070707070707070707070707070707070707070707070707070707070707, \
             which is not in the trusted root"
        );
    }

    #[test]
    fn a_certificate_expired_at_integration_is_refused() {
        // An hour after issuance; the certificate lived 10 minutes.
        let json = edited(|v| tlog(v)["integratedTime"] = "1735736400".into());
        assert_eq!(
            verify_err(&json, &[rule("ci@floe.dev")]),
            "the signing certificate was not valid when the signature was entered in the transparency log \
             (integrated time 2025-01-01T13:00:00Z)"
        );
    }

    #[test]
    fn the_inclusion_proof_and_checkpoint_are_checked() {
        let json = edited(|v| {
            tlog(v)["inclusionProof"]["hashes"][0] = BASE64.encode([0u8; 32]).into();
        });
        assert_eq!(
            verify_err(&json, &[rule("ci@floe.dev")]),
            "the transparency log inclusion proof does not verify: \
             the entry at index 3 of a tree of 5 does not hash up to the proof's root hash"
        );
        let json = edited(|v| tlog(v)["inclusionProof"]["logIndex"] = "2".into());
        assert!(verify_err(&json, &[rule("ci@floe.dev")]).contains(
            "the entry at index 2 of a tree of 5 does not hash up to the proof's root hash"
        ));
        // A checkpoint whose signature is not the log's.
        let json = edited(|v| {
            let cp = &mut tlog(v)["inclusionProof"]["checkpoint"]["envelope"];
            let text = cp
                .as_str()
                .unwrap()
                .replace("rekor.floe.test - 4242424242", "rekor.floe.test - 1");
            *cp = text.into();
        });
        assert_eq!(
            verify_err(&json, &[rule("ci@floe.dev")]),
            "the transparency log inclusion proof does not verify: \
             its checkpoint is not signed by https://rekor.floe.test (signatures by: rekor.floe.test)"
        );
        // v0.3 bundles must have one (the crate's rule).
        let json = edited(|v| {
            tlog(v).as_object_mut().unwrap().remove("inclusionProof");
        });
        assert_eq!(
            verify_err(&json, &[rule("ci@floe.dev")]),
            "the Sigstore bundle is unusable: bundle must contain inclusion proof"
        );
    }

    #[test]
    fn a_log_entry_for_another_signature_is_refused() {
        let other: serde_json::Value =
            serde_json::from_slice(&fixture("bundle-other-identity.json")).unwrap();
        let json = edited(|v| {
            tlog(v)["canonicalizedBody"] =
                other["verificationMaterial"]["tlogEntries"][0]["canonicalizedBody"].clone();
        });
        assert_eq!(
            verify_err(&json, &[rule("ci@floe.dev")]),
            "the bundle has no transparency log entry for this signature: its canonicalized body \
             does not record this signature, certificate and artifact digest"
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let rules = [rule("ci@floe.dev")];
        for (input, expected) in [
            ("", "the signature bundle is neither base64 nor JSON: it is empty"),
            ("not base64 at all!", "the signature bundle is neither base64 nor JSON: '!' is not a base64 character"),
            ("abcde", "the signature bundle is neither base64 nor JSON: 5 base64 characters cannot be whole bytes"),
            ("ab=c", "the signature bundle is neither base64 nor JSON: its padding is wrong"),
            ("YR==", "the signature bundle is neither base64 nor JSON: its padding is wrong"),
            ("aGVsbG8=", "the signature bundle is not a Sigstore bundle: not JSON (expected value at line 1 column 1)"),
            ("WzEsMl0=", "the signature bundle is not a Sigstore bundle: not a JSON object"),
            ("{}", "the signature bundle is not a Sigstore bundle: it has no mediaType"),
            (
                r#"{"mediaType":"application/vnd.oci.image.manifest.v1+json"}"#,
                "the signature bundle is not a Sigstore bundle: its mediaType is \"application/vnd.oci.image.manifest.v1+json\"",
            ),
            (
                r#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.4+json"}"#,
                "the Sigstore bundle is unusable: bundle version \"application/vnd.dev.sigstore.bundle.v0.4+json\" is not supported \
                 (supported: application/vnd.dev.sigstore.bundle+json;version=0.1, application/vnd.dev.sigstore.bundle+json;version=0.2, \
                 application/vnd.dev.sigstore.bundle.v0.3+json)",
            ),
            (
                r#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}"#,
                "the Sigstore bundle is unusable: it has no verificationMaterial",
            ),
            (
                r#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","nonsense":1}"#,
                "the signature bundle is not a Sigstore bundle: unrecognized field name 'nonsense'",
            ),
        ] {
            let err = verify_err(input, &rules);
            assert!(err.starts_with(expected), "{input:?}: {err}");
        }
    }

    #[test]
    fn policy_and_trusted_root_problems_are_named() {
        let json = text("bundle-good.json");
        assert_eq!(
            verify_err(&json, &[]),
            "no trusted identities are configured (trusted_issuers is empty), so no Sigstore bundle can be accepted"
        );
        let issuer_only = IdentityRule {
            issuer: ISSUER.into(),
            subject: None,
            subject_regex: None,
        };
        assert_eq!(
            verify_err(&json, &[rule("ci@floe.dev"), issuer_only]),
            "trusted_issuers[1] (issuer \"https://issuer.floe.test\") needs `subject` or `subject_regex`: \
             an issuer alone would accept anyone it vouches for"
        );
        let err = verify_err(&json, &[regex_rule(ISSUER, "ci@(floe")]);
        assert!(
            err.starts_with("trusted_issuers[0] (issuer \"https://issuer.floe.test\") has a subject_regex \"ci@(floe\" that is not a valid regular expression"),
            "{err}"
        );

        let with_root = |root: &[u8]| {
            run(verify_bundle(
                &json,
                &fixture("payload.bin"),
                root,
                &[rule("ci@floe.dev")],
            ))
            .unwrap_err()
            .to_string()
        };
        assert_eq!(
            with_root(b"not json"),
            "the trusted root is unusable: it is not a Sigstore trusted_root.json (expected ident at line 1 column 2)"
        );
        let mut root: serde_json::Value =
            serde_json::from_slice(&fixture("trusted_root.json")).unwrap();
        root["ctlogs"] = serde_json::json!([]);
        assert_eq!(
            with_root(root.to_string().as_bytes()),
            "the trusted root is unusable: it names no CT log (ctlogs)"
        );
        let mut root: serde_json::Value =
            serde_json::from_slice(&fixture("trusted_root.json")).unwrap();
        root["tlogs"][0]["publicKey"]["validFor"]["end"] = "2024-12-31T00:00:00Z".into();
        assert_eq!(
            with_root(root.to_string().as_bytes()),
            "the transparency log's signed entry timestamp (inclusion promise) does not verify: \
             the trusted root's key for https://rekor.floe.test was not valid at the integrated time 2025-01-01T12:01:00Z"
        );
    }

    #[test]
    fn a_real_public_good_rekor_entry_verifies() {
        let json = fixture("public-good/dsse-bundle-v0.3.json");
        let root = TrustRoot::parse(&fixture("public-good/trusted_root.json")).unwrap();
        let parsed = parsed_parts(&serde_json::from_slice(&json).unwrap()).unwrap();
        let key = root.rekor_key(&parsed.tlog).unwrap();
        assert_eq!(key.name, "https://rekor.sigstore.dev");
        verify_set(&parsed.tlog, &key).unwrap();
        let proof = parsed.tlog.inclusion_proof.as_ref().unwrap();
        assert_eq!(proof.hashes.len(), 18);
        verify_inclusion_proof(&parsed.tlog, proof, &key).unwrap();
        let identity = CertIdentity::parse(&parsed.certificate).unwrap();
        assert_eq!(
            identity.issuer.as_deref(),
            Some("https://token.actions.githubusercontent.com")
        );
        assert_eq!(
            identity.names,
            ["https://github.com/kubewarden/kubewarden-controller/.github/workflows/release.yml@refs/tags/v1.34.0"]
        );
        // The crate, given our reading of the public-good trusted root, accepts the real
        // certificate chain, SCT and DSSE signature, and stops only at the in-toto
        // subject, which is not the empty payload.
        let bundle: Bundle = serde_json::from_slice(&json).unwrap();
        let crate_result = run(crate_verify(bundle, b"", &root)).unwrap();
        assert_eq!(
            crate_result.unwrap_err().to_string(),
            "signature transparency materials are inconsistent"
        );
        // A DSSE attestation is not a signature of a floe payload.
        let err = run(verify_bundle(
            std::str::from_utf8(&json).unwrap(),
            b"",
            &fixture("public-good/trusted_root.json"),
            &[rule("ci@floe.dev")],
        ))
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the Sigstore bundle is unusable: it holds a DSSE attestation, not a signature of the artifact (messageSignature)"
        );
    }

    #[test]
    fn inclusion_proofs_follow_rfc_9162() {
        let leaf = |i: u8| {
            let mut h = Sha256::new();
            h.update([0u8, i]);
            h.finalize().to_vec()
        };
        // A tree of 7: ((01)(23))((45)6)
        let l: Vec<_> = (0..7).map(leaf).collect();
        let n = |a: &[u8], b: &[u8]| hash_children(a, b);
        let (h01, h23, h45) = (n(&l[0], &l[1]), n(&l[2], &l[3]), n(&l[4], &l[5]));
        let (h0123, h456) = (n(&h01, &h23), n(&h45, &l[6]));
        let root = n(&h0123, &h456);
        assert_eq!(
            root_from_inclusion_proof(6, 7, &l[6], &[h45.clone(), h0123.clone()]),
            Some(root.clone())
        );
        assert_eq!(
            root_from_inclusion_proof(2, 7, &l[2], &[l[3].clone(), h01.clone(), h456.clone()]),
            Some(root.clone())
        );
        assert_eq!(root_from_inclusion_proof(7, 7, &l[6], &[]), None);
        assert_eq!(
            root_from_inclusion_proof(0, 1, &l[0], &[]),
            Some(l[0].clone())
        );
        assert_eq!(
            root_from_inclusion_proof(0, 1, &l[0], &[l[1].clone()]),
            None
        );
    }

    #[test]
    fn times_convert_both_ways() {
        assert_eq!(rfc3339_to_unix("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(rfc3339_to_unix("2025-01-01T12:01:00Z"), Some(1_735_732_860));
        assert_eq!(
            rfc3339_to_unix("2025-01-01T13:01:00.123+01:00"),
            Some(1_735_732_860)
        );
        assert_eq!(rfc3339_to_unix("2025-13-01T00:00:00Z"), None);
        assert_eq!(rfc3339_to_unix("yesterday"), None);
        assert_eq!(unix_to_rfc3339(1_735_732_860), "2025-01-01T12:01:00Z");
        assert_eq!(unix_to_rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn arbitrary_annotations_never_panic(input in any::<String>()) {
            let _ = verify(&input, &[rule("ci@floe.dev")]);
        }

        #[test]
        fn damaged_bundles_never_panic_nor_change_the_signer(at in 0usize..4750, byte in any::<u8>()) {
            let mut json = fixture("bundle-good.json");
            let at = at % json.len();
            prop_assume!(json[at] != byte);
            json[at] = byte;
            let input = BASE64.encode(&json);
            // Some bytes no signature covers (JSON whitespace, the checkpoint signer's
            // name, kindVersion) may change; what verifies is still the same signer.
            if let Ok(signer) = verify(&input, &[regex_rule(ISSUER, ".*")]) {
                prop_assert_eq!(signer, BundleSigner { issuer: ISSUER.into(), subject: "ci@floe.dev".into() });
            }
        }
    }
}
