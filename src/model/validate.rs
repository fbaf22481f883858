//! Semantic rules over a loaded product: every problem at once, each with its
//! file, field path and a hint. Structural problems (unknown fields, wrong
//! types) are caught earlier, while loading.

use super::defaults::{self, is_placeholder, is_secret_key};
use super::diag::{join, Diagnostic};
use super::quantity::{self, Milli};
use super::settings::*;
use super::{find_line_exact, Product, SETTINGS_FILE, SPEC_FILE};
use crate::render::{self, EffectiveWorkload};
use std::collections::BTreeSet;

const S: &str = SETTINGS_FILE;

/// All rule violations and warnings for the product's environment.
pub fn validate(product: &Product) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    spec_rules(product, &mut out);
    manifest_rules(product, &mut out);
    settings_rules(product, &mut out);
    out.extend(product.warnings.iter().cloned());
    add_lines(product, &mut out);
    out
}

/// Line numbers for the problems found after loading, where the field is
/// written in the file (in the environment's overlay first, where the
/// merged value most likely came from).
fn add_lines(p: &Product, out: &mut [Diagnostic]) {
    let read = |file: &str| std::fs::read_to_string(p.dir.join(file)).unwrap_or_default();
    let texts = [
        (SETTINGS_FILE, read(SETTINGS_FILE)),
        (SPEC_FILE, read(SPEC_FILE)),
        (p.manifest_file.as_str(), read(&p.manifest_file)),
    ];
    for d in out.iter_mut() {
        if d.line.is_some() || d.path.is_empty() {
            continue;
        }
        let Some((_, text)) = texts.iter().find(|(file, _)| *file == d.file) else {
            continue;
        };
        let overlay = format!("environments.{}.{}", p.env, d.path);
        d.line = find_line_exact(text, &overlay).or_else(|| find_line_exact(text, &d.path));
    }
}

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

fn dns_hint() -> &'static str {
    "use lowercase letters, digits and '-', starting and ending with a letter or digit (at most 63 characters)"
}

fn spec_rules(p: &Product, out: &mut Vec<Diagnostic>) {
    let spec = &p.spec;
    if spec.api_version != "floe.dev/v1" {
        out.push(
            Diagnostic::error(
                SPEC_FILE,
                "apiVersion",
                format!("unsupported apiVersion {:?}", spec.api_version),
            )
            .with_hint("use `apiVersion: floe.dev/v1`"),
        );
    }
    if spec.kind != "FloeSpec" {
        out.push(
            Diagnostic::error(
                SPEC_FILE,
                "kind",
                format!("expected kind FloeSpec, found {:?}", spec.kind),
            )
            .with_hint("floe.yaml holds one `kind: FloeSpec` document"),
        );
    }
    let name = &spec.metadata.name;
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
    if semver::Version::parse(&spec.metadata.version).is_err() {
        out.push(
            Diagnostic::error(
                SPEC_FILE,
                "metadata.version",
                format!("{:?} is not a semantic version", spec.metadata.version),
            )
            .with_hint("use MAJOR.MINOR.PATCH, e.g. 1.4.0"),
        );
    }
    if spec.transforms.is_empty() {
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
    for (i, t) in spec.transforms.iter().enumerate() {
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
    if let Some(cron) = spec.schedule.as_ref().and_then(|s| s.cron.as_deref()) {
        if let Err(why) = check_cron(cron) {
            out.push(
                Diagnostic::error(SPEC_FILE, "schedule.cron", format!("invalid cron expression {cron:?}: {why}"))
                    .with_hint("use five fields: minute hour day-of-month month day-of-week, e.g. \"0 6 * * *\""),
            );
        }
    }
}

/// Kubernetes CronJobs take five-field cron or the `@hourly`-style macros.
pub fn check_cron(expr: &str) -> Result<(), String> {
    let expr = expr.trim();
    if expr.starts_with('@') {
        return match expr {
            "@yearly" | "@annually" | "@monthly" | "@weekly" | "@daily" | "@midnight"
            | "@hourly" => Ok(()),
            _ => Err(format!("unknown macro {expr}")),
        };
    }
    let fields: Vec<&str> = expr.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!("expected 5 fields, found {}", fields.len()));
    }
    // Say which field is wrong where a plain number is out of range; the
    // parser below only says that something is.
    const FIELDS: [(&str, u32, u32); 5] = [
        ("minute", 0, 59),
        ("hour", 0, 23),
        ("day-of-month", 1, 31),
        ("month", 1, 12),
        ("day-of-week", 0, 6),
    ];
    for (field, (name, lo, hi)) in fields.iter().zip(FIELDS) {
        for part in field.split(',') {
            let (range, step) = part.split_once('/').unwrap_or((part, ""));
            if !step.is_empty() && step.parse::<u32>().map_or(true, |n| n == 0) {
                return Err(format!("{name} step {step:?} is not a positive number"));
            }
            for bound in range.split('-') {
                if let Ok(n) = bound.parse::<u32>() {
                    if n < lo || n > hi {
                        return Err(format!("{name} {n} is outside {lo}-{hi}"));
                    }
                }
            }
        }
    }
    let parser = croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Disallowed)
        .year(croner::parser::Year::Disallowed)
        .build();
    parser.parse(expr).map(|_| ()).map_err(|e| {
        let why = e.to_string();
        let why = why.trim_end_matches('.');
        why.strip_prefix("Component error: ")
            .unwrap_or(why)
            .to_lowercase()
    })
}

