//! Offline verification of a Sigstore bundle carried in the artifact's
//! `dev.floe.signature.bundle` annotation.
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
//! Here, because sigstore-rs 0.14 leaves Merkle inclusion and SET verification as
//! TODOs in its `verifier.rs` ([`super::tlog`]):
//! - the signed entry timestamp (inclusion promise, SET): ECDSA by the Rekor key of the
//!   trusted root named by the entry's `logId` over the canonical JSON of `{body,
//!   integratedTime, logID, logIndex}`; it is required, because without it the
//!   integrated time the validity check relies on is unauthenticated; the key's
//!   `validFor` must cover the integrated time;
//! - the inclusion proof, when the bundle has one (v0.2/v0.3 bundles must, with a
//!   checkpoint): the RFC 6962 audit path from the entry's leaf hash to the proof's root
//!   hash, and the checkpoint (a signed note) signed by the same Rekor key (key hint =
//!   the first 4 bytes of its log id), for the same tree size and root hash;
//! - the identity ([`super::identity`]): the OIDC issuer extension
//!   (1.3.6.1.4.1.57264.1.8, else the legacy .1.1) and the subject alternative name
//!   (e-mail, URI or Sigstore other-name) against the [`IdentityRule`]s; the crate
//!   gets an always-passing policy.
//!   The entry's log must also be a `tlogs` key of the trusted root
//!   ([`super::trust_root`]; the crate does not look at `logId`).
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

use super::error::BundleError;
use super::identity::{compile_rules, BundleSigner, CertIdentity};
use super::protobuf_json::b64_field;
use super::time::unix_to_rfc3339;
use super::tlog::{verify_inclusion_proof, verify_set, TlogEntry};
use super::trust_root::TrustRoot;
use crate::oci::error::error_chain;
use crate::oci::policy::IdentityRule;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use sigstore::bundle::verify::policy::AnyOf;
use sigstore::bundle::verify::{VerificationError, VerificationPolicy, Verifier};
use sigstore::bundle::Bundle;

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
pub(crate) async fn crate_verify(
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
pub(crate) struct ParsedBundle {
    pub certificate: Vec<u8>,
    pub tlog: TlogEntry,
}

const MEDIA_TYPES: [&str; 3] = [
    "application/vnd.dev.sigstore.bundle+json;version=0.1",
    "application/vnd.dev.sigstore.bundle+json;version=0.2",
    "application/vnd.dev.sigstore.bundle.v0.3+json",
];

fn parse_bundle(json: &[u8]) -> Result<(Bundle, ParsedBundle), BundleError> {
    let not_a_bundle = |m: &str| BundleError::NotABundle(m.to_string());
    let value: serde_json::Value = serde_json::from_slice(json)
        .map_err(|e| BundleError::NotABundle(format!("not JSON ({e})")))?;
    let object = value
        .as_object()
        .ok_or_else(|| not_a_bundle("not a JSON object"))?;
    let media_type = object
        .get("mediaType")
        .and_then(|v| v.as_str())
        .ok_or_else(|| not_a_bundle("it has no mediaType"))?;
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
pub(crate) fn parsed_parts(value: &serde_json::Value) -> Result<ParsedBundle, BundleError> {
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
