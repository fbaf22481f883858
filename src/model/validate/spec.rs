//! Rules for floe.yaml: the document header, the product's name and
//! version, its transforms and its schedule.

use super::cron::{check_cron, CRON_HINT};
use crate::model::diag::Diagnostic;
use crate::model::{Product, SPEC_FILE};
use std::collections::BTreeSet;

pub(super) fn spec_rules(p: &Product, out: &mut Vec<Diagnostic>) {
    let spec = &p.spec;
    check_header(
        SPEC_FILE,
        (&spec.api_version, &spec.kind),
        ("FloeSpec", "floe.yaml holds one `kind: FloeSpec` document"),
        out,
    );
    product_identity_rules(p, out);
    transform_rules(p, out);
    if let Some(cron) = spec.schedule.as_ref().and_then(|s| s.cron.as_deref()) {
        if let Err(why) = check_cron(cron) {
            out.push(
                Diagnostic::error(
                    SPEC_FILE,
                    "schedule.cron",
                    format!("invalid cron expression {cron:?}: {why}"),
                )
                .with_hint(CRON_HINT),
            );
        }
    }
}

/// `apiVersion: floe.dev/v1` and the document's own kind, for floe.yaml and
/// the manifest alike.
pub(super) fn check_header(
    file: &str,
    (api_version, kind): (&str, &str),
    (expected_kind, kind_hint): (&str, &str),
    out: &mut Vec<Diagnostic>,
) {
    if api_version != "floe.dev/v1" {
        out.push(
            Diagnostic::error(
                file,
                "apiVersion",
                format!("unsupported apiVersion {api_version:?}"),
            )
            .with_hint("use `apiVersion: floe.dev/v1`"),
        );
    }
    if kind != expected_kind {
        out.push(
            Diagnostic::error(
                file,
                "kind",
                format!("expected kind {expected_kind}, found {kind:?}"),
            )
            .with_hint(kind_hint),
        );
    }
}

fn product_identity_rules(p: &Product, out: &mut Vec<Diagnostic>) {
    let name = &p.spec.metadata.name;
    let name_ok = name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !name_ok {
        out.push(
            Diagnostic::error(
                SPEC_FILE,
                "metadata.name",
                format!("invalid product name {name:?}"),
            )
            .with_hint("the name must match ^[a-z][a-z0-9-]*$ and have at most 63 characters"),
        );
    }
    let version = &p.spec.metadata.version;
    if semver::Version::parse(version).is_err() {
        out.push(
            Diagnostic::error(
                SPEC_FILE,
                "metadata.version",
                format!("{version:?} is not a semantic version"),
            )
            .with_hint("use MAJOR.MINOR.PATCH, e.g. 1.4.0"),
        );
    }
}

/// At least one transform; each a valid dbt model name, named once.
fn transform_rules(p: &Product, out: &mut Vec<Diagnostic>) {
    let transforms = &p.spec.transforms;
    if transforms.is_empty() {
        out.push(
            Diagnostic::error(
                SPEC_FILE,
                "transforms",
                "a product needs at least one transform",
            )
            .with_hint("list the dbt models, e.g. `transforms: [{name: stg_orders}]`"),
        );
    }
    let mut seen = BTreeSet::new();
    for (i, t) in transforms.iter().enumerate() {
        let valid = t
            .name
            .starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && t.name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            out.push(
                Diagnostic::error(
                    SPEC_FILE,
                    format!("transforms[{i}].name"),
                    format!("invalid dbt model name {:?}", t.name),
                )
                .with_hint("dbt model names match ^[a-zA-Z_][a-zA-Z0-9_]*$"),
            );
        }
        if !seen.insert(&t.name) {
            out.push(
                Diagnostic::error(
                    SPEC_FILE,
                    format!("transforms[{i}].name"),
                    format!("duplicate transform {:?}", t.name),
                )
                .with_hint(
                    "each transform names one dbt model once: remove or rename the repeated entry",
                ),
            );
        }
    }
}
