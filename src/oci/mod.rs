//! OCI artifacts: publish a product as one artifact (`floe artifact push`),
//! fetch it by digest into a local cache (`pull`), and check its signature
//! against the environment's policy ([`signature`]) before anything is
//! deployed. Media types and layout: docs/oci-artifacts.md.

pub mod bundle;
pub mod policy;
pub mod signature;

use oci_client::client::{Certificate, CertificateEncoding, ClientConfig, ClientProtocol};
use oci_client::errors::OciDistributionError;
use oci_client::manifest::{OciDescriptor, IMAGE_MANIFEST_MEDIA_TYPE, OCI_IMAGE_MEDIA_TYPE};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// `artifactType` of the manifest, as the floe platform pushes it.
pub const ARTIFACT_TYPE: &str = "application/vnd.floe.compiled-artifacts.v1+json";
pub const EMPTY_CONFIG_MEDIA_TYPE: &str = "application/vnd.oci.empty.v1+json";
const EMPTY_CONFIG: &[u8] = b"{}";
/// Layer media types, one file each (titled with its file name).
pub const COMPILED_MEDIA_TYPE: &str = "application/vnd.floe.compiled-artifacts.v1+json";
pub const SPEC_MEDIA_TYPE: &str = "application/vnd.floe.spec.v1+yaml";
pub const PLATFORM_MANIFEST_MEDIA_TYPE: &str = "application/vnd.floe.manifest.v1+yaml";
pub const SETTINGS_MEDIA_TYPE: &str = "application/vnd.floe.deploy-settings.v1+yaml";
pub const TITLE: &str = "org.opencontainers.image.title";
pub const PRODUCT_NAME: &str = "io.floe.product.name";
pub const PRODUCT_VERSION: &str = "io.floe.product.version";
pub const ARTIFACTS_VERSION: &str = "io.floe.artifacts.version";
/// A base64 Sigstore bundle signing the artifact's layers.
pub const SIGNATURE_BUNDLE: &str = "dev.floe.signature.bundle";
pub const COMPILED_FILE: &str = "compiled_artifacts.json";
pub const SETTINGS_FILE: &str = "floe-deploy.yaml";
/// What `floe artifact push` writes into `io.floe.artifacts.version` when the
/// product has no compiled artifact of its own.
pub const FLOE_ARTIFACTS_VERSION: &str = "0.10.0";

#[derive(Debug, thiserror::Error)]
pub enum OciError {
    #[error("{reference:?} is not an OCI reference: {message}")]
    BadReference { reference: String, message: String },
    #[error("registry {registry} refused the credentials ({source_of_credentials})")]
    Unauthorized {
        registry: String,
        source_of_credentials: String,
    },
    #[error("cannot reach registry {registry}: {message}")]
    Unreachable { registry: String, message: String },
    #[error("{reference} was not found in the registry")]
    NotFound { reference: String },
    #[error("{reference} is not a floe artifact: {message}")]
    NotAnArtifact { reference: String, message: String },
    #[error("{reference}: the registry served content with digest {actual}, not the {expected} asked for")]
    DigestMismatch {
        reference: String,
        expected: String,
        actual: String,
    },
    #[error("{reference} already exists ({existing}); release tags are immutable")]
    ImmutableTag { reference: String, existing: String },
    #[error("registry error for {reference}: {message}")]
    Registry { reference: String, message: String },
    #[error("cannot read or write {path}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{message}")]
    Product { message: String },
    #[error("refusing to send registry credentials ({source_of_credentials}) over plain HTTP to {registry}")]
    CredentialsOverPlainHttp {
        registry: String,
        source_of_credentials: String,
    },
}

impl OciError {
    fn io(path: &Path, source: std::io::Error) -> Self {
        OciError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}

/// `oci://registry[:port]/repository[:tag][@sha256:...]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactRef {
    pub reference: Reference,
}

impl ArtifactRef {
    pub fn parse(text: &str) -> Result<Self, OciError> {
        let bad = |message: &str| OciError::BadReference {
            reference: text.to_string(),
            message: message.to_string(),
        };
        let rest = text
            .strip_prefix("oci://")
            .ok_or_else(|| bad("it must start with oci://"))?;
        if !rest.contains('/') {
            return Err(bad(
                "it must name a registry and a repository: oci://registry/repository:tag",
            ));
        }
        let reference: Reference = rest.parse().map_err(|e| bad(&format!("{e}")))?;
        Ok(ArtifactRef { reference })
    }

    pub fn registry(&self) -> &str {
        self.reference.registry()
    }

    pub fn tag(&self) -> Option<&str> {
        self.reference.tag()
    }

    pub fn digest(&self) -> Option<&str> {
        self.reference.digest()
    }

    /// The same repository, pinned to `digest`.
    pub fn with_digest(&self, digest: &str) -> ArtifactRef {
        ArtifactRef {
            reference: Reference::with_digest(
                self.reference.registry().to_string(),
                self.reference.repository().to_string(),
                digest.to_string(),
            ),
        }
    }
}

