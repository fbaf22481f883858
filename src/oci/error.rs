//! What can go wrong talking to a registry or packing, fetching and
//! unpacking an artifact (signature problems are the verdict's, not errors).

use std::path::Path;

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
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        OciError::Io {
            path: path.display().to_string(),
            source,
        }
    }
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
