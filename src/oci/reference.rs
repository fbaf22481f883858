//! Artifact references: `oci://registry[:port]/repository[:tag][@sha256:...]`.

use super::error::OciError;
use oci_client::Reference;

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

    proptest::proptest! {
        #[test]
        fn no_reference_text_panics(text in "\\PC{0,80}") {
            let _ = ArtifactRef::parse(&text);
            let _ = ArtifactRef::parse(&format!("oci://{text}"));
        }
    }
}