impl std::fmt::Display for ArtifactRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "oci://{}", self.reference.whole())
    }
}

/// How to talk to registries.
#[derive(Debug, Clone, Default)]
pub struct RegistryOptions {
    /// Plain HTTP instead of TLS (a local test registry).
    pub plain_http: bool,
    /// Extra CA certificate (PEM) to trust for the registry's TLS.
    pub ca_file: Option<PathBuf>,
    /// Where pulled artifacts are kept, by digest.
    pub cache_dir: Option<PathBuf>,
}

/// Registry credentials and where they came from (for messages; never the value).
#[derive(Clone)]
pub struct Credentials {
    pub auth: RegistryAuth,
    pub source: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({})", self.source)
    }
}

impl Credentials {
    /// `FLOE_REGISTRY_USERNAME`/`FLOE_REGISTRY_PASSWORD`, then
    /// `FLOE_REGISTRY_TOKEN`, then the docker config file
    /// (`$DOCKER_CONFIG/config.json` or `~/.docker/config.json`), else anonymous.
    pub fn for_registry(registry: &str) -> Credentials {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        if let (Some(user), Some(password)) =
            (var("FLOE_REGISTRY_USERNAME"), var("FLOE_REGISTRY_PASSWORD"))
        {
            return Credentials {
                auth: RegistryAuth::Basic(user, password),
                source: "FLOE_REGISTRY_USERNAME/FLOE_REGISTRY_PASSWORD".into(),
            };
        }
        if let Some(token) = var("FLOE_REGISTRY_TOKEN") {
            return Credentials {
                auth: RegistryAuth::Bearer(token),
                source: "FLOE_REGISTRY_TOKEN".into(),
            };
        }
        let config = var("DOCKER_CONFIG")
            .map(PathBuf::from)
            .or_else(|| var("HOME").map(|h| Path::new(&h).join(".docker")))
            .map(|d| d.join("config.json"));
        if let Some(path) = config {
            if let Some(auth) = std::fs::read(&path)
                .ok()
                .and_then(|bytes| docker_config_auth(&bytes, registry))
            {
                return Credentials {
                    auth,
                    source: format!("{} (auths.{registry})", path.display()),
                };
            }
        }
        Credentials {
            auth: RegistryAuth::Anonymous,
            source: "anonymous: no FLOE_REGISTRY_* variables and no docker config entry".into(),
        }
    }
}

/// The `auths` entry for `registry` in a docker config file: `auth` is
/// base64 of `user:password`, or `username` and `password`.
fn docker_config_auth(bytes: &[u8], registry: &str) -> Option<RegistryAuth> {
    use base64::Engine;
    let config: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let auths = config.get("auths")?.as_object()?;
    let entry = auths.iter().find_map(|(k, v)| {
        let host = k
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap_or("");
        (host == registry).then_some(v)
    })?;
    // `identitytoken` is a refresh token to exchange at the registry's
    // token service (docker's OAuth flow), not a bearer token: not used.
    if let Some(encoded) = entry.get("auth").and_then(|v| v.as_str()) {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (user, password) = text.split_once(':')?;
        return Some(RegistryAuth::Basic(user.to_string(), password.to_string()));
    }
    match (
        entry.get("username").and_then(|v| v.as_str()),
        entry.get("password").and_then(|v| v.as_str()),
    ) {
        (Some(u), Some(p)) => Some(RegistryAuth::Basic(u.to_string(), p.to_string())),
        _ => None,
    }
}

/// The parts of an OCI image manifest floe reads and writes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactManifest {
    pub schema_version: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    pub config: OciDescriptor,
    pub layers: Vec<OciDescriptor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
}

impl ArtifactManifest {
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations
            .as_ref()
            .and_then(|a| a.get(key))
            .map(String::as_str)
    }

    /// The layer descriptors as `bundle::signed_payload` takes them.
    pub fn layer_triples(&self) -> Vec<(String, String, u64)> {
        self.layers
            .iter()
            .map(|l| (l.media_type.clone(), l.digest.clone(), l.size.max(0) as u64))
            .collect()
    }
}

/// An artifact fetched by digest and unpacked into the cache.
#[derive(Debug, Clone)]
pub struct PulledArtifact {
    /// The reference as given (tag or digest).
    pub source: ArtifactRef,
    /// `sha256:...` of the manifest: what is deployed and recorded.
    pub digest: String,
    pub manifest: ArtifactManifest,
    /// The product directory: floe.yaml, manifest, floe-deploy.yaml, ...
    pub dir: PathBuf,
    /// True when the layers came from the cache, not the network.
    pub cached: bool,
}

impl PulledArtifact {
    /// `oci://registry/repo@sha256:...`
    pub fn pinned(&self) -> ArtifactRef {
        self.source.with_digest(&self.digest)
    }

    /// The files of the artifact, relative to `dir`.
    pub fn file_names(&self) -> Vec<String> {
        self.manifest
            .layers
            .iter()
            .filter_map(|l| l.title().map(str::to_string))
            .collect()
    }
}

