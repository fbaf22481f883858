//! Readable names for the values operators look for (image, replicas,
//! resources, HPA bounds, quota, ingress host, namespace, the toggles);
//! anything else that differs gets a name from its object and path.

use super::path::{ObjectPath, Step, ValuePath};
use crate::names::LABEL_ENVIRONMENT;
use serde_json::Value;

/// What is known about the exported environments, in export order.
pub struct Environments {
    pub product: String,
    pub names: Vec<String>,
    pub namespaces: Vec<String>,
}

/// A place in one object, with what it holds in each environment (`None`
/// where the object is not rendered).
pub struct Site<'a> {
    pub envs: &'a Environments,
    pub kind: &'a str,
    pub name: &'a str,
    /// The Namespace object of the product itself (its name differs per environment).
    pub own_namespace: bool,
    pub path: &'a ObjectPath,
    pub values: &'a [Option<&'a Value>],
    pub bodies: &'a [Option<&'a Value>],
}

/// A readable name, and whether the value is lifted even when every
/// environment agrees (the values an operator expects to find).
pub struct Rule {
    pub path: ValuePath,
    pub always: bool,
}

fn rule(keys: Vec<String>, always: bool) -> Option<Rule> {
    Some(Rule {
        path: ValuePath(keys),
        always,
    })
}

/// The readable name of the value at `site`, if it has one.
pub fn readable(site: &Site) -> Option<Rule> {
    shared(site)
        .or_else(|| workload(site))
        .or_else(|| by_kind(site))
        .or_else(|| environment_by_value(site))
}

/// The generic name: the object, then its path.
pub fn generic(site: &Site) -> ValuePath {
    ValuePath(vec![
        "objects".into(),
        object_id(site.kind, site.name, site.own_namespace),
        site.path.to_string(),
    ])
}

pub fn object_id(kind: &str, name: &str, own_namespace: bool) -> String {
    if own_namespace {
        kind.to_string()
    } else {
        format!("{kind}/{name}")
    }
}

/// The toggle of an object: named for PDBs, HPAs and NetworkPolicies
/// (always there), generic for objects that only some environments render.
pub fn toggle(kind: &str, name: &str, own_namespace: bool) -> (ValuePath, bool) {
    let workload = |what: &str| ValuePath::of(&["workloads", name, what, "enabled"]);
    match kind {
        "PodDisruptionBudget" => (workload("pdb"), true),
        "HorizontalPodAutoscaler" => (workload("hpa"), true),
        "NetworkPolicy" => (ValuePath::of(&["networkPolicies", "enabled"]), true),
        _ => (
            ValuePath::of(&["objects", &object_id(kind, name, own_namespace), "enabled"]),
            false,
        ),
    }
}

/// Every present value is `expected(env index)`.
fn each_env_is(site: &Site, expected: impl Fn(usize) -> String) -> bool {
    site.values.iter().enumerate().all(|(i, v)| match v {
        Some(v) => v.as_str() == Some(expected(i).as_str()),
        None => true,
    })
}

/// Namespace, instance and environment: the same in every object.
fn shared(site: &Site) -> Option<Rule> {
    let path = site.path;
    let names_namespace = path.last_key() == Some("namespace")
        || (site.own_namespace
            && (path.is(&["metadata", "name"])
                || path.is(&["metadata", "labels", "app.kubernetes.io/name"])));
    if names_namespace && each_env_is(site, |i| site.envs.namespaces[i].clone()) {
        return rule(vec!["namespace".into()], true);
    }
    let instance = |i: usize| format!("{}-{}", site.envs.product, site.envs.names[i]);
    if path.last_key() == Some("app.kubernetes.io/instance") && each_env_is(site, instance) {
        return rule(vec!["instance".into()], true);
    }
    if path.last_key() == Some(LABEL_ENVIRONMENT)
        && each_env_is(site, |i| site.envs.names[i].clone())
    {
        return rule(vec!["environment".into()], true);
    }
    None
}