fn manifest_rules(p: &Product, out: &mut Vec<Diagnostic>) {
    let Some(m) = &p.manifest else { return };
    let file = p.manifest_file.as_str();
    if m.api_version != "floe.dev/v1" {
        out.push(
            Diagnostic::error(
                file,
                "apiVersion",
                format!("unsupported apiVersion {:?}", m.api_version),
            )
            .with_hint("use `apiVersion: floe.dev/v1`"),
        );
    }
    if m.kind != "Manifest" {
        out.push(
            Diagnostic::error(
                file,
                "kind",
                format!("expected kind Manifest, found {:?}", m.kind),
            )
            .with_hint("the platform manifest holds one `kind: Manifest` document"),
        );
    }
    for (category, plugin) in &m.plugins {
        for (key, value) in plugin.config.iter().flatten() {
            check_secret_value(
                file,
                &format!("plugins.{category}.config.{key}"),
                key,
                value,
                out,
            );
        }
    }
    for (name, preset) in &m.resource_presets {
        let (req, lim) = preset.normalised();
        check_requests_within_limits(file, &format!("resource_presets.{name}"), &req, &lim, out);
    }
}

/// A secret-looking key may hold a `${VAR}` placeholder or a
/// `{secret_ref: NAME, key: KEY}` reference, never a literal. Everything
/// below a secret-looking key counts as secret (`client_secret: {value: x}`,
/// `tokens: [x]`). The message names the key and never the value.
fn check_secret_value(
    file: &str,
    path: &str,
    key: &str,
    value: &serde_json::Value,
    out: &mut Vec<Diagnostic>,
) {
    check_secret_value_under(file, path, key, value, None, out);
}

fn check_secret_value_under(
    file: &str,
    path: &str,
    key: &str,
    value: &serde_json::Value,
    secret_key: Option<&str>,
    out: &mut Vec<Diagnostic>,
) {
    use serde_json::Value;
    let secret = if is_secret_key(key) {
        Some(key)
    } else {
        secret_key
    };
    match (value, secret) {
        (Value::Object(map), _) => {
            if map.contains_key("secret_ref") {
                return;
            }
            // `auth:` and `credentials:` group settings (`auth: {type:
            // oauth2}`); `client_secret: {value: x}` wraps one secret.
            let inherited = secret.filter(|k| {
                let k = k.to_ascii_lowercase();
                !(k.contains("auth") || k.contains("credential"))
                    || ["password", "passwd", "secret", "token", "key"]
                        .iter()
                        .any(|w| k.contains(w))
            });
            for (k, v) in map {
                check_secret_value_under(file, &join(path, k), k, v, inherited, out);
            }
        }
        (Value::Array(items), _) => {
            for (i, v) in items.iter().enumerate() {
                check_secret_value_under(file, &format!("{path}[{i}]"), key, v, secret, out);
            }
        }
        (Value::String(s), Some(secret)) if !is_placeholder(s) && !s.is_empty() => {
            out.push(inline_secret(file, path, secret))
        }
        (Value::Number(_) | Value::Bool(_), Some(secret)) => {
            out.push(inline_secret(file, path, secret))
        }
        _ => {}
    }
}

/// The error for a credential written into plugin config. Names the key;
/// the value is never part of it.
fn inline_secret(file: &str, path: &str, key: &str) -> Diagnostic {
    Diagnostic::error(
        file,
        path,
        format!("secret-looking key {key:?} has an inline value that would land in a ConfigMap"),
    )
    .with_hint(format!(
        "store the value in a Kubernetes Secret and write `{key}: {{secret_ref: <secret>, key: <key>}}` or a `${{ENV_VAR}}` placeholder, or set the plugin's connection_secret_ref"
    ))
}

fn parse_q(file: &str, path: &str, text: &str, out: &mut Vec<Diagnostic>) -> Option<Milli> {
    let q = quantity::parse(text);
    if q.is_none() {
        out.push(
            Diagnostic::error(file, path, format!("{text:?} is not a valid quantity")).with_hint(
                "use Kubernetes quantities such as 500m or 2 for CPU, 512Mi or 2Gi for memory",
            ),
        );
    }
    q
}

