//! The signature policy: which artifacts an environment accepts.
//!
//! It is the operator's, never the artifact's own (an artifact cannot vouch
//! for itself): `--policy FILE` names either a standalone policy file or a
//! platform `manifest.yaml`, whose `artifacts.verification` is read.

use crate::model::Environment;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Enforcement {
    /// Refuse anything not verified (exit 6).
    Enforce,
    /// Deploy, but say loudly what failed, and record it.
    Warn,
    /// Do not check.
    Off,
}

impl Enforcement {
    pub fn as_str(self) -> &'static str {
        match self {
            Enforcement::Enforce => "enforce",
            Enforcement::Warn => "warn",
            Enforcement::Off => "off",
        }
    }
}

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

/// The file shape (`artifacts.verification` of the platform manifest). An
/// entry of `environments` has the same fields but `environments`, and
/// overrides the ones it sets for that environment.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicySpec {
    #[serde(default)]
    pub enforcement: Option<Enforcement>,
    /// PEM public key of a cosign key pair: a file path (relative to the
    /// policy file) or the PEM text itself.
    #[serde(default)]
    pub public_key_ref: Option<String>,
    /// Sigstore trusted_root.json for bundle verification (path).
    #[serde(default)]
    pub trusted_root: Option<String>,
    #[serde(default)]
    pub trusted_issuers: Option<Vec<IdentityRule>>,
    /// Per-environment overrides of the fields above.
    #[serde(default)]
    pub environments: BTreeMap<String, PolicySpec>,
}

impl PolicySpec {
    /// The fields for `env`: its `environments` entry over the defaults.
    /// Every entry must name a known environment and set no `environments`.
    fn for_environment(mut self, env: Environment) -> Result<PolicySpec, String> {
        for (name, entry) in &self.environments {
            if Environment::parse(name).is_none() {
                return Err(format!(
                    "environments.{name}: unknown environment (dev, staging or prod)"
                ));
            }
            if !entry.environments.is_empty() {
                return Err(format!(
                    "environments.{name}: unknown field `environments`, expected one of \
                     `enforcement`, `public_key_ref`, `trusted_root`, `trusted_issuers`"
                ));
            }
        }
        let Some(over) = self.environments.remove(env.as_str()) else {
            return Ok(self);
        };
        Ok(PolicySpec {
            enforcement: over.enforcement.or(self.enforcement),
            public_key_ref: over.public_key_ref.or(self.public_key_ref),
            trusted_root: over.trusted_root.or(self.trusted_root),
            trusted_issuers: over.trusted_issuers.or(self.trusted_issuers),
            environments: BTreeMap::new(),
        })
    }
}

/// A loaded, environment-resolved policy.
#[derive(Debug, Clone)]
pub struct Policy {
    pub enforcement: Enforcement,
    /// (where it came from, PEM bytes)
    pub public_key: Option<(String, Vec<u8>)>,
    pub trusted_root: Option<(String, Vec<u8>)>,
    pub trusted_issuers: Vec<IdentityRule>,
    /// The policy file, or a note that there was none.
    pub origin: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("cannot read the signature policy {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
    #[error("{path}: {field}: cannot read {file}")]
    Material {
        path: String,
        field: String,
        file: String,
        #[source]
        source: std::io::Error,
    },
}

impl Policy {
    /// Without a policy file: prod refuses what it cannot verify, other
    /// environments warn.
    pub fn default_for(env: Environment) -> Policy {
        Policy {
            enforcement: if env == Environment::Prod {
                Enforcement::Enforce
            } else {
                Enforcement::Warn
            },
            public_key: None,
            trusted_root: None,
            trusted_issuers: Vec::new(),
            origin: "no signature policy given (--policy FILE)".into(),
        }
    }

    pub fn off() -> Policy {
        Policy {
            enforcement: Enforcement::Off,
            ..Policy::default_for(Environment::Dev)
        }
    }

