//! The Sigstore trusted root (`trusted_root.json`): the Fulcio certificate
//! authorities, the Rekor transparency logs and the CT logs a bundle must
//! lead back to. The `validFor` of the Rekor keys is checked; that of the
//! certificate authorities and CT logs is not.

use super::error::BundleError;
use super::time::{rfc3339_to_unix, unix_to_rfc3339};
use super::tlog::{LogKey, TlogEntry};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use sigstore::trust::ManualTrustRoot;
use std::collections::BTreeMap;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TrustedRootJson {
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    tlogs: Vec<LogJson>,
    #[serde(default)]
    certificate_authorities: Vec<CaJson>,
    #[serde(default)]
    ctlogs: Vec<LogJson>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LogJson {
    #[serde(default)]
    base_url: Option<String>,
    public_key: PublicKeyJson,
    #[serde(default)]
    log_id: Option<LogIdJson>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PublicKeyJson {
    raw_bytes: String,
    #[serde(default)]
    valid_for: Option<ValidForJson>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LogIdJson {
    key_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ValidForJson {
    #[serde(default)]
    start: Option<String>,
    #[serde(default)]
    end: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CaJson {
    cert_chain: CertChainJson,
}

#[derive(Deserialize)]
struct CertChainJson {
    certificates: Vec<RawBytesJson>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawBytesJson {
    raw_bytes: String,
}

pub(crate) struct TrustRoot {
    fulcio_certs: Vec<Vec<u8>>,
    rekor: Vec<LogKey>,
    ctlogs: Vec<LogKey>,
}

impl TrustRoot {
    pub(crate) fn parse(json: &[u8]) -> Result<Self, BundleError> {
        let root: TrustedRootJson = serde_json::from_slice(json)
            .map_err(|e| bad(format!("it is not a Sigstore trusted_root.json ({e})")))?;
        if let Some(mt) = &root.media_type {
            if !mt.starts_with("application/vnd.dev.sigstore.trustedroot") {
                return Err(bad(format!(
                    "its mediaType is {mt:?}, not application/vnd.dev.sigstore.trustedroot+json;version=0.1"
                )));
            }
        }
        let mut fulcio_certs = Vec::new();
        for (i, ca) in root.certificate_authorities.iter().enumerate() {
            for (j, cert) in ca.cert_chain.certificates.iter().enumerate() {
                fulcio_certs.push(decode(
                    &cert.raw_bytes,
                    &format!("certificateAuthorities[{i}].certChain.certificates[{j}].rawBytes"),
                )?);
            }
        }
        let rekor = log_keys(&root.tlogs, "tlogs")?;
        let ctlogs = log_keys(&root.ctlogs, "ctlogs")?;
        for (list, what) in [
            (
                fulcio_certs.is_empty(),
                "certificate authority (certificateAuthorities)",
            ),
            (rekor.is_empty(), "transparency log (tlogs)"),
            (ctlogs.is_empty(), "CT log (ctlogs)"),
        ] {
            if list {
                return Err(bad(format!("it names no {what}")));
            }
        }
        Ok(TrustRoot {
            fulcio_certs,
            rekor,
            ctlogs,
        })
    }

    pub(crate) fn manual(&self) -> ManualTrustRoot<'static> {
        let keys = |logs: &[LogKey]| -> BTreeMap<String, Vec<u8>> {
            logs.iter()
                .map(|k| (hex::encode(&k.id), k.spki.clone()))
                .collect()
        };
        ManualTrustRoot {
            fulcio_certs: self.fulcio_certs.iter().cloned().map(Into::into).collect(),
            rekor_keys: keys(&self.rekor),
            ctfe_keys: keys(&self.ctlogs),
        }
    }

    /// The Rekor key the entry names, valid at its integrated time.
    pub(crate) fn rekor_key(&self, entry: &TlogEntry) -> Result<LogKey, BundleError> {
        let key = self
            .rekor
            .iter()
            .find(|k| k.id == entry.log_id)
            .ok_or_else(|| {
                BundleError::InvalidSet(format!(
                    "the entry is from transparency log {}, which is not in the trusted root",
                    hex::encode(&entry.log_id)
                ))
            })?;
        let t = entry.integrated_time;
        if key.valid_from.is_some_and(|s| t < s) || key.valid_until.is_some_and(|e| t > e) {
            return Err(BundleError::InvalidSet(format!(
                "the trusted root's key for {} was not valid at the integrated time {}",
                key.name,
                unix_to_rfc3339(t)
            )));
        }
        Ok(key.clone())
    }
}

fn bad(message: String) -> BundleError {
    BundleError::TrustedRoot(message)
}

fn decode(text: &str, what: &str) -> Result<Vec<u8>, BundleError> {
    BASE64
        .decode(text)
        .map_err(|e| bad(format!("{what} is not base64 ({e})")))
}

/// The keys of `logs` (the trusted root's `field`); a log without a log id
/// is named by the SHA-256 of its key.
fn log_keys(logs: &[LogJson], field: &str) -> Result<Vec<LogKey>, BundleError> {
    logs.iter()
        .enumerate()
        .map(|(i, log)| {
            let spki = decode(
                &log.public_key.raw_bytes,
                &format!("{field}[{i}].publicKey.rawBytes"),
            )?;
            let id = match &log.log_id {
                Some(id) => decode(&id.key_id, &format!("{field}[{i}].logId.keyId"))?,
                None => Sha256::digest(&spki).to_vec(),
            };
            let valid = log.public_key.valid_for.as_ref();
            let time = |t: Option<&String>, what: &str| valid_for_time(t, field, i, what);
            Ok(LogKey {
                name: log
                    .base_url
                    .clone()
                    .unwrap_or_else(|| format!("{field}[{i}]")),
                id,
                spki,
                valid_from: time(valid.and_then(|v| v.start.as_ref()), "start")?,
                valid_until: time(valid.and_then(|v| v.end.as_ref()), "end")?,
            })
        })
        .collect()
}

/// A `validFor` bound as Unix seconds.
fn valid_for_time(
    time: Option<&String>,
    field: &str,
    index: usize,
    what: &str,
) -> Result<Option<i64>, BundleError> {
    time.map(|t| {
        rfc3339_to_unix(t).ok_or_else(|| {
            bad(format!(
                "{field}[{index}].publicKey.validFor.{what} {t:?} is not an RFC 3339 time"
            ))
        })
    })
    .transpose()
}
