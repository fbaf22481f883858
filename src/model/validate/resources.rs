//! Requests and limits: valid quantities, requests within limits, and
//! presets that exist.

use crate::model::diag::{join, Diagnostic};
use crate::model::effective::resolve_resources;
use crate::model::platform::CpuMemory;
use crate::model::quantity::{self, Milli};
use crate::model::settings::Resources;
use crate::model::{Product, SETTINGS_FILE};

/// The quantity, or an error at `path` saying it is none.
pub(super) fn parse_quantity(
    file: &str,
    path: &str,
    text: &str,
    out: &mut Vec<Diagnostic>,
) -> Option<Milli> {
    let parsed = quantity::parse(text);
    if parsed.is_none() {
        out.push(
            Diagnostic::error(file, path, format!("{text:?} is not a valid quantity")).with_hint(
                "use Kubernetes quantities such as 500m or 2 for CPU, 512Mi or 2Gi for memory",
            ),
        );
    }
    parsed
}

pub(super) fn check_requests_within_limits(
    file: &str,
    path: &str,
    req: &CpuMemory,
    lim: &CpuMemory,
    out: &mut Vec<Diagnostic>,
) {
    for (res, r, l) in [
        ("cpu", &req.cpu, &lim.cpu),
        ("memory", &req.memory, &lim.memory),
    ] {
        let (rs, ls) = (r.as_string(), l.as_string());
        let rq = parse_quantity(file, &format!("{path}.requests.{res}"), &rs, out);
        let lq = parse_quantity(file, &format!("{path}.limits.{res}"), &ls, out);
        if let (Some(rq), Some(lq)) = (rq, lq) {
            if rq > lq {
                out.push(
                    Diagnostic::error(
                        file,
                        format!("{path}.requests.{res}"),
                        format!("{res} request {rs} is above the limit {ls}"),
                    )
                    .with_hint(format!("raise limits.{res} or lower requests.{res}")),
                );
            }
        }
    }
}

/// A container's resources: the preset it names exists, and what it
/// resolves to keeps requests within limits.
pub(super) fn check_resources(
    p: &Product,
    path: &str,
    r: Option<&Resources>,
    out: &mut Vec<Diagnostic>,
) {
    if let Some(name) = r.and_then(|r| r.preset.as_deref()) {
        let presets = p.manifest.as_ref().map(|m| &m.resource_presets);
        if !presets.is_some_and(|ps| ps.contains_key(name)) {
            let known: Vec<String> = presets
                .map(|ps| ps.keys().cloned().collect())
                .unwrap_or_default();
            out.push(
                Diagnostic::error(
                    SETTINGS_FILE,
                    join(path, "preset"),
                    format!("unknown resource preset {name:?}"),
                )
                .with_hint(if known.is_empty() {
                    format!("{} defines no resource_presets", p.manifest_file)
                } else {
                    format!("presets in {}: {}", p.manifest_file, known.join(", "))
                }),
            );
            return;
        }
    }
    let (req, lim) = resolve_resources(p, r);
    check_requests_within_limits(SETTINGS_FILE, path, &req, &lim, out);
}