/// A registry client for one registry.
pub struct Registry {
    client: Client,
    credentials: Credentials,
    options: RegistryOptions,
}

impl Registry {
    pub fn new(
        registry: &str,
        options: &RegistryOptions,
        credentials: Credentials,
    ) -> Result<Self, OciError> {
        // A password in clear text may only travel to this machine.
        let loopback = {
            let host = registry.rsplit_once(':').map_or(registry, |(h, _)| h);
            let host = host.trim_start_matches('[').trim_end_matches(']');
            host == "localhost"
                || host
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        };
        if options.plain_http && credentials.auth != RegistryAuth::Anonymous && !loopback {
            return Err(OciError::CredentialsOverPlainHttp {
                registry: registry.to_string(),
                source_of_credentials: credentials.source,
            });
        }
        let mut extra_root_certificates = Vec::new();
        if let Some(ca) = &options.ca_file {
            let data = std::fs::read(ca).map_err(|e| OciError::io(ca, e))?;
            extra_root_certificates.push(Certificate {
                encoding: CertificateEncoding::Pem,
                data,
            });
        }
        let config = ClientConfig {
            protocol: if options.plain_http {
                ClientProtocol::Http
            } else {
                ClientProtocol::Https
            },
            extra_root_certificates,
            connect_timeout: Some(std::time::Duration::from_secs(10)),
            read_timeout: Some(std::time::Duration::from_secs(60)),
            ..ClientConfig::default()
        };
        Ok(Registry {
            client: Client::new(config),
            credentials,
            options: options.clone(),
        })
    }

    /// A client with the credentials the environment gives for `reference`'s registry.
    pub fn for_ref(reference: &ArtifactRef, options: &RegistryOptions) -> Result<Self, OciError> {
        let credentials = Credentials::for_registry(reference.registry());
        Registry::new(reference.registry(), options, credentials)
    }

    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    pub fn options(&self) -> &RegistryOptions {
        &self.options
    }

    fn classify(&self, reference: &ArtifactRef, err: OciDistributionError) -> OciError {
        let registry = reference.registry().to_string();
        let unauthorized = || OciError::Unauthorized {
            registry: registry.clone(),
            source_of_credentials: self.credentials.source.clone(),
        };
        match err {
            OciDistributionError::AuthenticationFailure(_)
            | OciDistributionError::UnauthorizedError { .. } => unauthorized(),
            OciDistributionError::RequestError(e) => OciError::Unreachable {
                registry,
                message: error_chain(&e),
            },
            OciDistributionError::ImageManifestNotFoundError(_) => OciError::NotFound {
                reference: reference.to_string(),
            },
            OciDistributionError::RegistryError { envelope, .. } => {
                let codes: Vec<String> = envelope
                    .errors
                    .iter()
                    .map(|e| format!("{:?}", e.code))
                    .collect();
                let has = |c: &str| codes.iter().any(|x| x.eq_ignore_ascii_case(c));
                if has("Unauthorized") || has("Denied") {
                    unauthorized()
                } else if has("ManifestUnknown") || has("NameUnknown") || has("BlobUnknown") {
                    OciError::NotFound {
                        reference: reference.to_string(),
                    }
                } else {
                    OciError::Registry {
                        reference: reference.to_string(),
                        message: envelope
                            .errors
                            .iter()
                            .map(|e| e.message.clone())
                            .collect::<Vec<_>>()
                            .join("; "),
                    }
                }
            }
            OciDistributionError::ServerError { code: 401, .. }
            | OciDistributionError::ServerError { code: 403, .. } => unauthorized(),
            OciDistributionError::ServerError { code: 404, .. } => OciError::NotFound {
                reference: reference.to_string(),
            },
            other => OciError::Registry {
                reference: reference.to_string(),
                message: other.to_string(),
            },
        }
    }

    /// The manifest digest a tag (or digest) points at now.
    pub async fn resolve(&self, reference: &ArtifactRef) -> Result<String, OciError> {
        if let Some(d) = reference.digest() {
            return Ok(d.to_string());
        }
        self.client
            .fetch_manifest_digest(&reference.reference, &self.credentials.auth)
            .await
            .map_err(|e| self.classify(reference, e))
    }

    /// The manifest at `digest`, checked against it.
    pub async fn manifest(
        &self,
        reference: &ArtifactRef,
        digest: &str,
    ) -> Result<(ArtifactManifest, Vec<u8>), OciError> {
        let pinned = reference.with_digest(digest);
        let (bytes, _) = self
            .client
            .pull_manifest_raw(
                &pinned.reference,
                &self.credentials.auth,
                // OCI, as floe and the platform push; Docker's for older tools.
                &[OCI_IMAGE_MEDIA_TYPE, IMAGE_MANIFEST_MEDIA_TYPE],
            )
            .await
            .map_err(|e| self.classify(reference, e))?;
        let actual = sha256_digest(&bytes);
        if actual != digest {
            return Err(OciError::DigestMismatch {
                reference: reference.to_string(),
                expected: digest.to_string(),
                actual,
            });
        }
        let manifest: ArtifactManifest =
            serde_json::from_slice(&bytes).map_err(|e| OciError::NotAnArtifact {
                reference: reference.to_string(),
                message: format!("its manifest is not an OCI image manifest: {e}"),
            })?;
        if manifest.artifact_type.as_deref() != Some(ARTIFACT_TYPE) {
            return Err(OciError::NotAnArtifact {
                reference: reference.to_string(),
                message: format!(
                    "artifactType is {:?}, expected {ARTIFACT_TYPE}",
                    manifest.artifact_type.as_deref().unwrap_or("(none)")
                ),
            });
        }
        check_layout(reference, &manifest)?;
        Ok((manifest, bytes.to_vec()))
    }

