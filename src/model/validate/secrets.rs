//! Credentials written into plugin config. In dev an inline value moves
//! into the Secret floe owns (a warning says so); in staging and prod it is
//! refused. Messages name the key, never the value.

use crate::model::credentials::{
    credentials_secret_name, plugin_credentials, Credential, CredentialSource,
};
use crate::model::diag::Diagnostic;
use crate::model::{Environment, Product};
use std::collections::BTreeMap;

pub(super) fn credential_rules(p: &Product, out: &mut Vec<Diagnostic>) {
    let Some(manifest) = &p.manifest else { return };
    let file = p.manifest_file.as_str();
    let credentials = plugin_credentials(manifest);
    let secret = credentials_secret_name(&p.spec.metadata.name);
    for c in credentials.iter().filter(|c| c.is_inline()) {
        out.push(match p.env {
            Environment::Dev => moved_to_secret(file, c, &secret),
            _ => inline_refused(file, c),
        });
    }
    let mut by_variable: BTreeMap<String, &Credential> = BTreeMap::new();
    for c in &credentials {
        if let Some(first) = by_variable.insert(c.env_var(), c) {
            out.push(
                Diagnostic::error(
                    file,
                    c.field(),
                    format!(
                        "{} and {} would both be passed as {}",
                        first.field(),
                        c.field(),
                        c.env_var()
                    ),
                )
                .with_hint("rename one of the keys"),
            );
        }
    }
    if p.env == Environment::Dev && credentials.iter().any(Credential::is_inline) {
        secret_name_taken(p, &credentials, &secret, out);
    }
}

/// The credentials Secret is floe's own: no reference may name it.
fn secret_name_taken(
    p: &Product,
    credentials: &[Credential],
    secret: &str,
    out: &mut Vec<Diagnostic>,
) {
    let referenced = credentials.iter().find_map(|c| match &c.source {
        CredentialSource::SecretRef { secret: s, .. } if s == secret => {
            Some((p.manifest_file.clone(), c.field()))
        }
        _ => None,
    });
    let mounted = p.settings.workloads.iter().find_map(|(name, w)| {
        w.secrets.iter().position(|s| s.secret == secret).map(|i| {
            (
                crate::model::SETTINGS_FILE.to_string(),
                format!("workloads.{name}.secrets[{i}].secret"),
            )
        })
    });
    if let Some((file, path)) = referenced.or(mounted) {
        out.push(
            Diagnostic::error(
                &file,
                path,
                format!("Secret {secret:?} is the one floe renders for the manifest's inline credentials"),
            )
            .with_hint("name another Secret, or move the inline credentials to `secret_ref`s"),
        );
    }
}

/// Dev only: the value goes into floe's own Secret, never a ConfigMap.
fn moved_to_secret(file: &str, c: &Credential, secret: &str) -> Diagnostic {
    Diagnostic::warning(
        file,
        c.field(),
        format!(
            "inline credential {:?}: floe keeps it in Secret {secret} (key {}) and passes it as {}; allowed in dev only",
            c.key,
            c.secret_key(),
            c.env_var()
        ),
    )
    .with_hint(format!(
        "staging and prod refuse it: {}",
        secret_ref_hint(&c.key)
    ))
}

/// The error for a credential written into plugin config outside dev.
/// Names the key; the value is never part of it.
fn inline_refused(file: &str, c: &Credential) -> Diagnostic {
    Diagnostic::error(
        file,
        c.field(),
        format!(
            "secret-looking key {:?} has an inline value that would land in a ConfigMap",
            c.key
        ),
    )
    .with_hint(format!(
        "{}; floe keeps inline credentials in a Secret of its own only in dev",
        secret_ref_hint(&c.key)
    ))
}

fn secret_ref_hint(key: &str) -> String {
    format!(
        "store the value in a Kubernetes Secret and write `{key}: {{secret_ref: <secret>, key: <key>}}` (or a `${{ENV_VAR}}` placeholder, or set the plugin's connection_secret_ref)"
    )
}