fn check_requests_within_limits(
    file: &str,
    path: &str,
    req: &crate::model::platform::CpuMemory,
    lim: &crate::model::platform::CpuMemory,
    out: &mut Vec<Diagnostic>,
) {
    for (res, r, l) in [
        ("cpu", &req.cpu, &lim.cpu),
        ("memory", &req.memory, &lim.memory),
    ] {
        let (rs, ls) = (r.as_string(), l.as_string());
        let rq = parse_q(file, &format!("{path}.requests.{res}"), &rs, out);
        let lq = parse_q(file, &format!("{path}.limits.{res}"), &ls, out);
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

/// Effective pod usage, for the quota check: per workload, the pod count
/// at peak and one pod's requests and limits (cpu, memory, limits.cpu,
/// limits.memory).
#[derive(Default)]
struct Usage {
    parts: Vec<(String, u32, [Milli; 4])>,
}

impl Usage {
    fn total(&self, i: usize) -> Milli {
        self.parts
            .iter()
            .fold(Milli::default(), |sum, (_, pods, per)| {
                sum.plus(per[i].times(*pods))
            })
    }

    fn pods(&self) -> u32 {
        self.parts
            .iter()
            .fold(0u32, |sum, p| sum.saturating_add(p.1))
    }

    /// `code-location: 3 pods × 2, dbt-run: 1 pod × 100m`, largest first.
    fn breakdown(&self, i: usize, show: impl Fn(Milli) -> String) -> String {
        let mut parts: Vec<&(String, u32, [Milli; 4])> =
            self.parts.iter().filter(|p| p.1 > 0).collect();
        parts.sort_by_key(|p| std::cmp::Reverse(p.2[i].times(p.1)));
        let mut text: Vec<String> = parts
            .iter()
            .take(5)
            .map(|(name, pods, per)| {
                let noun = if *pods == 1 { "pod" } else { "pods" };
                format!("{name} {pods} {noun} × {}", show(per[i]))
            })
            .collect();
        if parts.len() > 5 {
            text.push(format!("{} more", parts.len() - 5));
        }
        text.join(", ")
    }
}

fn settings_rules(p: &Product, out: &mut Vec<Diagnostic>) {
    let env = defaults::for_env(p.env);
    let ns = render::namespace_name(p);
    if !is_dns1123_label(&ns) {
        out.push(
            Diagnostic::error(
                S,
                "namespace.name",
                format!("invalid namespace name {ns:?}"),
            )
            .with_hint(dns_hint()),
        );
    }
    for (i, s) in p.settings.image_pull_secrets.iter().enumerate() {
        if !is_dns1123_subdomain(s) {
            out.push(
                Diagnostic::error(
                    S,
                    format!("imagePullSecrets[{i}]"),
                    format!("invalid Secret name {s:?}"),
                )
                .with_hint(dns_hint()),
            );
        }
    }
    if let Some(ports) = &p.settings.namespace.ingress_from_namespaces {
        for (i, n) in ports.iter().enumerate() {
            if !is_dns1123_label(n) {
                out.push(
                    Diagnostic::error(
                        S,
                        format!("namespace.ingressFromNamespaces[{i}]"),
                        format!("invalid namespace name {n:?}"),
                    )
                    .with_hint(dns_hint()),
                );
            }
        }
    }
    let workloads = render::effective_workloads(p);
    let names: BTreeSet<&str> = workloads.iter().map(|w| w.name.as_str()).collect();
    image_rules(p, &workloads, &env, out);
    let mut usage = Usage::default();
    for w in &workloads {
        workload_rules(p, w, &names, &env, out);
        add_usage(p, w, &env, &mut usage);
    }
    quota_rules(p, &usage, out);
}

/// The image workloads without their own `image:` share: missing is one
/// error naming them all, and an unpinned one is reported once, where it
/// is written.
fn image_rules(
    p: &Product,
    workloads: &[EffectiveWorkload],
    env: &defaults::EnvDefaults,
    out: &mut Vec<Diagnostic>,
) {
    let sharing: Vec<&str> = workloads
        .iter()
        .filter(|w| w.config.image.is_none())
        .map(|w| w.name.as_str())
        .collect();
    if sharing.is_empty() {
        return;
    }
    if let Some(image) = &p.image_override {
        check_image(p, "--image", "", image, env, out);
    } else if let Some(image) = &p.settings.image {
        check_image(p, S, "image", image, env, out);
    } else {
        let names = sharing
            .iter()
            .map(|n| format!("{n:?}"))
            .collect::<Vec<_>>()
            .join(", ");
        let noun = if sharing.len() == 1 {
            "workload"
        } else {
            "workloads"
        };
        out.push(
            Diagnostic::error(S, "image", format!("no image for {noun} {names}"))
                .with_hint("set `image:` at the top of floe-deploy.yaml (used by every workload that names none), set it on the workload, or pass --image"),
        );
    }
}

fn workload_rules(
    p: &Product,
    w: &EffectiveWorkload,
    names: &BTreeSet<&str>,
    env: &defaults::EnvDefaults,
    out: &mut Vec<Diagnostic>,
) {
    let c = &w.config;
    let base = format!("workloads.{}", w.name);
    let at = |field: &str| join(&base, field);
    let max_len = if c.kind == WorkloadKind::CronJob {
        52
    } else {
        63
    };
    if !is_dns1123_label(&w.name)
        || w.name.len() > max_len
        || !w.name.starts_with(|c: char| c.is_ascii_lowercase())
    {
        out.push(
            Diagnostic::error(S, base.clone(), format!("invalid workload name {:?}", w.name)).with_hint(format!(
                "workload names become object names: lowercase letters, digits and '-', starting with a letter, at most {max_len} characters"
            )),
        );
    }

    // Image: one the workload names itself is checked here; the shared
    // top-level `image:` (or --image) once, in `image_rules`.
    if let Some(image) = &c.image {
        check_image(p, S, &at("image"), image, env, out);
    }

    // Resources
    check_resources(p, &at("resources"), c.resources.as_ref(), out);

    // Replicas
    if c.kind.is_long_running() && env.strict {
        let replicas = c
            .hpa
            .as_ref()
            .and_then(|h| h.min_replicas)
            .or(c.replicas)
            .unwrap_or(env.replicas);
        if replicas < 2 {
            let field = if c.hpa.is_some() {
                "hpa.minReplicas"
            } else {
                "replicas"
            };
            out.push(
                Diagnostic::error(S, at(field), format!("a single replica in {} has no redundancy", p.env))
                    .with_hint("run at least 2 replicas in prod (the default), or set it in environments.dev only"),
            );
        }
    }

    // Probes: every long-running container needs liveness and readiness.
    if c.kind.is_long_running() {
        check_probes(&at("probes"), c.probes.as_ref(), &c.ports, &w.name, out);
    } else if let Some(probes) = &c.probes {
        check_probe_handlers(&at("probes"), probes, out);
    }
    for (i, x) in c.sidecars.iter().enumerate() {
        let path = at(&format!("sidecars[{i}]"));
        check_probes(
            &join(&path, "probes"),
            x.probes.as_ref(),
            &x.ports,
            &x.name,
            out,
        );
        check_extra_container(p, &path, x, env, out);
    }
    for (i, x) in c.init_containers.iter().enumerate() {
        check_extra_container(p, &at(&format!("initContainers[{i}]")), x, env, out);
    }
    let mut container_names = BTreeSet::new();
    for name in std::iter::once(&w.name)
        .chain(c.sidecars.iter().map(|x| &x.name))
        .chain(c.init_containers.iter().map(|x| &x.name))
    {
        if !container_names.insert(name) {
            out.push(
                Diagnostic::error(
                    S,
                    base.clone(),
                    format!("two containers are named {name:?}"),
                )
                .with_hint("container names must be unique within a workload"),
            );
        }
    }

    // Ports
    let mut port_names = BTreeSet::new();
    for (i, port) in c.ports.iter().enumerate() {
        let path = at(&format!("ports[{i}]"));
        let n = &port.name;
        let ok = n.len() <= 15 && is_dns1123_label(n) && n.chars().any(|c| c.is_ascii_lowercase());
        if !ok {
            out.push(Diagnostic::error(S, join(&path, "name"), format!("invalid port name {n:?}")).with_hint("port names are at most 15 lowercase letters, digits and '-', with at least one letter"));
        }
        if !port_names.insert(n) {
            out.push(
                Diagnostic::error(S, join(&path, "name"), format!("duplicate port name {n:?}"))
                    .with_hint("port names must be unique within a container"),
            );
        }
        if port.container_port == 0 {
            out.push(
                Diagnostic::error(
                    S,
                    join(&path, "containerPort"),
                    "port 0 is not a valid port",
                )
                .with_hint("use 1-65535"),
            );
        }
        if let Some(proto) = &port.protocol {
            if !["TCP", "UDP", "SCTP"].contains(&proto.as_str()) {
                out.push(
                    Diagnostic::error(
                        S,
                        join(&path, "protocol"),
                        format!("unknown protocol {proto:?}"),
                    )
                    .with_hint("use TCP, UDP or SCTP"),
                );
            }
        }
    }

    // Config, env, secrets
    for key in c.config.keys().chain(c.config_files.keys()) {
        if is_secret_key(key) {
            out.push(
                Diagnostic::error(
                    S,
                    at(&format!("config.{key}")),
                    format!("secret-looking key {key:?} would land in a ConfigMap"),
                )
                .with_hint(
                    "put the value in a Kubernetes Secret and reference it under `secrets:`",
                ),
            );
        }
    }
    for (key, value) in &c.env {
        if is_secret_key(key) && !is_placeholder(value) {
            out.push(
                Diagnostic::error(
                    S,
                    at(&format!("env.{key}")),
                    format!("secret-looking variable {key:?} has an inline value"),
                )
                .with_hint("load it from a Secret: `secrets: [{secret: NAME, env: {VAR: key}}]`"),
            );
        }
        check_env_name(&at(&format!("env.{key}")), key, out);
    }
    for (i, s) in c.secrets.iter().enumerate() {
        let path = at(&format!("secrets[{i}]"));
        if !is_dns1123_subdomain(&s.secret) {
            out.push(
                Diagnostic::error(
                    S,
                    join(&path, "secret"),
                    format!("invalid Secret name {:?}", s.secret),
                )
                .with_hint(dns_hint()),
            );
        }
        if s.env_from != Some(true) && s.mount_path.is_none() && s.env.is_empty() {
            out.push(
                Diagnostic::error(S, path.clone(), format!("Secret {:?} is referenced but not used", s.secret))
                    .with_hint("say how it reaches the container: `envFrom: true`, `mountPath: /path`, or `env: {VAR: key}`"),
            );
        }
        for var in s.env.keys() {
            check_env_name(&join(&path, &format!("env.{var}")), var, out);
        }
    }

    // Volumes
    let mut volume_names = BTreeSet::new();
    for (i, v) in c.volumes.iter().enumerate() {
        let path = at(&format!("volumes[{i}]"));
        if !is_dns1123_label(&v.name) || v.name == "tmp" || v.name == "config-files" {
            out.push(
                Diagnostic::error(
                    S,
                    join(&path, "name"),
                    format!("invalid volume name {:?}", v.name),
                )
                .with_hint("use lowercase letters, digits and '-', starting and ending with a letter or digit (at most 63 characters); `tmp` and `config-files` are reserved by floe"),
            );
        }
        if !volume_names.insert(&v.name) {
            out.push(
                Diagnostic::error(
                    S,
                    join(&path, "name"),
                    format!("duplicate volume name {:?}", v.name),
                )
                .with_hint("volume names must be unique within a workload"),
            );
        }
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
                    S,
                    path.clone(),
                    format!(
                        "volume {:?} needs exactly one source, found {sources}",
                        v.name
                    ),
                )
                .with_hint("use one of emptyDir, persistent, claim, configMap, secret"),
            );
        }
        if v.host_path.is_some() && env.strict {
            out.push(
                Diagnostic::error(
                    S,
                    join(&path, "hostPath"),
                    format!("hostPath volumes are not allowed in {}", p.env),
                )
                .with_hint("use a PersistentVolumeClaim (`persistent: {size: 10Gi}`) instead"),
            );
        }
        if let Some(pv) = &v.persistent {
            parse_q(
                S,
                &join(&path, "persistent.size"),
                &pv.size.as_string(),
                out,
            );
        }
        if !v.mount_path.starts_with('/') {
            out.push(
                Diagnostic::error(
                    S,
                    join(&path, "mountPath"),
                    format!("mount path {:?} is not absolute", v.mount_path),
                )
                .with_hint("mount paths start with `/`, e.g. /var/lib/data"),
            );
        }
    }
    for (i, x) in c
        .sidecars
        .iter()
        .chain(c.init_containers.iter())
        .enumerate()
    {
        for m in &x.volume_mounts {
            if !volume_names.contains(m) {
                out.push(
                    Diagnostic::error(
                        S,
                        at(&format!("{}.volumeMounts", container_path(c, i))),
                        format!("no volume named {m:?} in this workload"),
                    )
                    .with_hint(format!(
                        "declare it under workloads.{}.volumes first",
                        w.name
                    )),
                );
            }
        }
    }

    // Scheduling
    for (i, t) in c.tolerations.iter().enumerate() {
        let path = at(&format!("tolerations[{i}]"));
        if let Some(op) = &t.operator {
            if op != "Equal" && op != "Exists" {
                out.push(
                    Diagnostic::error(
                        S,
                        join(&path, "operator"),
                        format!("unknown operator {op:?}"),
                    )
                    .with_hint("use Equal or Exists"),
                );
            }
            if op == "Exists" && t.value.is_some() {
                out.push(
                    Diagnostic::error(
                        S,
                        join(&path, "value"),
                        "a toleration with operator Exists takes no value",
                    )
                    .with_hint("remove `value`, or use operator Equal"),
                );
            }
        }
        if let Some(e) = &t.effect {
            if !["NoSchedule", "PreferNoSchedule", "NoExecute"].contains(&e.as_str()) {
                out.push(
                    Diagnostic::error(S, join(&path, "effect"), format!("unknown effect {e:?}"))
                        .with_hint("use NoSchedule, PreferNoSchedule or NoExecute"),
                );
            }
        }
    }

    // Scaling, disruption, routing
    if let Some(h) = &c.hpa {
        if !c.kind.is_long_running() {
            out.push(
                Diagnostic::error(
                    S,
                    at("hpa"),
                    format!("an HPA cannot scale a {}", c.kind.as_str()),
                )
                .with_hint("HPAs scale Deployments and StatefulSets"),
            );
        }
        let min = h.min_replicas.unwrap_or_else(|| w.replicas(env));
        if h.max_replicas < min.max(1) {
            out.push(
                Diagnostic::error(
                    S,
                    at("hpa.maxReplicas"),
                    format!("maxReplicas {} is below minReplicas {min}", h.max_replicas),
                )
                .with_hint(
                    "raise hpa.maxReplicas to at least hpa.minReplicas (or lower minReplicas)",
                ),
            );
        }
    }
    if let Some(pdb) = &c.pdb {
        if !c.kind.is_long_running() {
            out.push(
                Diagnostic::error(
                    S,
                    at("pdb"),
                    format!(
                        "a PodDisruptionBudget does not apply to a {}",
                        c.kind.as_str()
                    ),
                )
                .with_hint(
                    "PodDisruptionBudgets protect Deployments and StatefulSets; remove `pdb` here",
                ),
            );
        }
        if pdb.min_available.is_some() && pdb.max_unavailable.is_some() {
            out.push(
                Diagnostic::error(S, at("pdb"), "set minAvailable or maxUnavailable, not both")
                    .with_hint("a PodDisruptionBudget takes one of the two; keep the one you mean"),
            );
        }
    }
    if let Some(ing) = &c.ingress {
        if !w.has_service() || c.ports.is_empty() {
            out.push(
                Diagnostic::error(S, at("ingress"), "an ingress needs a Service to route to")
                    .with_hint("declare `ports:` on a Deployment or StatefulSet"),
            );
        }
        if let Some(port) = &ing.port {
            if !c.ports.iter().any(|p| &p.name == port) {
                out.push(Diagnostic::error(
                    S,
                    at("ingress.port"),
                    format!("no port named {port:?}"),
                ).with_hint("`ingress.port` names one of the workload's `ports:` (defaults to the first)"));
            }
        }
        if let Some(tls) = &ing.tls_secret {
            if !is_dns1123_subdomain(tls) {
                out.push(
                    Diagnostic::error(
                        S,
                        at("ingress.tlsSecret"),
                        format!("invalid Secret name {tls:?}"),
                    )
                    .with_hint(dns_hint()),
                );
            }
        }
    }
    if let Some(r) = &c.rollout {
        if let (Some(IntOrPercent::Int(0)), Some(IntOrPercent::Int(0))) =
            (&r.max_surge, &r.max_unavailable)
        {
            out.push(
                Diagnostic::error(
                    S,
                    at("rollout"),
                    "maxSurge and maxUnavailable cannot both be 0",
                )
                .with_hint("the platform default is maxSurge 1, maxUnavailable 0"),
            );
        }
        for (field, v) in [
            ("maxSurge", &r.max_surge),
            ("maxUnavailable", &r.max_unavailable),
        ] {
            if let Some(IntOrPercent::Percent(s)) = v {
                let ok = s
                    .strip_suffix('%')
                    .and_then(|n| n.parse::<u32>().ok())
                    .is_some_and(|n| n <= 100);
                if !ok {
                    out.push(
                        Diagnostic::error(
                            S,
                            at(&format!("rollout.{field}")),
                            format!("{s:?} is not a percentage from 0% to 100%"),
                        )
                        .with_hint("use e.g. 1 or \"25%\""),
                    );
                }
            }
        }
    }

    // Batch
    if c.kind == WorkloadKind::CronJob {
        let cron = c
            .cron
            .as_ref()
            .and_then(|c| c.schedule.clone())
            .or_else(|| p.spec.schedule.as_ref().and_then(|s| s.cron.clone()));
        match cron {
            None => out.push(
                Diagnostic::error(S, at("cron.schedule"), "a CronJob needs a schedule")
                    .with_hint("set `schedule.cron` in floe.yaml or `cron.schedule` here"),
            ),
            Some(expr) => {
                if c.cron.as_ref().and_then(|c| c.schedule.as_ref()).is_some() {
                    if let Err(why) = check_cron(&expr) {
                        out.push(
                            Diagnostic::error(
                                S,
                                at("cron.schedule"),
                                format!("invalid cron expression {expr:?}: {why}"),
                            )
                            .with_hint(
                                "use five fields: minute hour day-of-month month day-of-week, e.g. \"0 6 * * *\"",
                            ),
                        );
                    }
                }
            }
        }
        if let Some(policy) = c.cron.as_ref().and_then(|c| c.concurrency_policy.as_ref()) {
            if !["Allow", "Forbid", "Replace"].contains(&policy.as_str()) {
                out.push(
                    Diagnostic::error(
                        S,
                        at("cron.concurrencyPolicy"),
                        format!("unknown concurrency policy {policy:?}"),
                    )
                    .with_hint("use Allow, Forbid or Replace"),
                );
            }
        }
    } else if c.cron.is_some() {
        out.push(
            Diagnostic::error(
                S,
                at("cron"),
                format!(
                    "`cron` only applies to a CronJob, this is a {}",
                    c.kind.as_str()
                ),
            )
            .with_hint("set `kind: CronJob` on this workload, or remove `cron`"),
        );
    }
    if c.job.is_some() && c.kind.is_long_running() {
        out.push(
            Diagnostic::error(
                S,
                at("job"),
                format!(
                    "`job` only applies to a Job or CronJob, this is a {}",
                    c.kind.as_str()
                ),
            )
            .with_hint("set `kind: Job` or `kind: CronJob`, or remove `job`"),
        );
    }

    for (i, dep) in c.depends_on.iter().enumerate() {
        if !names.contains(dep.as_str()) {
            out.push(
                Diagnostic::error(
                    S,
                    at(&format!("dependsOn[{i}]")),
                    format!("no workload named {dep:?}"),
                )
                .with_hint(format!(
                    "known workloads: {}",
                    names.iter().copied().collect::<Vec<_>>().join(", ")
                )),
            );
        } else if dep == &w.name {
            out.push(
                Diagnostic::error(
                    S,
                    at(&format!("dependsOn[{i}]")),
                    "a workload cannot depend on itself",
                )
                .with_hint("remove this entry from dependsOn"),
            );
        }
    }
}