/// `workloads.<name>.<rest...>`: the values of one workload.
fn under_workload(name: &str, rest: &[&str]) -> Vec<String> {
    let mut keys = vec!["workloads".to_string(), name.to_string()];
    keys.extend(rest.iter().map(|k| k.to_string()));
    keys
}

/// Where a workload kind keeps its pod template.
fn pod_template(kind: &str) -> Option<&'static [&'static str]> {
    match kind {
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => {
            Some(&["spec", "template"])
        }
        "CronJob" => Some(&["spec", "jobTemplate", "spec", "template"]),
        _ => None,
    }
}

fn workload(site: &Site) -> Option<Rule> {
    let template = pod_template(site.kind)?;
    let base = |rest: &[&str]| under_workload(site.name, rest);
    if site.path.is(&["spec", "replicas"]) {
        return rule(base(&["replicas"]), true);
    }
    let steps = &site.path.0;
    if steps.len() < template.len() || site.path.keys()[..template.len()] != *template {
        return None;
    }
    let inner = ObjectPath(steps[template.len()..].to_vec());
    if inner.is(&["metadata", "annotations", "floe.dev/config-hash"]) {
        return rule(base(&["configHash"]), false);
    }
    if inner.is(&["spec", "affinity"]) {
        return rule(base(&["affinity"]), false);
    }
    container(site, template, &inner, base)
}

/// Image, resources and pull policy of one container: the main container
/// (named like the workload) directly under the workload, others by name.
fn container(
    site: &Site,
    template: &[&str],
    inner: &ObjectPath,
    base: impl Fn(&[&str]) -> Vec<String>,
) -> Option<Rule> {
    let [Step::Key(spec), Step::Key(list), Step::Index(i), Step::Key(field)] = inner.0.as_slice()
    else {
        return None;
    };
    if spec != "spec" || !(list == "containers" || list == "initContainers") {
        return None;
    }
    let always = match field.as_str() {
        "image" | "resources" => true,
        "imagePullPolicy" => false,
        _ => return None,
    };
    let pointer = format!("/{}/spec/{list}/{i}/name", template.join("/"));
    let container_name = site
        .bodies
        .iter()
        .flatten()
        .find_map(|body| body.pointer(&pointer)?.as_str())?;
    if list == "containers" && container_name == site.name {
        return rule(base(&[field]), always);
    }
    rule(base(&["containers", container_name, field]), always)
}

fn by_kind(site: &Site) -> Option<Rule> {
    let path = site.path;
    let workload = |rest: &[&str]| under_workload(site.name, rest);
    match site.kind {
        "HorizontalPodAutoscaler" if path.is(&["spec", "minReplicas"]) => {
            rule(workload(&["hpa", "minReplicas"]), true)
        }
        "HorizontalPodAutoscaler" if path.is(&["spec", "maxReplicas"]) => {
            rule(workload(&["hpa", "maxReplicas"]), true)
        }
        "ResourceQuota" if path.is(&["spec", "hard"]) => rule(vec!["quota".into()], true),
        "Ingress" if is_ingress_host(path) => rule(workload(&["ingress", "host"]), true),
        _ => None,
    }
}

fn is_ingress_host(path: &ObjectPath) -> bool {
    matches!(
        path.0.as_slice(),
        [Step::Key(s), Step::Key(r), Step::Index(_), Step::Key(h)]
            if s == "spec" && r == "rules" && h == "host"
    ) || matches!(
        path.0.as_slice(),
        [Step::Key(s), Step::Key(t), Step::Index(_), Step::Key(h), Step::Index(_)]
            if s == "spec" && t == "tls" && h == "hosts"
    )
}

/// A text that is each environment's own name (a job's `--env` argument)
/// reads as the environment.
fn environment_by_value(site: &Site) -> Option<Rule> {
    let present = site.values.iter().flatten().count();
    let distinct = site.envs.names.len() > 1 && present > 1;
    (distinct && each_env_is(site, |i| site.envs.names[i].clone()))
        .then(|| rule(vec!["environment".into()], false))
        .flatten()
}
