//! Container probes, with the platform's default parameters filled in.

use crate::model::defaults;
use crate::model::settings::{Port, PortRef, PortValue, Probe, Probes};
use serde_json::{json, Value};

fn port_value(p: &PortValue) -> Value {
    match p {
        PortValue::Number(n) => json!(n),
        PortValue::Name(s) => json!(s),
    }
}

/// The probe's handler; `None` when it has none.
fn probe_handler(p: &Probe) -> Option<Value> {
    if let Some(h) = &p.http {
        Some(json!({"httpGet": {"path": h.path, "port": port_value(&h.port)}}))
    } else if let Some(t) = &p.tcp {
        Some(json!({"tcpSocket": {"port": port_value(&t.port)}}))
    } else if let Some(g) = &p.grpc {
        // The gRPC probe takes a port number only.
        Some(match &g.port {
            PortValue::Number(n) => json!({"grpc": {"port": n}}),
            PortValue::Name(name) => json!({"tcpSocket": {"port": name}}),
        })
    } else {
        p.exec.as_ref().map(|cmd| json!({"exec": {"command": cmd}}))
    }
}

/// A probe with the platform's default parameters filled in. `None` when
/// the probe is disabled or has no handler.
fn probe_json(p: &Probe) -> Option<Value> {
    if p.enabled == Some(false) {
        return None;
    }
    let mut probe = probe_handler(p)?;
    probe["initialDelaySeconds"] = json!(p
        .initial_delay_seconds
        .unwrap_or(defaults::PROBE_INITIAL_DELAY));
    probe["periodSeconds"] = json!(p.period_seconds.unwrap_or(defaults::PROBE_PERIOD));
    probe["timeoutSeconds"] = json!(p.timeout_seconds.unwrap_or(defaults::PROBE_TIMEOUT));
    probe["failureThreshold"] = json!(p
        .failure_threshold
        .unwrap_or(defaults::PROBE_FAILURE_THRESHOLD));
    probe["successThreshold"] = json!(p.success_threshold.unwrap_or(1));
    Some(probe)
}

/// Liveness/readiness/startup for a container. Without explicit probes, a
/// long-running container with ports gets TCP checks on its first port.
pub(super) fn probes_for(
    probes: Option<&Probes>,
    ports: &[Port],
    long_running: bool,
) -> Vec<(&'static str, Value)> {
    let explicit = probes.cloned().unwrap_or_default();
    let fallback = ports.first().filter(|_| long_running).map(|p| Probe {
        tcp: Some(PortRef {
            port: PortValue::Name(p.name.clone()),
        }),
        ..Probe::default()
    });
    let with_fallback = |p: &Option<Probe>| p.clone().or_else(|| fallback.clone());
    let mut out = Vec::new();
    for (field, probe) in [
        ("livenessProbe", with_fallback(&explicit.liveness)),
        ("readinessProbe", with_fallback(&explicit.readiness)),
        ("startupProbe", explicit.startup.clone()),
    ] {
        if let Some(v) = probe.as_ref().and_then(probe_json) {
            out.push((field, v));
        }
    }
    out
}