fn container_path(c: &WorkloadConfig, i: usize) -> String {
    if i < c.sidecars.len() {
        format!("sidecars[{i}]")
    } else {
        format!("initContainers[{}]", i - c.sidecars.len())
    }
}

fn check_env_name(path: &str, name: &str, out: &mut Vec<Diagnostic>) {
    let ok = !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-');
    if !ok {
        out.push(
            Diagnostic::error(
                S,
                path,
                format!("invalid environment variable name {name:?}"),
            )
            .with_hint("use letters, digits and '_', not starting with a digit"),
        );
    }
}

fn check_image(
    p: &Product,
    file: &str,
    path: &str,
    image: &str,
    env: &defaults::EnvDefaults,
    out: &mut Vec<Diagnostic>,
) {
    if image.trim().is_empty() || image.contains(char::is_whitespace) {
        out.push(
            Diagnostic::error(file, path, format!("invalid image reference {image:?}")).with_hint(
                "use registry/repository:tag, e.g. registry.example.com/acme/shop:1.0.0",
            ),
        );
        return;
    }
    if !env.strict {
        return;
    }
    // The tag is after the last ':' of the last path segment; a digest pins it.
    let last = image.rsplit('/').next().unwrap_or(image);
    let digest = image.contains("@sha256:");
    let tag = last
        .split('@')
        .next()
        .unwrap_or(last)
        .split_once(':')
        .map(|(_, t)| t);
    let problem = match tag {
        _ if digest => None,
        None => Some("has no tag (so it pulls `:latest`)"),
        Some("latest") => Some("uses the `:latest` tag"),
        Some(_) => None,
    };
    if let Some(problem) = problem {
        out.push(
            Diagnostic::error(
                file,
                path,
                format!(
                    "image {image:?} {problem}, which is not allowed in {}",
                    p.env
                ),
            )
            .with_hint("pin it with a version tag (e.g. :1.4.2) or a digest (@sha256:...)"),
        );
    }
}

