//! OCI artifacts: publish a product as one artifact (`floe artifact push`),
//! fetch it by digest into a local cache (`pull`), and check its signature
//! against the environment's policy before anything is deployed.
//!
//! An artifact is an OCI image manifest of artifact type
//! [`ARTIFACT_TYPE`] with an empty config and one layer per product file
//! (floe.yaml, the platform manifest it names, floe-deploy.yaml, the compiled
//! artifact), each titled with its file name; or the platform's compiled
//! output alone (compiled_artifacts.json, optionally floe-deploy.yaml); or,
//! of type [`MANIFEST_ARTIFACT_TYPE`], a platform manifest on its own;
//! docs/oci-artifacts.md.
//!
//! Where each concern lives, and where trust is decided:
//! - `reference`: `oci://` references;
//! - `credentials`: where registry credentials come from, and the refusal
//!   to send them in clear text off this machine;
//! - `registry`: the registry client; every manifest and blob it returns
//!   is checked against its digest;
//! - `layout`: what a floe artifact's manifest may hold, checked before any
//!   file of it is written;
//! - `cache`: the digest-addressed local cache, re-checked on every use;
//! - `package`: packing a product directory for `push`;
//! - `policy`: the operator's signature policy (never the artifact's own);
//! - `verify`: the signature verdict (cosign key signatures, Sigstore
//!   bundles with their trusted root, transparency log and identities).

mod cache;
mod credentials;
mod error;
mod layout;
mod package;
mod policy;
mod reference;
mod registry;
mod verify;

pub use cache::PulledArtifact;
pub use credentials::Credentials;
pub use error::OciError;
pub use layout::{
    sha256_digest, ArtifactKind, ArtifactManifest, ARTIFACTS_VERSION, ARTIFACT_TYPE, COMPILED_FILE,
    COMPILED_MEDIA_TYPE, EMPTY_CONFIG_MEDIA_TYPE, FLOE_ARTIFACTS_VERSION, MANIFEST_ARTIFACT_TYPE,
    MANIFEST_NAME, MANIFEST_VERSION, MAX_LAYER_BYTES, PLATFORM_MANIFEST_MEDIA_TYPE, PRODUCT_NAME,
    PRODUCT_VERSION, SETTINGS_FILE, SETTINGS_MEDIA_TYPE, SIGNATURE_BUNDLE, SPEC_MEDIA_TYPE, TITLE,
};
pub use package::{prepare, prepare_compiled, prepare_platform_manifest, PreparedArtifact};
pub use policy::{Enforcement, IdentityRule, Policy, PolicyError, PolicySpec};
pub use reference::ArtifactRef;
pub use registry::{Registry, RegistryOptions};
pub use verify::{
    signed_payload, verify, verify_bundle, BundleError, BundleSigner, Verification, VerifyResult,
};