    /// Reads `path` (a policy file or a platform manifest) for `env`.
    pub fn load(path: &Path, env: Environment) -> Result<Policy, PolicyError> {
        let origin = path.display().to_string();
        let invalid = |message: String| PolicyError::Invalid {
            path: origin.clone(),
            message,
        };
        let spec = read_spec(path, &origin)?
            .for_environment(env)
            .map_err(invalid)?;
        let enforcement = spec.enforcement.unwrap_or(Enforcement::Enforce);
        let trusted_issuers = spec.trusted_issuers.unwrap_or_default();
        check_identity_rules(&trusted_issuers).map_err(invalid)?;
        let materials = Materials {
            path,
            origin: &origin,
        };
        let public_key = materials.read("public_key_ref", spec.public_key_ref.as_deref())?;
        if let Some((source, pem)) = &public_key {
            check_public_key(source, pem).map_err(invalid)?;
        }
        let trusted_root = materials.read("trusted_root", spec.trusted_root.as_deref())?;
        if enforcement != Enforcement::Off
            && public_key.is_none()
            && (trusted_root.is_none() || trusted_issuers.is_empty())
        {
            return Err(invalid(format!(
                "enforcement is {} for {env} but nothing to verify with: set public_key_ref, or trusted_root and trusted_issuers",
                enforcement.as_str()
            )));
        }
        Ok(Policy {
            enforcement,
            public_key,
            trusted_root,
            trusted_issuers,
            origin,
        })
    }
}

/// The policy file's fields: the whole file, or a platform manifest's
/// `artifacts.verification`.
fn read_spec(path: &Path, origin: &str) -> Result<PolicySpec, PolicyError> {
    let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Read {
        path: origin.to_string(),
        source,
    })?;
    let invalid = |message: String| PolicyError::Invalid {
        path: origin.to_string(),
        message,
    };
    let value: serde_json::Value =
        serde_norway::from_str(&text).map_err(|e| invalid(format!("not YAML: {e}")))?;
    let spec_value = if value.get("kind").and_then(|k| k.as_str()) == Some("Manifest") {
        value
            .pointer("/artifacts/verification")
            .cloned()
            .ok_or_else(|| {
                invalid("this platform manifest has no artifacts.verification section".to_string())
            })?
    } else {
        value
    };
    serde_path_to_error::deserialize(spec_value).map_err(|e| {
        let field = e.path().to_string();
        invalid(format!("{field}: {}", e.inner()))
    })
}

/// Each rule names its subject one way, and a regex that compiles.
fn check_identity_rules(rules: &[IdentityRule]) -> Result<(), String> {
    for (i, rule) in rules.iter().enumerate() {
        if rule.subject.is_none() == rule.subject_regex.is_none() {
            return Err(format!(
                "trusted_issuers[{i}]: give exactly one of subject and subject_regex"
            ));
        }
        if let Some(re) = &rule.subject_regex {
            regex::Regex::new(re)
                .map_err(|e| format!("trusted_issuers[{i}].subject_regex: {e}"))?;
        }
    }
    Ok(())
}

/// A private key or a certificate here would only surface later as "signed
/// with another key"; say what is wrong now.
fn check_public_key(source: &str, pem: &[u8]) -> Result<(), String> {
    sigstore::crypto::CosignVerificationKey::try_from_pem(pem)
        .map(|_| ())
        .map_err(|e| {
            format!("public_key_ref: {source} is not a PEM public key cosign signs for ({e})")
        })
}

/// Key and trusted-root material a policy file refers to.
struct Materials<'a> {
    path: &'a Path,
    origin: &'a str,
}