fn check_resources(p: &Product, path: &str, r: Option<&Resources>, out: &mut Vec<Diagnostic>) {
    if let Some(name) = r.and_then(|r| r.preset.as_deref()) {
        let presets = p.manifest.as_ref().map(|m| &m.resource_presets);
        if !presets.is_some_and(|ps| ps.contains_key(name)) {
            let known: Vec<String> = presets
                .map(|ps| ps.keys().cloned().collect())
                .unwrap_or_default();
            out.push(
                Diagnostic::error(
                    S,
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
    let (req, lim) = render::resolve_resources(p, r);
    check_requests_within_limits(S, path, &req, &lim, out);
}

fn check_probes(
    path: &str,
    probes: Option<&Probes>,
    ports: &[Port],
    container: &str,
    out: &mut Vec<Diagnostic>,
) {
    if let Some(pr) = probes {
        check_probe_handlers(path, pr, out);
    }
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
                Diagnostic::error(S, join(path, kind), format!("long-running container {container:?} has no {kind} probe"))
                    .with_hint(format!("add `probes.{kind}` (http, tcp, grpc or exec), or declare `ports:` to get a TCP check")),
            );
        }
    }
}

fn check_probe_handlers(path: &str, probes: &Probes, out: &mut Vec<Diagnostic>) {
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
                    S,
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
                S,
                join(path, kind),
                "periodSeconds, timeoutSeconds and failureThreshold must be at least 1",
            ).with_hint("leave them out to get the defaults (periodSeconds 10, timeoutSeconds 2, failureThreshold 3)"));
        }
    }
}

