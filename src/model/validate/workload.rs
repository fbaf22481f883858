//! Rules for one workload, field by field in the order a settings file
//! lists them: name, image, resources, replicas, containers and probes,
//! ports, configuration and Secrets, volumes, scheduling, scaling,
//! routing, rollout, batch settings and dependencies.

use super::image::check_image;
use super::names::is_dns1123_label;
use super::resources::check_resources;
use super::scope::WorkloadScope;
use super::{batch, config, containers, ingress, scaling, scheduling, volumes};
use crate::model::diag::Diagnostic;
use crate::model::settings::WorkloadKind;
use crate::model::SETTINGS_FILE;
use std::collections::BTreeSet;

pub(super) fn workload_rules(s: &WorkloadScope, names: &BTreeSet<&str>, out: &mut Vec<Diagnostic>) {
    let config = s.config();
    name_rule(s, out);
    // An image the workload names itself is checked here; the shared
    // top-level `image:` (or --image) once, in `image_rules`.
    if let Some(image) = &config.image {
        check_image(s.product, SETTINGS_FILE, &s.at("image"), image, s.env, out);
    }
    check_resources(
        s.product,
        &s.at("resources"),
        config.resources.as_ref(),
        out,
    );
    replica_rule(s, out);
    containers::container_rules(s, out);
    containers::port_rules(s, out);
    config::config_rules(s, out);
    volumes::volume_rules(s, out);
    scheduling::toleration_rules(s, out);
    scaling::hpa_rules(s, out);
    scaling::pdb_rules(s, out);
    ingress::ingress_rules(s, out);
    scaling::rollout_rules(s, out);
    batch::batch_rules(s, out);
    dependency_rules(s, names, out);
}

/// Workload names become object names; a CronJob's gets a suffix for its
/// Jobs, so it is shorter.
fn name_rule(s: &WorkloadScope, out: &mut Vec<Diagnostic>) {
    let name = &s.workload.name;
    let max_len = if s.config().kind == WorkloadKind::CronJob {
        52
    } else {
        63
    };
    if !is_dns1123_label(name)
        || name.len() > max_len
        || !name.starts_with(|config: char| config.is_ascii_lowercase())
    {
        out.push(
            Diagnostic::error(SETTINGS_FILE, s.base.clone(), format!("invalid workload name {name:?}")).with_hint(format!(
                "workload names become object names: lowercase letters, digits and '-', starting with a letter, at most {max_len} characters"
            )),
        );
    }
}

/// A long-running workload in a strict environment runs at least two pods.
fn replica_rule(s: &WorkloadScope, out: &mut Vec<Diagnostic>) {
    let config = s.config();
    if !(config.kind.is_long_running() && s.env.strict) {
        return;
    }
    let replicas = config
        .hpa
        .as_ref()
        .and_then(|h| h.min_replicas)
        .or(config.replicas)
        .unwrap_or(s.env.replicas);
    if replicas < 2 {
        let field = if config.hpa.is_some() {
            "hpa.minReplicas"
        } else {
            "replicas"
        };
        out.push(
            s.error(
                field,
                format!("a single replica in {} has no redundancy", s.product.env),
            )
            .with_hint(
                "run at least 2 replicas in prod (the default), or set it in environments.dev only",
            ),
        );
    }
}

fn dependency_rules(s: &WorkloadScope, names: &BTreeSet<&str>, out: &mut Vec<Diagnostic>) {
    for (i, dep) in s.config().depends_on.iter().enumerate() {
        let field = format!("dependsOn[{i}]");
        if !names.contains(dep.as_str()) {
            out.push(
                s.error(&field, format!("no workload named {dep:?}"))
                    .with_hint(format!(
                        "known workloads: {}",
                        names.iter().copied().collect::<Vec<_>>().join(", ")
                    )),
            );
        } else if dep == &s.workload.name {
            out.push(
                s.error(&field, "a workload cannot depend on itself")
                    .with_hint("remove this entry from dependsOn"),
            );
        }
    }
}