impl Materials<'_> {
    /// `reference`'s bytes and where they came from: inline PEM text, or a
    /// file relative to the policy file.
    fn read(
        &self,
        field: &str,
        reference: Option<&str>,
    ) -> Result<Option<(String, Vec<u8>)>, PolicyError> {
        let Some(reference) = reference else {
            return Ok(None);
        };
        if reference.trim_start().starts_with("-----BEGIN") {
            return Ok(Some((
                format!("{field} (inline)"),
                reference.as_bytes().to_vec(),
            )));
        }
        let base = self
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let file: PathBuf = base.join(reference);
        match std::fs::read(&file) {
            Ok(bytes) => Ok(Some((file.display().to_string(), bytes))),
            Err(source) => Err(PolicyError::Material {
                path: self.origin.to_string(),
                field: field.to_string(),
                file: file.display().to_string(),
                source,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEST_PUBLIC_KEY: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE0UIzeDbv9tATVx5CtOYy0fAGyl87
RYZpL/1DkdpmwkL268n6fl5Nk5npK446bQTGx7lDZsY62ulw3oziSIxbWg==
-----END PUBLIC KEY-----
";

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("floe-policy-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn environment_overrides_apply() {
        let d = tmp("env");
        write(&d, "k.pub", TEST_PUBLIC_KEY);
        let p = write(
            &d,
            "policy.yaml",
            "enforcement: enforce\npublic_key_ref: k.pub\nenvironments:\n  dev:\n    enforcement: warn\n",
        );
        assert_eq!(
            Policy::load(&p, Environment::Dev).unwrap().enforcement,
            Enforcement::Warn
        );
        let prod = Policy::load(&p, Environment::Prod).unwrap();
        assert_eq!(prod.enforcement, Enforcement::Enforce);
        assert!(prod.public_key.unwrap().0.ends_with("k.pub"));
    }

    #[test]
    fn platform_manifest_section_is_read() {
        let d = tmp("manifest");
        let p = write(
            &d,
            "manifest.yaml",
            "apiVersion: floe.dev/v1\nkind: Manifest\nartifacts:\n  verification:\n    enforcement: enforce\n    trusted_root: root.json\n    trusted_issuers:\n      - issuer: https://issuer.example\n        subject_regex: '.*@floe\\.dev'\n",
        );
        let err = Policy::load(&p, Environment::Prod).unwrap_err().to_string();
        assert!(err.contains("trusted_root: cannot read"), "{err}");
        write(&d, "root.json", "{}");
        let policy = Policy::load(&p, Environment::Prod).unwrap();
        assert_eq!(policy.trusted_issuers.len(), 1);
    }

    #[test]
    fn mistakes_are_named() {
        let d = tmp("bad");
        write(&d, "k.pub", TEST_PUBLIC_KEY);
        write(
            &d,
            "not-a-key.pem",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        );
        for (text, expect) in [
            ("enforcment: enforce\n", "unknown field `enforcment`"),
            ("enforcement: maybe\n", "enforcement: unknown variant `maybe`"),
            ("enforcement: enforce\n", "nothing to verify with"),
            (
                "public_key_ref: k.pub\nenvironments:\n  qa: {}\n",
                "environments.qa: unknown environment",
            ),
            (
                "public_key_ref: not-a-key.pem\n",
                "public_key_ref: ",
            ),
            (
                "trusted_root: '-----BEGIN'\ntrusted_issuers:\n  - issuer: i\n",
                "trusted_issuers[0]: give exactly one of subject and subject_regex",
            ),
            (
                "trusted_root: '-----BEGIN'\ntrusted_issuers:\n  - issuer: i\n    subject_regex: '('\n",
                "trusted_issuers[0].subject_regex",
            ),
        ] {
            let p = write(&d, "p.yaml", text);
            let err = Policy::load(&p, Environment::Dev).unwrap_err().to_string();
            assert!(err.contains(expect), "{text:?}: {err}");
        }
    }

    #[test]
    fn environments_do_not_nest() {
        let d = tmp("nested");
        write(&d, "k.pub", TEST_PUBLIC_KEY);
        let p = write(
            &d,
            "p.yaml",
            "public_key_ref: k.pub\nenvironments:\n  dev:\n    environments:\n      prod: {}\n",
        );
        let err = Policy::load(&p, Environment::Prod).unwrap_err().to_string();
        assert!(
            err.ends_with("environments.dev: unknown field `environments`, expected one of `enforcement`, `public_key_ref`, `trusted_root`, `trusted_issuers`"),
            "{err}"
        );
    }

    proptest::proptest! {
        #[test]
        fn no_policy_text_panics(text in "\\PC{0,200}") {
            let d = tmp("prop");
            let p = write(&d, "p.yaml", &text);
            let _ = Policy::load(&p, Environment::Prod);
        }
    }
}