fn check_extra_container(
    p: &Product,
    path: &str,
    x: &ExtraContainer,
    env: &defaults::EnvDefaults,
    out: &mut Vec<Diagnostic>,
) {
    if !is_dns1123_label(&x.name) {
        out.push(
            Diagnostic::error(
                S,
                join(path, "name"),
                format!("invalid container name {:?}", x.name),
            )
            .with_hint(dns_hint()),
        );
    }
    if let Some(image) = &x.image {
        check_image(p, S, &join(path, "image"), image, env, out);
    }
    check_resources(p, &join(path, "resources"), x.resources.as_ref(), out);
    for (key, value) in &x.env {
        if is_secret_key(key) && !is_placeholder(value) {
            out.push(
                Diagnostic::error(
                    S,
                    join(path, &format!("env.{key}")),
                    format!("secret-looking variable {key:?} has an inline value"),
                )
                .with_hint("load it from a Secret: `secrets: [{secret: NAME, env: {VAR: key}}]` on the workload"),
            );
        }
    }
}

/// Adds what one workload's pods request at their peak: replicas (or the
/// HPA's maximum) times the pod's effective request.
fn add_usage(p: &Product, w: &EffectiveWorkload, env: &defaults::EnvDefaults, usage: &mut Usage) {
    let c = &w.config;
    let pods = match c.kind {
        WorkloadKind::Deployment | WorkloadKind::StatefulSet => c
            .hpa
            .as_ref()
            .map(|h| h.max_replicas)
            .unwrap_or_else(|| w.replicas(env)),
        WorkloadKind::Job | WorkloadKind::CronJob => {
            c.job.as_ref().and_then(|j| j.parallelism).unwrap_or(1)
        }
    };
    let q = |text: &crate::model::platform::Quantityish| {
        quantity::parse(&text.as_string()).unwrap_or_default()
    };
    let (req, lim) = render::resolve_resources(p, c.resources.as_ref());
    let (mut cpu, mut mem, mut lcpu, mut lmem) =
        (q(&req.cpu), q(&req.memory), q(&lim.cpu), q(&lim.memory));
    // Native sidecars run alongside the main container for the pod's life.
    for x in &c.sidecars {
        let (r, l) = render::resolve_resources(p, x.resources.as_ref());
        cpu = cpu.plus(q(&r.cpu));
        mem = mem.plus(q(&r.memory));
        lcpu = lcpu.plus(q(&l.cpu));
        lmem = lmem.plus(q(&l.memory));
    }
    // Init containers run one at a time: the pod needs the larger of them.
    for x in &c.init_containers {
        let (r, l) = render::resolve_resources(p, x.resources.as_ref());
        cpu = cpu.max(q(&r.cpu));
        mem = mem.max(q(&r.memory));
        lcpu = lcpu.max(q(&l.cpu));
        lmem = lmem.max(q(&l.memory));
    }
    usage
        .parts
        .push((w.name.clone(), pods, [cpu, mem, lcpu, lmem]));
}

