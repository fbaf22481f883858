//! A product directory read for one environment, and the environments
//! floe knows.

use super::diag::Diagnostic;
use super::platform::{FloeSpec, Manifest};
use super::settings::DeploySettings;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::PathBuf;

pub const SPEC_FILE: &str = "floe.yaml";
pub const DEFAULT_MANIFEST_FILE: &str = "manifest.yaml";

/// The environments the platform rules know. Each product gets one
/// namespace per environment, never shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    Dev,
    Staging,
    Prod,
}

impl Environment {
    pub const ALL: [Environment; 3] = [Environment::Dev, Environment::Staging, Environment::Prod];

    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Dev => "dev",
            Environment::Staging => "staging",
            Environment::Prod => "prod",
        }
    }

    pub fn parse(text: &str) -> Option<Environment> {
        Environment::ALL.into_iter().find(|e| e.as_str() == text)
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A product directory read for one environment, overlays applied.
#[derive(Debug, Clone)]
pub struct Product {
    pub dir: PathBuf,
    pub env: Environment,
    pub spec: FloeSpec,
    /// Where the spec was read from: floe.yaml, or compiled_artifacts.json.
    pub spec_file: String,
    pub manifest: Option<Manifest>,
    /// The manifest's path (or `oci://` reference) as the user wrote it,
    /// for messages.
    pub manifest_file: String,
    /// The manifest's artifact digest, when it was fetched from a registry.
    pub manifest_digest: Option<String>,
    /// Merged settings: manifest `deployment:` ⊕ floe-deploy.yaml ⊕ overlays.
    pub settings: DeploySettings,
    /// Image given on the command line; wins over the settings file.
    pub image_override: Option<String>,
    /// Warnings met while loading (unknown manifest keys, ...).
    pub warnings: Vec<Diagnostic>,
    /// Digest of the inputs the product was read from (`sha256:...`).
    pub input_digest: String,
}
