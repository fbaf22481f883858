//! Name syntax: DNS names for objects and Secrets, environment variables.

use crate::model::diag::Diagnostic;
use crate::model::SETTINGS_FILE;

/// DNS-1123 label: what namespaces, Services and most object names need.
pub fn is_dns1123_label(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
}

/// DNS-1123 subdomain: Secrets and ConfigMaps.
pub fn is_dns1123_subdomain(name: &str) -> bool {
    name.len() <= 253 && !name.is_empty() && name.split('.').all(is_dns1123_label)
}

pub(super) fn dns_hint() -> &'static str {
    "use lowercase letters, digits and '-', starting and ending with a letter or digit (at most 63 characters)"
}

/// The error for a name in the settings that is not a DNS label or
/// subdomain, as `what` (`Secret name`, `namespace name`) says.
pub(super) fn invalid_dns_name(path: impl Into<String>, what: &str, name: &str) -> Diagnostic {
    Diagnostic::error(SETTINGS_FILE, path, format!("invalid {what} {name:?}")).with_hint(dns_hint())
}

pub(super) fn check_env_name(path: &str, name: &str, out: &mut Vec<Diagnostic>) {
    let ok = !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-');
    if !ok {
        out.push(
            Diagnostic::error(
                SETTINGS_FILE,
                path,
                format!("invalid environment variable name {name:?}"),
            )
            .with_hint("use letters, digits and '_', not starting with a digit"),
        );
    }
}