fn quota_rules(p: &Product, usage: &Usage, out: &mut Vec<Diagnostic>) {
    let env = defaults::for_env(p.env);
    let quota = p.settings.namespace.quota.clone().unwrap_or_default();
    let text = |v: &Option<crate::model::platform::Quantityish>, d: &str| {
        v.as_ref()
            .map(|q| q.as_string())
            .unwrap_or_else(|| d.to_string())
    };
    let checks: [(&str, &str, String, bool); 4] = [
        (
            "cpu",
            "cpu requests",
            text(&quota.cpu, env.quota_cpu),
            false,
        ),
        (
            "memory",
            "memory requests",
            text(&quota.memory, env.quota_memory),
            true,
        ),
        (
            "limitsCpu",
            "cpu limits",
            text(&quota.limits_cpu, env.quota_limits_cpu),
            false,
        ),
        (
            "limitsMemory",
            "memory limits",
            text(&quota.limits_memory, env.quota_limits_memory),
            true,
        ),
    ];
    for (i, (field, what, limit_text, memory)) in checks.into_iter().enumerate() {
        let path = format!("namespace.quota.{field}");
        let Some(limit) = parse_q(S, &path, &limit_text, out) else {
            continue;
        };
        let used = usage.total(i);
        if used > limit {
            let show = |m: Milli| {
                if memory {
                    m.display_memory()
                } else {
                    m.display_cpu()
                }
            };
            let (side, res) = what
                .split_once(' ')
                .map(|(r, s)| (s, r))
                .unwrap_or(("requests", "cpu"));
            out.push(
                Diagnostic::error(
                    S,
                    path.clone(),
                    format!(
                        "{what} add up to {} at peak, above the namespace quota of {limit_text}; pods at peak (replicas or HPA maximum) × one pod's {side}: {}",
                        show(used),
                        usage.breakdown(i, show)
                    ),
                )
                .with_hint(format!(
                    "raise {path} for {} (e.g. under environments.{}), or lower replicas, hpa.maxReplicas or resources.{side}.{res}",
                    p.env, p.env
                )),
            );
        }
    }
    let pods = quota.pods.unwrap_or(env.quota_pods);
    if usage.pods() > pods {
        let count = |m: Milli| m.display_cpu();
        let one = Milli(1000);
        let per_pod = Usage {
            parts: usage
                .parts
                .iter()
                .map(|(n, p, _)| (n.clone(), *p, [one; 4]))
                .collect(),
        };
        out.push(
            Diagnostic::error(
                S,
                "namespace.quota.pods",
                format!(
                    "the workloads run up to {} pods at peak (replicas or HPA maximum), above the quota of {pods}: {}",
                    usage.pods(),
                    per_pod.breakdown(0, count).replace(" × 1", "")
                ),
            )
            .with_hint(format!(
                "raise namespace.quota.pods for {} (e.g. under environments.{}), or lower replicas or hpa.maxReplicas",
                p.env, p.env
            )),
        );
    }
}