    /// A blob of `reference`'s repository, checked against its digest.
    pub async fn blob(
        &self,
        reference: &ArtifactRef,
        layer: &OciDescriptor,
    ) -> Result<Vec<u8>, OciError> {
        // The size is the registry's word until the digest is checked.
        let mut out = Vec::with_capacity(layer.size.clamp(0, 1 << 20) as usize);
        self.client
            .pull_blob(&reference.reference, layer, &mut out)
            .await
            .map_err(|e| match e {
                OciDistributionError::DigestError(d) => {
                    // "Invalid digest. Expected sha256:a, got sha256:b"
                    let text = d.to_string();
                    let actual = text
                        .rsplit_once("got ")
                        .map(|(_, got)| got.trim().to_string())
                        .unwrap_or(text);
                    OciError::DigestMismatch {
                        reference: format!(
                            "{reference} layer {}",
                            layer.title().unwrap_or(&layer.digest)
                        ),
                        expected: layer.digest.clone(),
                        actual,
                    }
                }
                other => self.classify(reference, other),
            })?;
        let actual = sha256_digest(&out);
        if actual != layer.digest {
            return Err(OciError::DigestMismatch {
                reference: format!("{reference} layer {}", layer.title().unwrap_or("?")),
                expected: layer.digest.clone(),
                actual,
            });
        }
        Ok(out)
    }

    /// The raw manifest at `tag_or_digest` in `reference`'s repository, or
    /// `None` when there is none.
    pub async fn raw_manifest(
        &self,
        reference: &ArtifactRef,
        tag_or_digest: &str,
        accept: &[&str],
    ) -> Result<Option<Vec<u8>>, OciError> {
        let registry = reference.reference.registry().to_string();
        let repository = reference.reference.repository().to_string();
        let target = if tag_or_digest.starts_with("sha256:") {
            Reference::with_digest(registry, repository, tag_or_digest.to_string())
        } else {
            Reference::with_tag(registry, repository, tag_or_digest.to_string())
        };
        match self
            .client
            .pull_manifest_raw(&target, &self.credentials.auth, accept)
            .await
        {
            Ok((bytes, _)) => Ok(Some(bytes.to_vec())),
            Err(e) => match self.classify(reference, e) {
                OciError::NotFound { .. } => Ok(None),
                other => Err(other),
            },
        }
    }

    /// Digests of the manifests that refer to `digest` (OCI referrers API,
    /// or the `sha256-<hex>` tag schema where the registry lacks it).
    pub async fn referrers(
        &self,
        reference: &ArtifactRef,
        digest: &str,
    ) -> Result<Vec<String>, OciError> {
        self.client
            .store_auth_if_needed(reference.registry(), &self.credentials.auth)
            .await;
        let pinned = reference.with_digest(digest);
        match self.client.pull_referrers(&pinned.reference, None).await {
            Ok(index) => Ok(index.manifests.into_iter().map(|m| m.digest).collect()),
            Err(e) => match self.classify(reference, e) {
                OciError::NotFound { .. } => Ok(Vec::new()),
                other => Err(other),
            },
        }
    }

    /// Resolves `reference` to a digest and unpacks that manifest's layers
    /// into the cache (once per digest).
    pub async fn pull(&self, reference: &ArtifactRef) -> Result<PulledArtifact, OciError> {
        let digest = self.resolve(reference).await?;
        self.pull_digest(reference, &digest).await
    }

    pub async fn pull_digest(
        &self,
        reference: &ArtifactRef,
        digest: &str,
    ) -> Result<PulledArtifact, OciError> {
        let (manifest, _) = self.manifest(reference, digest).await?;
        self.unpack(reference, digest, manifest).await
    }

