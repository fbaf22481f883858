//! Probe rules: long-running containers have liveness and readiness, and
//! every probe has exactly one handler and sane timings.

use crate::model::diag::{join, Diagnostic};
use crate::model::settings::{Port, Probe, Probes};
use crate::model::SETTINGS_FILE;

pub(super) fn check_probes(
    path: &str,
    probes: Option<&Probes>,
    ports: &[Port],
    container: &str,
    out: &mut Vec<Diagnostic>,
) {
    if let Some(pr) = probes {
        check_probe_handlers(path, pr, out);
    }
    // Without an explicit probe, declared ports give a TCP check.
    let has = |p: Option<&Probe>| match p {
        Some(p) => p.enabled != Some(false),
        None => !ports.is_empty(),
    };
    for (kind, probe) in [
        ("liveness", probes.and_then(|p| p.liveness.as_ref())),
        ("readiness", probes.and_then(|p| p.readiness.as_ref())),
    ] {
        if !has(probe) {
            out.push(
                Diagnostic::error(SETTINGS_FILE, join(path, kind), format!("long-running container {container:?} has no {kind} probe"))
                    .with_hint(format!("add `probes.{kind}` (http, tcp, grpc or exec), or declare `ports:` to get a TCP check")),
            );
        }
    }
}

pub(super) fn check_probe_handlers(path: &str, probes: &Probes, out: &mut Vec<Diagnostic>) {
    for (kind, probe) in [
        ("liveness", &probes.liveness),
        ("readiness", &probes.readiness),
        ("startup", &probes.startup),
    ] {
        let Some(p) = probe else { continue };
        if p.enabled == Some(false) {
            continue;
        }
        let handlers = [
            p.http.is_some(),
            p.tcp.is_some(),
            p.grpc.is_some(),
            p.exec.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        if handlers != 1 {
            out.push(
                Diagnostic::error(
                    SETTINGS_FILE,
                    join(path, kind),
                    format!("a probe needs exactly one handler, found {handlers}"),
                )
                .with_hint(
                    "use one of http: {path, port}, tcp: {port}, grpc: {port}, exec: [command...]",
                ),
            );
        }
        if p.period_seconds == Some(0)
            || p.timeout_seconds == Some(0)
            || p.failure_threshold == Some(0)
        {
            out.push(Diagnostic::error(
                SETTINGS_FILE,
                join(path, kind),
                "periodSeconds, timeoutSeconds and failureThreshold must be at least 1",
            ).with_hint("leave them out to get the defaults (periodSeconds 10, timeoutSeconds 2, failureThreshold 3)"));
        }
    }
}
