//! Registry credentials: where they come from (`FLOE_REGISTRY_*`, the docker
//! config file) and where they may go (never in clear text off this machine).

use super::error::OciError;
use oci_client::secrets::RegistryAuth;
use std::path::{Path, PathBuf};

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
        if let (Some(user), Some(password)) = (
            env_value("FLOE_REGISTRY_USERNAME"),
            env_value("FLOE_REGISTRY_PASSWORD"),
        ) {
            return Credentials {
                auth: RegistryAuth::Basic(user, password),
                source: "FLOE_REGISTRY_USERNAME/FLOE_REGISTRY_PASSWORD".into(),
            };
        }
        if let Some(token) = env_value("FLOE_REGISTRY_TOKEN") {
            return Credentials {
                auth: RegistryAuth::Bearer(token),
                source: "FLOE_REGISTRY_TOKEN".into(),
            };
        }
        docker_config_credentials(registry).unwrap_or_else(|| Credentials {
            auth: RegistryAuth::Anonymous,
            source: "anonymous: no FLOE_REGISTRY_* variables and no docker config entry".into(),
        })
    }
}

/// An environment variable that is set and not empty.
fn env_value(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The entry for `registry` in `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`.
fn docker_config_credentials(registry: &str) -> Option<Credentials> {
    let path = env_value("DOCKER_CONFIG")
        .map(PathBuf::from)
        .or_else(|| env_value("HOME").map(|h| Path::new(&h).join(".docker")))
        .map(|d| d.join("config.json"))?;
    let auth = std::fs::read(&path)
        .ok()
        .and_then(|bytes| docker_config_auth(&bytes, registry))?;
    Some(Credentials {
        auth,
        source: format!("{} (auths.{registry})", path.display()),
    })
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

/// A password in clear text may only travel to this machine: credentials over
/// plain HTTP to any other host are refused before a connection is made.
pub(crate) fn refuse_plain_http_off_loopback(
    registry: &str,
    plain_http: bool,
    credentials: &Credentials,
) -> Result<(), OciError> {
    if plain_http && credentials.auth != RegistryAuth::Anonymous && !is_loopback(registry) {
        return Err(OciError::CredentialsOverPlainHttp {
            registry: registry.to_string(),
            source_of_credentials: credentials.source.clone(),
        });
    }
    Ok(())
}

/// `localhost` or a loopback address, with or without a port.
fn is_loopback(registry: &str) -> bool {
    let host = registry.rsplit_once(':').map_or(registry, |(h, _)| h);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

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

    proptest::proptest! {
        #[test]
        fn no_docker_config_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            let _ = docker_config_auth(&bytes, "r.example");
        }
    }
}
