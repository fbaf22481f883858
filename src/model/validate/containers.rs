//! Rules for a workload's containers: probes where they run long, the
//! sidecars and init containers, unique container names, and ports.

use super::image::check_image;
use super::names::{invalid_dns_name, is_dns1123_label};
use super::probes::{check_probe_handlers, check_probes};
use super::resources::check_resources;
use super::scope::WorkloadScope;
use crate::model::defaults::{is_placeholder, is_secret_key};
use crate::model::diag::{join, Diagnostic};
use crate::model::settings::{ExtraContainer, Port};
use crate::model::SETTINGS_FILE;
use std::collections::BTreeSet;

/// Every long-running container needs liveness and readiness; a batch
/// workload's probes still need valid handlers.
pub(super) fn container_rules(s: &WorkloadScope, out: &mut Vec<Diagnostic>) {
    let config = s.config();
    if config.kind.is_long_running() {
        check_probes(
            &s.at("probes"),
            config.probes.as_ref(),
            &config.ports,
            &s.workload.name,
            out,
        );
    } else if let Some(probes) = &config.probes {
        check_probe_handlers(&s.at("probes"), probes, out);
    }
    for (i, x) in config.sidecars.iter().enumerate() {
        let path = s.at(&format!("sidecars[{i}]"));
        check_probes(
            &join(&path, "probes"),
            x.probes.as_ref(),
            &x.ports,
            &x.name,
            out,
        );
        check_extra_container(s, &path, x, out);
    }
    for (i, x) in config.init_containers.iter().enumerate() {
        check_extra_container(s, &s.at(&format!("initContainers[{i}]")), x, out);
    }
    let mut container_names = BTreeSet::new();
    for name in std::iter::once(&s.workload.name)
        .chain(config.sidecars.iter().map(|x| &x.name))
        .chain(config.init_containers.iter().map(|x| &x.name))
    {
        if !container_names.insert(name) {
            out.push(
                Diagnostic::error(
                    SETTINGS_FILE,
                    s.base.clone(),
                    format!("two containers are named {name:?}"),
                )
                .with_hint("container names must be unique within a workload"),
            );
        }
    }
}

fn check_extra_container(
    s: &WorkloadScope,
    path: &str,
    x: &ExtraContainer,
    out: &mut Vec<Diagnostic>,
) {
    let p = s.product;
    if !is_dns1123_label(&x.name) {
        out.push(invalid_dns_name(
            join(path, "name"),
            "container name",
            &x.name,
        ));
    }
    if let Some(image) = &x.image {
        check_image(p, SETTINGS_FILE, &join(path, "image"), image, s.env, out);
    }
    check_resources(p, &join(path, "resources"), x.resources.as_ref(), out);
    for (key, value) in &x.env {
        if is_secret_key(key) && !is_placeholder(value) {
            out.push(
                Diagnostic::error(
                    SETTINGS_FILE,
                    join(path, &format!("env.{key}")),
                    format!("secret-looking variable {key:?} has an inline value"),
                )
                .with_hint("load it from a Secret: `secrets: [{secret: NAME, env: {VAR: key}}]` on the workload"),
            );
        }
    }
}

pub(super) fn port_rules(s: &WorkloadScope, out: &mut Vec<Diagnostic>) {
    let mut port_names = BTreeSet::new();
    for (i, port) in s.config().ports.iter().enumerate() {
        let path = s.at(&format!("ports[{i}]"));
        let duplicate = !port_names.insert(&port.name);
        check_port(&path, port, duplicate, out);
    }
}

/// One port: its name (`duplicate` when an earlier port has it), its
/// number and its protocol.
fn check_port(path: &str, port: &Port, duplicate: bool, out: &mut Vec<Diagnostic>) {
    let n = &port.name;
    let ok = n.len() <= 15 && is_dns1123_label(n) && n.chars().any(|c| c.is_ascii_lowercase());
    if !ok {
        out.push(Diagnostic::error(SETTINGS_FILE, join(path, "name"), format!("invalid port name {n:?}")).with_hint("port names are at most 15 lowercase letters, digits and '-', with at least one letter"));
    }
    if duplicate {
        out.push(
            Diagnostic::error(
                SETTINGS_FILE,
                join(path, "name"),
                format!("duplicate port name {n:?}"),
            )
            .with_hint("port names must be unique within a container"),
        );
    }
    if port.container_port == 0 {
        out.push(
            Diagnostic::error(
                SETTINGS_FILE,
                join(path, "containerPort"),
                "port 0 is not a valid port",
            )
            .with_hint("use 1-65535"),
        );
    }
    if let Some(proto) = &port.protocol {
        if !["TCP", "UDP", "SCTP"].contains(&proto.as_str()) {
            out.push(
                Diagnostic::error(
                    SETTINGS_FILE,
                    join(path, "protocol"),
                    format!("unknown protocol {proto:?}"),
                )
                .with_hint("use TCP, UDP or SCTP"),
            );
        }
    }
}
