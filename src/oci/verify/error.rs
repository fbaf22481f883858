//! Why a signature check fails: the Sigstore bundle's own reasons
//! ([`BundleError`]), and the verdict's reasons for refusing an artifact.

use crate::oci::layout::SIGNATURE_BUNDLE;

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

/// Why an artifact is not verified; the text goes into the verdict.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Refusal {
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