    /// Unpacks the layers of `manifest` (fetched from [`Registry::manifest`]
    /// for `digest`) into the cache.
    pub async fn unpack(
        &self,
        reference: &ArtifactRef,
        digest: &str,
        manifest: ArtifactManifest,
    ) -> Result<PulledArtifact, OciError> {
        let dir = cache_root(&self.options).join(digest.replace(':', "/"));
        let complete = dir.join(".floe-complete");
        // The cache is only a download saver: what was verified is the
        // digest, so every cached file is checked against it again.
        if complete.exists() && cached_layers_match(reference, &dir, &manifest) {
            return Ok(PulledArtifact {
                source: reference.clone(),
                digest: digest.to_string(),
                manifest,
                dir,
                cached: true,
            });
        }
        let parent = dir.parent().unwrap_or(&dir).to_path_buf();
        std::fs::create_dir_all(&parent).map_err(|e| OciError::io(&parent, e))?;
        let staging = parent.join(format!(
            ".{}-{}",
            digest.rsplit(':').next().unwrap_or("x"),
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&staging);
        std::fs::create_dir_all(&staging).map_err(|e| OciError::io(&staging, e))?;
        for layer in &manifest.layers {
            let name = layer_file_name(reference, layer)?;
            let bytes = self.blob(reference, layer).await?;
            let path = staging.join(&name);
            if let Some(p) = path.parent() {
                std::fs::create_dir_all(p).map_err(|e| OciError::io(p, e))?;
            }
            std::fs::write(&path, bytes).map_err(|e| OciError::io(&path, e))?;
        }
        if let Err(e) = check_platform_manifest_path(reference, &staging, &manifest) {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
        std::fs::write(staging.join(".floe-complete"), digest)
            .map_err(|e| OciError::io(&staging, e))?;
        if dir.exists() {
            // Left incomplete or changed: replace it. (A complete, matching
            // one was returned above.)
            let _ = std::fs::remove_dir_all(&dir);
        }
        if let Err(e) = std::fs::rename(&staging, &dir) {
            let _ = std::fs::remove_dir_all(&staging);
            // Another floe unpacked the same digest at the same moment.
            if !(dir.join(".floe-complete").exists()
                && cached_layers_match(reference, &dir, &manifest))
            {
                return Err(OciError::io(&dir, e));
            }
        }
        Ok(PulledArtifact {
            source: reference.clone(),
            digest: digest.to_string(),
            manifest,
            dir,
            cached: false,
        })
    }

    /// Where `reference`'s tag points now, when that is not `digest`
    /// (between plan and apply). `None` for a reference by digest.
    pub async fn tag_moved(
        &self,
        reference: &ArtifactRef,
        digest: &str,
    ) -> Result<Option<String>, OciError> {
        if reference.tag().is_none() {
            return Ok(None);
        }
        let now = self.resolve(reference).await?;
        Ok((now != digest).then_some(now))
    }

    /// Pushes `artifact` to `reference`'s tag. A tag that is a semantic
    /// version and already exists is refused (release tags are immutable).
    pub async fn push(
        &self,
        reference: &ArtifactRef,
        artifact: &PreparedArtifact,
    ) -> Result<String, OciError> {
        let tag = reference.tag().ok_or_else(|| OciError::BadReference {
            reference: reference.to_string(),
            message: "push needs a tag: oci://registry/repository:1.2.3".into(),
        })?;
        if semver::Version::parse(tag.trim_start_matches('v')).is_ok() {
            match self.resolve(reference).await {
                Ok(existing) => {
                    return Err(OciError::ImmutableTag {
                        reference: reference.to_string(),
                        existing,
                    })
                }
                Err(OciError::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        self.client
            .store_auth_if_needed(reference.registry(), &self.credentials.auth)
            .await;
        self.client
            .push_blob(
                &reference.reference,
                EMPTY_CONFIG.to_vec(),
                &sha256_digest(EMPTY_CONFIG),
            )
            .await
            .map_err(|e| self.classify(reference, e))?;
        for (bytes, desc) in artifact.blobs.iter().zip(&artifact.manifest.layers) {
            self.client
                .push_blob(&reference.reference, bytes.clone(), &desc.digest)
                .await
                .map_err(|e| self.classify(reference, e))?;
        }
        let body = serde_json::to_vec(&artifact.manifest).map_err(|e| OciError::Product {
            message: e.to_string(),
        })?;
        let digest = sha256_digest(&body);
        self.client
            .push_manifest_raw(
                &reference.reference,
                body,
                OCI_IMAGE_MEDIA_TYPE
                    .parse()
                    .expect("a static media type is a valid header value"),
            )
            .await
            .map_err(|e| self.classify(reference, e))?;
        Ok(digest)
    }
}

/// Where pulled artifacts live: `--cache-dir`, `$FLOE_CACHE_DIR`,
/// `$XDG_CACHE_HOME/floe`, `~/.cache/floe`; then `artifacts/sha256/<hex>`.
pub fn cache_root(options: &RegistryOptions) -> PathBuf {
    let base = options
        .cache_dir
        .clone()
        .or_else(|| std::env::var_os("FLOE_CACHE_DIR").map(PathBuf::from))
        .or_else(|| std::env::var_os("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("floe")))
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/floe")))
        .unwrap_or_else(|| std::env::temp_dir().join("floe-cache"));
    base.join("artifacts")
}

/// The largest layer floe accepts: product files are small, and a
/// registry's size claim must not make floe allocate or store gigabytes.
pub const MAX_LAYER_BYTES: i64 = 16 << 20;

/// The layers an artifact may hold: known media types, each once, with the
/// file names floe gives them. A Sigstore bundle signs media types, digests
/// and sizes, not titles, so the name of every file but the platform
/// manifest follows from its media type; the platform manifest's name is
/// checked against the signed floe.yaml once it is unpacked.
fn check_layout(reference: &ArtifactRef, manifest: &ArtifactManifest) -> Result<(), OciError> {
    let bad = |message: String| OciError::NotAnArtifact {
        reference: reference.to_string(),
        message,
    };
    let mut seen = std::collections::BTreeSet::new();
    for layer in &manifest.layers {
        let fixed = match layer.media_type.as_str() {
            COMPILED_MEDIA_TYPE => Some(COMPILED_FILE),
            SPEC_MEDIA_TYPE => Some("floe.yaml"),
            SETTINGS_MEDIA_TYPE => Some(SETTINGS_FILE),
            PLATFORM_MANIFEST_MEDIA_TYPE => None,
            other => {
                return Err(bad(format!(
                    "layer {} has media type {other:?}, which floe does not know",
                    layer.digest
                )))
            }
        };
        if !seen.insert(layer.media_type.as_str()) {
            return Err(bad(format!(
                "it has two layers of media type {}",
                layer.media_type
            )));
        }
        if !(0..=MAX_LAYER_BYTES).contains(&layer.size) {
            return Err(bad(format!(
                "layer {} claims {} bytes (at most {MAX_LAYER_BYTES})",
                layer.digest, layer.size
            )));
        }
        let name = layer_file_name(reference, layer)?;
        match fixed {
            Some(expected) if name != expected => {
                return Err(bad(format!(
                    "the {} layer is titled {name:?}, not {expected:?}",
                    layer.media_type
                )))
            }
            None if [COMPILED_FILE, "floe.yaml", SETTINGS_FILE].contains(&name.as_str()) => {
                return Err(bad(format!(
                    "the platform manifest layer is titled {name:?}"
                )))
            }
            _ => {}
        }
    }
    if !seen.contains(SPEC_MEDIA_TYPE) {
        return Err(bad("it has no floe.yaml layer".into()));
    }
    Ok(())
}

/// The platform manifest floe will read is the one the artifact carries:
/// floe.yaml's `platform.manifest` (default `manifest.yaml`) must name the
/// platform manifest layer, never a file outside the cache.
fn check_platform_manifest_path(
    reference: &ArtifactRef,
    dir: &Path,
    manifest: &ArtifactManifest,
) -> Result<(), OciError> {
    let bad = |message: String| OciError::NotAnArtifact {
        reference: reference.to_string(),
        message,
    };
    let spec = std::fs::read_to_string(dir.join("floe.yaml")).unwrap_or_default();
    let spec: serde_json::Value = serde_norway::from_str(&spec).unwrap_or_default();
    let carried = manifest
        .layers
        .iter()
        .find(|l| l.media_type == PLATFORM_MANIFEST_MEDIA_TYPE)
        .and_then(|l| l.title());
    let named = match spec.pointer("/platform/manifest").and_then(|v| v.as_str()) {
        Some(named) => named,
        // Nothing named and nothing carried: the product has no manifest.
        None if carried.is_none() => return Ok(()),
        None => crate::model::DEFAULT_MANIFEST_FILE,
    };
    if named.starts_with("oci://") {
        // The loader refuses it with its own message.
        return Ok(());
    }
    let path = Path::new(named);
    let plain = path.components().all(|c| {
        matches!(
            c,
            std::path::Component::Normal(_) | std::path::Component::CurDir
        )
    });
    let normal: Vec<String> = path
        .components()
        .filter_map(|c| match c {
            std::path::Component::Normal(p) => Some(p.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    if !plain || carried != Some(normal.join("/").as_str()) {
        return Err(bad(format!(
            "floe.yaml's platform.manifest {named:?} is not the platform manifest the artifact carries ({})",
            carried.map_or("none".to_string(), |c| format!("{c:?}"))
        )));
    }
    Ok(())
}

/// Every layer of `manifest` is in `dir` with the bytes its digest names,
/// and nothing else is there but the completion marker.
fn cached_layers_match(reference: &ArtifactRef, dir: &Path, manifest: &ArtifactManifest) -> bool {
    let mut expected = std::collections::BTreeSet::new();
    for layer in &manifest.layers {
        let Ok(name) = layer_file_name(reference, layer) else {
            return false;
        };
        match std::fs::read(dir.join(&name)) {
            Ok(bytes) if sha256_digest(&bytes) == layer.digest => {}
            _ => return false,
        }
        expected.insert(name);
    }
    let mut found = std::collections::BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            return false;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(rel) = path.strip_prefix(dir) {
                let rel = rel.to_string_lossy().replace('\\', "/");
                if rel != ".floe-complete" {
                    found.insert(rel);
                }
            }
        }
    }
    found == expected
}

/// A layer's file name: its title, which must be a plain relative path
/// (a registry is not trusted to write outside the cache directory).
fn layer_file_name(reference: &ArtifactRef, layer: &OciDescriptor) -> Result<String, OciError> {
    let title = layer.title().ok_or_else(|| OciError::NotAnArtifact {
        reference: reference.to_string(),
        message: format!("layer {} has no {TITLE} annotation", layer.digest),
    })?;
    let path = Path::new(title);
    let plain = !title.is_empty()
        && path
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
        && !title.starts_with(".floe");
    if !plain {
        return Err(OciError::NotAnArtifact {
            reference: reference.to_string(),
            message: format!("layer title {title:?} is not a plain relative file name"),
        });
    }
    Ok(title.to_string())
}

trait Titled {
    fn title(&self) -> Option<&str>;
}

impl Titled for OciDescriptor {
    fn title(&self) -> Option<&str> {
        self.annotations
            .as_ref()
            .and_then(|a| a.get(TITLE))
            .map(String::as_str)
    }
}

pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// An error and its causes on one line, each cause once.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let s = c.to_string();
        if !text.contains(&s) {
            text.push_str(": ");
            text.push_str(&s);
        }
        cause = c.source();
    }
    text
}

/// A product directory packed as an artifact, ready to push.
#[derive(Debug, Clone)]
pub struct PreparedArtifact {
    pub manifest: ArtifactManifest,
    pub blobs: Vec<Vec<u8>>,
}

/// Packs what `floe deploy` needs from a product directory: floe.yaml, the
/// platform manifest it names, floe-deploy.yaml (when present) and the
/// compiled artifact (`compiled_artifacts.json`, generated from floe.yaml
/// when the product has none). `bundle` is a base64 Sigstore bundle to
/// carry in the `dev.floe.signature.bundle` annotation.
pub fn prepare(
    dir: &Path,
    product_name: &str,
    product_version: &str,
    manifest_file: &str,
    bundle: Option<&str>,
) -> Result<PreparedArtifact, OciError> {
    let manifest_path = Path::new(manifest_file);
    if !manifest_path.components().all(|c| {
        matches!(
            c,
            std::path::Component::Normal(_) | std::path::Component::CurDir
        )
    }) {
        return Err(OciError::Product {
            message: format!(
                "floe.yaml's platform.manifest {manifest_file:?} is outside the product directory; an artifact carries the product directory only"
            ),
        });
    }
    let manifest_name = manifest_path
        .components()
        .filter(|c| matches!(c, std::path::Component::Normal(_)))
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/");
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read(&path).map_err(|e| OciError::io(&path, e))
    };
    let compiled = match std::fs::read(dir.join(COMPILED_FILE)) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            serde_json::to_vec_pretty(&serde_json::json!({
                "version": FLOE_ARTIFACTS_VERSION,
                "metadata": {"product_name": product_name, "product_version": product_version},
            }))
            .expect("a JSON value serialises")
        }
        Err(e) => return Err(OciError::io(&dir.join(COMPILED_FILE), e)),
    };
    let artifacts_version = serde_json::from_slice::<serde_json::Value>(&compiled)
        .ok()
        .and_then(|v| {
            v.get("version")
                .and_then(|v| v.as_str())
                .map(str::to_string)
        })
        .unwrap_or_else(|| FLOE_ARTIFACTS_VERSION.to_string());
    let mut files: Vec<(&str, String, Vec<u8>)> = vec![
        (COMPILED_MEDIA_TYPE, COMPILED_FILE.to_string(), compiled),
        (SPEC_MEDIA_TYPE, "floe.yaml".to_string(), read("floe.yaml")?),
        (
            PLATFORM_MANIFEST_MEDIA_TYPE,
            manifest_name.clone(),
            read(&manifest_name)?,
        ),
    ];
    match std::fs::read(dir.join(SETTINGS_FILE)) {
        Ok(bytes) => files.push((SETTINGS_MEDIA_TYPE, SETTINGS_FILE.to_string(), bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(OciError::io(&dir.join(SETTINGS_FILE), e)),
    }
    let mut layers = Vec::new();
    let mut blobs = Vec::new();
    for (media_type, title, bytes) in files {
        layers.push(OciDescriptor {
            media_type: media_type.to_string(),
            digest: sha256_digest(&bytes),
            size: bytes.len() as i64,
            annotations: Some([(TITLE.to_string(), title)].into_iter().collect()),
            ..OciDescriptor::default()
        });
        blobs.push(bytes);
    }
    let mut annotations: BTreeMap<String, String> = [
        (PRODUCT_NAME.to_string(), product_name.to_string()),
        (PRODUCT_VERSION.to_string(), product_version.to_string()),
        (ARTIFACTS_VERSION.to_string(), artifacts_version),
    ]
    .into_iter()
    .collect();
    if let Some(b) = bundle {
        annotations.insert(SIGNATURE_BUNDLE.to_string(), b.to_string());
    }
    let manifest = ArtifactManifest {
        schema_version: 2,
        media_type: Some(OCI_IMAGE_MEDIA_TYPE.to_string()),
        artifact_type: Some(ARTIFACT_TYPE.to_string()),
        config: OciDescriptor {
            media_type: EMPTY_CONFIG_MEDIA_TYPE.to_string(),
            digest: sha256_digest(EMPTY_CONFIG),
            size: EMPTY_CONFIG.len() as i64,
            ..OciDescriptor::default()
        },
        layers,
        annotations: Some(annotations),
    };
    Ok(PreparedArtifact { manifest, blobs })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_parse_with_ports_tags_and_digests() {
        let r = ArtifactRef::parse("oci://127.0.0.1:5000/floe/orders:1.2.0").unwrap();
        assert_eq!(r.registry(), "127.0.0.1:5000");
        assert_eq!(r.tag(), Some("1.2.0"));
        assert_eq!(r.to_string(), "oci://127.0.0.1:5000/floe/orders:1.2.0");
        let d = format!("sha256:{}", "a".repeat(64));
        let pinned = r.with_digest(&d);
        assert_eq!(pinned.digest(), Some(d.as_str()));
        for bad in ["127.0.0.1:5000/x:1", "oci://nohost", "oci://"] {
            let err = ArtifactRef::parse(bad).unwrap_err().to_string();
            assert!(err.contains("is not an OCI reference"), "{bad}: {err}");
        }
    }

    #[test]
    fn docker_config_entries_give_credentials() {
        let cfg = br#"{"auths": {"https://reg.example:5000": {"auth": "dXNlcjpwYXNz"}, "tok.example": {"identitytoken": "t"}}}"#;
        assert_eq!(
            docker_config_auth(cfg, "reg.example:5000"),
            Some(RegistryAuth::Basic("user".into(), "pass".into()))
        );
        assert_eq!(docker_config_auth(cfg, "tok.example"), None);
        assert_eq!(docker_config_auth(cfg, "other"), None);
        assert_eq!(docker_config_auth(b"not json", "other"), None);
    }

    #[test]
    fn credentials_travel_over_plain_http_only_to_loopback() {
        let creds = || Credentials {
            auth: RegistryAuth::Basic("u".into(), "secret-pw".into()),
            source: "FLOE_REGISTRY_USERNAME/FLOE_REGISTRY_PASSWORD".into(),
        };
        let plain = RegistryOptions {
            plain_http: true,
            ..RegistryOptions::default()
        };
        for local in ["127.0.0.1:5000", "localhost:5000", "[::1]:5000"] {
            assert!(Registry::new(local, &plain, creds()).is_ok(), "{local}");
        }
        let err = Registry::new("registry.example.com", &plain, creds())
            .err()
            .expect("refused")
            .to_string();
        assert!(
            err.contains("refusing to send registry credentials"),
            "{err}"
        );
        assert!(!err.contains("secret-pw"), "{err}");
        assert!(
            Registry::new("registry.example.com", &RegistryOptions::default(), creds()).is_ok()
        );
    }

    #[test]
    fn layer_titles_cannot_escape_the_cache() {
        let r = ArtifactRef::parse("oci://r.example/x:1").unwrap();
        for (title, ok) in [
            ("floe.yaml", true),
            ("config/manifest.yaml", true),
            ("../evil", false),
            ("/etc/passwd", false),
            ("", false),
            (".floe-complete", false),
        ] {
            let layer = OciDescriptor {
                annotations: Some([(TITLE.to_string(), title.to_string())].into()),
                ..OciDescriptor::default()
            };
            assert_eq!(layer_file_name(&r, &layer).is_ok(), ok, "{title}");
        }
    }

    #[test]
    fn prepared_artifact_has_the_platform_layout() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/minimal");
        let a = prepare(&dir, "p", "1.0.0", "manifest.yaml", None).unwrap();
        assert_eq!(a.manifest.artifact_type.as_deref(), Some(ARTIFACT_TYPE));
        assert_eq!(
            a.manifest.media_type.as_deref(),
            Some("application/vnd.oci.image.manifest.v1+json")
        );
        assert_eq!(a.manifest.config.media_type, EMPTY_CONFIG_MEDIA_TYPE);
        let titles: Vec<_> = a.manifest.layers.iter().filter_map(|l| l.title()).collect();
        assert_eq!(
            titles,
            [
                "compiled_artifacts.json",
                "floe.yaml",
                "manifest.yaml",
                "floe-deploy.yaml"
            ]
        );
        assert_eq!(a.manifest.annotation(PRODUCT_NAME), Some("p"));
        assert_eq!(a.manifest.annotation(ARTIFACTS_VERSION), Some("0.10.0"));
        let err = prepare(&dir, "p", "1", "../platform/manifest.yaml", None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("outside the product directory"), "{err}");
    }

    proptest::proptest! {
        #[test]
        fn no_reference_text_panics(text in "\\PC{0,80}") {
            let _ = ArtifactRef::parse(&text);
            let _ = ArtifactRef::parse(&format!("oci://{text}"));
        }

        #[test]
        fn no_docker_config_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            let _ = docker_config_auth(&bytes, "r.example");
        }
    }
}
