//! The registry client: resolve a tag, pull a manifest and its blobs (each
//! checked against its digest), unpack into the cache, push, check that a
//! tag has not moved, and list a digest's referrers.

use super::cache::{CacheEntry, PulledArtifact};
use super::credentials::{refuse_plain_http_off_loopback, Credentials};
use super::error::{error_chain, OciError};
use super::layout::{
    check_platform_manifest_path, layer_file_name, parse_manifest, sha256_digest, ArtifactManifest,
    Titled, EMPTY_CONFIG,
};
use super::package::PreparedArtifact;
use super::reference::ArtifactRef;
use oci_client::client::{Certificate, CertificateEncoding, ClientConfig, ClientProtocol};
use oci_client::errors::{OciDistributionError, OciEnvelope};
use oci_client::manifest::{OciDescriptor, IMAGE_MANIFEST_MEDIA_TYPE, OCI_IMAGE_MEDIA_TYPE};
use oci_client::{Client, Reference};
use std::path::PathBuf;

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
        refuse_plain_http_off_loopback(registry, options.plain_http, &credentials)?;
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
        match err {
            OciDistributionError::AuthenticationFailure(_)
            | OciDistributionError::UnauthorizedError { .. }
            | OciDistributionError::ServerError { code: 401, .. }
            | OciDistributionError::ServerError { code: 403, .. } => self.unauthorized(reference),
            OciDistributionError::RequestError(e) => OciError::Unreachable {
                registry: reference.registry().to_string(),
                message: error_chain(&e),
            },
            OciDistributionError::ImageManifestNotFoundError(_)
            | OciDistributionError::ServerError { code: 404, .. } => OciError::NotFound {
                reference: reference.to_string(),
            },
            OciDistributionError::RegistryError { envelope, .. } => {
                self.classify_envelope(reference, &envelope)
            }
            other => OciError::Registry {
                reference: reference.to_string(),
                message: other.to_string(),
            },
        }
    }

    /// A registry's own error codes, as one of ours.
    fn classify_envelope(&self, reference: &ArtifactRef, envelope: &OciEnvelope) -> OciError {
        let codes: Vec<String> = envelope
            .errors
            .iter()
            .map(|e| format!("{:?}", e.code))
            .collect();
        let has = |c: &str| codes.iter().any(|x| x.eq_ignore_ascii_case(c));
        if has("Unauthorized") || has("Denied") {
            self.unauthorized(reference)
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

    fn unauthorized(&self, reference: &ArtifactRef) -> OciError {
        OciError::Unauthorized {
            registry: reference.registry().to_string(),
            source_of_credentials: self.credentials.source.clone(),
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
        let manifest = parse_manifest(reference, &bytes)?;
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
        let entry = CacheEntry::for_digest(self.options.cache_dir.as_deref(), digest);
        let cached = entry.is_intact(reference, &manifest);
        if !cached {
            let staging = entry.stage(digest)?;
            for layer in &manifest.layers {
                let name = layer_file_name(reference, layer)?;
                let bytes = self.blob(reference, layer).await?;
                staging.write(&name, bytes)?;
            }
            if let Err(e) = check_platform_manifest_path(reference, staging.path(), &manifest) {
                staging.discard();
                return Err(e);
            }
            staging.commit(digest, &entry, reference, &manifest)?;
        }
        Ok(PulledArtifact {
            source: reference.clone(),
            digest: digest.to_string(),
            manifest,
            dir: entry.dir,
            cached,
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
        self.refuse_existing_release_tag(reference).await?;
        self.client
            .store_auth_if_needed(reference.registry(), &self.credentials.auth)
            .await;
        let config = (EMPTY_CONFIG.to_vec(), sha256_digest(EMPTY_CONFIG));
        let layers = artifact
            .blobs
            .iter()
            .zip(&artifact.manifest.layers)
            .map(|(bytes, desc)| (bytes.clone(), desc.digest.clone()));
        for (bytes, digest) in std::iter::once(config).chain(layers) {
            self.client
                .push_blob(&reference.reference, bytes, &digest)
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

    /// Push needs a tag; one that is a semantic version must not exist yet.
    async fn refuse_existing_release_tag(&self, reference: &ArtifactRef) -> Result<(), OciError> {
        let tag = reference.tag().ok_or_else(|| OciError::BadReference {
            reference: reference.to_string(),
            message: "push needs a tag: oci://registry/repository:1.2.3".into(),
        })?;
        if semver::Version::parse(tag.trim_start_matches('v')).is_err() {
            return Ok(());
        }
        match self.resolve(reference).await {
            Ok(existing) => Err(OciError::ImmutableTag {
                reference: reference.to_string(),
                existing,
            }),
            Err(OciError::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oci_client::secrets::RegistryAuth;

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
}
