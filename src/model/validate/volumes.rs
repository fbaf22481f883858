//! Volume rules: valid unique names, exactly one source, no hostPath where
//! the environment is strict, absolute mount paths, and containers that
//! mount only declared volumes.

use super::names::is_dns1123_label;
use super::resources::parse_quantity;
use super::scope::WorkloadScope;
use crate::model::diag::{join, Diagnostic};
use crate::model::settings::{Volume, WorkloadConfig};
use crate::model::SETTINGS_FILE;
use std::collections::BTreeSet;

pub(super) fn volume_rules(s: &WorkloadScope, out: &mut Vec<Diagnostic>) {
    let config = s.config();
    let mut volume_names = BTreeSet::new();
    for (i, v) in config.volumes.iter().enumerate() {
        let path = s.at(&format!("volumes[{i}]"));
        check_volume_name(&path, v, !volume_names.insert(&v.name), out);
        check_volume(s, &path, v, out);
    }
    for (i, x) in config
        .sidecars
        .iter()
        .chain(config.init_containers.iter())
        .enumerate()
    {
        for m in &x.volume_mounts {
            if !volume_names.contains(m) {
                out.push(
                    s.error(
                        &format!("{}.volumeMounts", container_path(config, i)),
                        format!("no volume named {m:?} in this workload"),
                    )
                    .with_hint(format!(
                        "declare it under workloads.{}.volumes first",
                        s.workload.name
                    )),
                );
            }
        }
    }
}

/// `tmp` and `config-files` are the volumes floe adds itself.
fn check_volume_name(path: &str, v: &Volume, duplicate: bool, out: &mut Vec<Diagnostic>) {
    if !is_dns1123_label(&v.name) || v.name == "tmp" || v.name == "config-files" {
        out.push(
            Diagnostic::error(
                SETTINGS_FILE,
                join(path, "name"),
                format!("invalid volume name {:?}", v.name),
            )
            .with_hint("use lowercase letters, digits and '-', starting and ending with a letter or digit (at most 63 characters); `tmp` and `config-files` are reserved by floe"),
        );
    }
    if duplicate {
        out.push(
            Diagnostic::error(
                SETTINGS_FILE,
                join(path, "name"),
                format!("duplicate volume name {:?}", v.name),
            )
            .with_hint("volume names must be unique within a workload"),
        );
    }
}

fn check_volume(s: &WorkloadScope, path: &str, v: &Volume, out: &mut Vec<Diagnostic>) {
    let sources = [
        v.empty_dir.is_some(),
        v.persistent.is_some(),
        v.claim.is_some(),
        v.config_map.is_some(),
        v.secret.is_some(),
        v.host_path.is_some(),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if sources != 1 {
        out.push(
            Diagnostic::error(
                SETTINGS_FILE,
                path,
                format!(
                    "volume {:?} needs exactly one source, found {sources}",
                    v.name
                ),
            )
            .with_hint("use one of emptyDir, persistent, claim, configMap, secret"),
        );
    }
    if v.host_path.is_some() && s.env.strict {
        out.push(
            Diagnostic::error(
                SETTINGS_FILE,
                join(path, "hostPath"),
                format!("hostPath volumes are not allowed in {}", s.product.env),
            )
            .with_hint("use a PersistentVolumeClaim (`persistent: {size: 10Gi}`) instead"),
        );
    }
    if let Some(pv) = &v.persistent {
        parse_quantity(
            SETTINGS_FILE,
            &join(path, "persistent.size"),
            &pv.size.as_string(),
            out,
        );
    }
    if !v.mount_path.starts_with('/') {
        out.push(
            Diagnostic::error(
                SETTINGS_FILE,
                join(path, "mountPath"),
                format!("mount path {:?} is not absolute", v.mount_path),
            )
            .with_hint("mount paths start with `/`, e.g. /var/lib/data"),
        );
    }
}

/// The path of the `i`-th of the sidecars followed by the init containers.
fn container_path(config: &WorkloadConfig, i: usize) -> String {
    if i < config.sidecars.len() {
        format!("sidecars[{i}]")
    } else {
        format!("initContainers[{}]", i - config.sidecars.len())
    }
}
