//! Who signed a keyless bundle, and whether the policy trusts them: the OIDC
//! issuer extension (1.3.6.1.4.1.57264.1.8, else the legacy .1.1) and the
//! subject alternative names (e-mail, URI or Sigstore other-name) of the leaf
//! certificate, against the policy's identity rules.
//!
//! The `sigstore` crate's `VerificationPolicy` trait cannot be implemented
//! outside it without a direct `x509-cert` dependency (its argument type), so
//! the certificate is read here. (The crate's own policies would not do
//! anyway: `policy::Identity` reads only the legacy issuer extension .1.1, and
//! `policy::AnyOf` fails when *any* child fails.)

use super::der::{der_items, der_next};
use super::error::BundleError;
use crate::oci::policy::IdentityRule;

/// Who signed, as the certificate says.
#[derive(Debug, Clone, PartialEq)]
pub struct BundleSigner {
    /// The OIDC issuer that vouched for the signer.
    pub issuer: String,
    /// The signer: the certificate's e-mail or URI subject alternative name.
    pub subject: String,
}

/// An [`IdentityRule`] ready to match, its regex anchored to the whole name.
pub(crate) struct CompiledRule {
    issuer: String,
    subject: Option<String>,
    regex: Option<(String, regex::Regex)>,
}

impl CompiledRule {
    fn matches(&self, issuer: &str, name: &str) -> bool {
        self.issuer == issuer
            && self.subject.as_deref().is_none_or(|s| s == name)
            && self.regex.as_ref().is_none_or(|(_, re)| re.is_match(name))
    }

    fn describe(&self) -> String {
        let mut text = format!("issuer {}", self.issuer);
        if let Some(s) = &self.subject {
            text.push_str(&format!(" with subject {s}"));
        }
        if let Some((re, _)) = &self.regex {
            let joint = if self.subject.is_some() {
                " and"
            } else {
                " with"
            };
            text.push_str(&format!("{joint} subject matching {re:?}"));
        }
        text
    }
}

/// The policy's rules, each checked: an issuer, and a subject or a regex
/// (an issuer alone would accept anyone it vouches for).
pub(crate) fn compile_rules(rules: &[IdentityRule]) -> Result<Vec<CompiledRule>, BundleError> {
    if rules.is_empty() {
        return Err(BundleError::NoRules);
    }
    rules
        .iter()
        .enumerate()
        .map(|(index, rule)| {
            let invalid = |message: String| BundleError::InvalidRule {
                index,
                issuer: rule.issuer.clone(),
                message,
            };
            if rule.issuer.trim().is_empty() {
                return Err(invalid("has an empty issuer".into()));
            }
            if rule.subject.is_none() && rule.subject_regex.is_none() {
                return Err(invalid(
                    "needs `subject` or `subject_regex`: an issuer alone would accept anyone it vouches for".into(),
                ));
            }
            let regex = match &rule.subject_regex {
                None => None,
                Some(re) => {
                    let compiled = regex::Regex::new(&format!("^(?:{re})$")).map_err(|e| {
                        invalid(format!("has a subject_regex {re:?} that is not a valid regular expression: {e}"))
                    })?;
                    Some((re.clone(), compiled))
                }
            };
            Ok(CompiledRule {
                issuer: rule.issuer.clone(),
                subject: rule.subject.clone(),
                regex,
            })
        })
        .collect()
}

/// Fulcio's OIDC issuer extensions (1.3.6.1.4.1.57264.1.8 and the legacy .1.1),
/// its other-name SAN type (.1.7), and subjectAltName (2.5.29.17), DER-encoded.
const OID_ISSUER_V2: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xbf, 0x30, 0x01, 0x08];
const OID_ISSUER_V1: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xbf, 0x30, 0x01, 0x01];
const OID_OTHERNAME: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xbf, 0x30, 0x01, 0x07];
const OID_SAN: &[u8] = &[0x55, 0x1d, 0x11];

/// The identity a leaf certificate names.
pub(crate) struct CertIdentity {
    pub issuer: Option<String>,
    pub names: Vec<String>,
}

impl CertIdentity {
    /// Reads the issuer and names from a DER certificate; `None` when it is malformed.
    pub(crate) fn parse(der: &[u8]) -> Option<Self> {
        let (0x30, cert, _) = der_next(der)? else {
            return None;
        };
        let (0x30, tbs, _) = der_next(cert)? else {
            return None;
        };
        let mut issuer_v1 = None;
        let mut issuer_v2 = None;
        let mut names = Vec::new();
        let Some((_, extensions)) = der_items(tbs)?.into_iter().find(|(tag, _)| *tag == 0xa3)
        else {
            return Some(CertIdentity {
                issuer: None,
                names,
            });
        };
        let (0x30, extensions, _) = der_next(extensions)? else {
            return None;
        };
        for (_, extension) in der_items(extensions)? {
            let items = der_items(extension)?;
            let (Some((0x06, oid)), Some((0x04, value))) = (items.first(), items.last()) else {
                return None;
            };
            match *oid {
                OID_ISSUER_V2 => {
                    if let Some((0x0c, text, _)) = der_next(value) {
                        issuer_v2 = std::str::from_utf8(text).ok().map(str::to_string);
                    }
                }
                OID_ISSUER_V1 => issuer_v1 = std::str::from_utf8(value).ok().map(str::to_string),
                OID_SAN => names.extend(subject_alternative_names(value)?),
                _ => {}
            }
        }
        Some(CertIdentity {
            issuer: issuer_v2.or(issuer_v1),
            names,
        })
    }

    pub(crate) fn check(self, rules: &[CompiledRule]) -> Result<BundleSigner, BundleError> {
        let issuer = self.issuer.ok_or_else(|| {
            BundleError::NoIdentity(
                "it has no OIDC issuer extension (1.3.6.1.4.1.57264.1.8 or .1.1)".into(),
            )
        })?;
        if self.names.is_empty() {
            return Err(BundleError::NoIdentity(
                "it has no e-mail or URI subject alternative name".into(),
            ));
        }
        for name in &self.names {
            if rules.iter().any(|r| r.matches(&issuer, name)) {
                return Ok(BundleSigner {
                    issuer,
                    subject: name.clone(),
                });
            }
        }
        Err(BundleError::IdentityNotAllowed {
            issuer,
            subject: self.names.join(", "),
            rules: rules
                .iter()
                .map(CompiledRule::describe)
                .collect::<Vec<_>>()
                .join("; "),
        })
    }
}

/// The e-mail, URI and Sigstore other-name entries of a subject alternative
/// name extension's value; `None` when it is malformed.
fn subject_alternative_names(value: &[u8]) -> Option<Vec<String>> {
    let (0x30, general_names, _) = der_next(value)? else {
        return None;
    };
    let mut names = Vec::new();
    for (tag, content) in der_items(general_names)? {
        let name = match tag {
            // rfc822Name, uniformResourceIdentifier
            0x81 | 0x86 => std::str::from_utf8(content).ok(),
            // otherName: type-id, [0] EXPLICIT UTF8String
            0xa0 => match der_items(content)?.as_slice() {
                [(0x06, OID_OTHERNAME), (0xa0, inner)] => match der_next(inner) {
                    Some((0x0c, text, _)) => std::str::from_utf8(text).ok(),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        };
        names.extend(name.map(str::to_string));
    }
    Some(names)
}
