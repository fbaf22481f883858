//! Harness for tests against floe's local Kubernetes control plane
//! (`testcluster/`, started by `scripts/cluster-up.sh`; `scripts/test.sh` starts
//! one for the whole test run and exports its kubeconfig).
//!
//! ```ignore
//! mod support;
//! use support::TestNs;
//!
//! #[tokio::test]
//! async fn my_test() {
//!     let ns = TestNs::new("my-test").await; // fresh namespace, default SA ready
//!     let pod: Pod = ns.create(json!({ "apiVersion": "v1", "kind": "Pod", ... })).await;
//!     ns.wait_for::<Pod>("p", "pod running", |p| phase(p) == "Running").await;
//! }
//! ```
//!
//! The cluster is found through `FLOE_TEST_KUBECONFIG` only (never the user's
//! `KUBECONFIG`, which may point at a real cluster). Without it, or when the
//! cluster does not answer, cluster tests fail with a message saying how to
//! start one. When a test panics, the guard prints the namespace's pods and
//! events and the tail of every control-plane log.
#![allow(dead_code)]

pub mod oci;

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use k8s_openapi::api::core::v1::{Event, Namespace, Node, Pod, ServiceAccount};
use k8s_openapi::NamespaceResourceScope;
use kube::api::{Api, DeleteParams, ListParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config, Resource};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

/// Environment variable holding the test cluster's kubeconfig path.
pub const KUBECONFIG_ENV: &str = "FLOE_TEST_KUBECONFIG";
/// Environment variable holding a second cluster's kubeconfig (multi-cluster tests).
pub const SECOND_KUBECONFIG_ENV: &str = "FLOE_TEST_KUBECONFIG_2";
/// Environment variable holding the cluster's run directory (logs/, pids/).
pub const CLUSTER_DIR_ENV: &str = "FLOE_CLUSTER_DIR";
/// Default bound of every wait: generous, CI machines are busy.
pub const TIMEOUT: Duration = Duration::from_secs(90);
/// Label (or annotation) that makes kwok put a pod into a failure state.
pub const FAULT_LABEL: &str = "floe.dev/test-fault";
/// Taint put on every node created by a test: only that test's pods (which
/// tolerate it) land there, so parallel tests never share test nodes.
pub const TEST_NODE_TAINT: &str = "floe.dev/test-node";

const POLL: Duration = Duration::from_millis(250);

/// Path of the test cluster's kubeconfig, or a panic explaining how to get one.
pub fn kubeconfig_path() -> PathBuf {
    kubeconfig_from(KUBECONFIG_ENV)
}

/// Path of the second test cluster's kubeconfig (multi-cluster tests), or a
/// panic explaining how to get one.
pub fn second_kubeconfig_path() -> PathBuf {
    kubeconfig_from(SECOND_KUBECONFIG_ENV)
}

fn kubeconfig_from(var: &str) -> PathBuf {
    match std::env::var_os(var) {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => panic!(
            "no test cluster: {var} is not set.\n\
             Cluster tests need the local control plane. Run `bash scripts/test.sh` \
             (starts two clusters, runs every test, stops them), or start one yourself with \
             `bash scripts/cluster-up.sh`, then `source <run dir>/env` and run `cargo test` \
             ({SECOND_KUBECONFIG_ENV}: the kubeconfig of a second cluster)."
        ),
    }
}

/// The run directory of the cluster (for its logs), if known.
pub fn cluster_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os(CLUSTER_DIR_ENV).filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    // cluster-up.sh writes the kubeconfig at <run dir>/kubeconfig.
    let parent = kubeconfig_path().parent()?.to_path_buf();
    parent.join("logs").is_dir().then_some(parent)
}

/// A client for the test cluster (admin: `system:masters`). Panics with a clear
/// message when the cluster is not configured or does not answer.
pub async fn client() -> Client {
    client_for(KUBECONFIG_ENV, &kubeconfig_path()).await
}

/// A client for the second test cluster (`FLOE_TEST_KUBECONFIG_2`), for
/// multi-cluster tests; same checks as [`client`].
pub async fn second_client() -> Client {
    client_for(SECOND_KUBECONFIG_ENV, &second_kubeconfig_path()).await
}

async fn client_for(var: &str, path: &std::path::Path) -> Client {
    let kubeconfig = Kubeconfig::read_from(path)
        .unwrap_or_else(|e| panic!("cannot read {var}={}: {e}", path.display()));
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .unwrap_or_else(|e| panic!("invalid kubeconfig {}: {e}", path.display()));
    let server = config.cluster_url.clone();
    let client = Client::try_from(config).expect("building a kube client");
    match tokio::time::timeout(Duration::from_secs(15), client.apiserver_version()).await {
        Ok(Ok(_)) => client,
        Ok(Err(e)) => panic!(
            "test cluster at {server} (from {var}={}) is not reachable: {e}\n\
             Is it still running? `bash scripts/test.sh` starts a fresh one.",
            path.display()
        ),
        Err(_) => panic!("test cluster at {server} (from {var}) did not answer within 15s"),
    }
}

/// A client authenticating with a bearer token (e.g. a ServiceAccount's),
/// trusting the test cluster's CA, with no client certificate.
pub async fn client_with_token(token: &str) -> Client {
    let path = kubeconfig_path();
    let admin = Kubeconfig::read_from(&path).expect("reading the test kubeconfig");
    let cluster = admin.clusters[0].cluster.clone().expect("cluster entry");
    let yaml = serde_json::to_string(&json!({
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": "c", "cluster": {
            "server": cluster.server,
            "certificate-authority-data": cluster.certificate_authority_data,
        }}],
        "users": [{"name": "u", "user": {"token": token}}],
        "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "x",
    }))
    .unwrap();
    let kubeconfig = Kubeconfig::from_yaml(&yaml).expect("token kubeconfig");
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .expect("token config");
    Client::try_from(config).expect("token client")
}

/// A copy of `examples/minimal` in `dir` that deploys to namespace `ns`
/// (each test its own product and namespace).
pub fn minimal_product_in(dir: &std::path::Path, ns: &str) {
    std::fs::create_dir_all(dir).unwrap();
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/minimal");
    for f in ["floe.yaml", "manifest.yaml", "floe-deploy.yaml"] {
        std::fs::copy(src.join(f), dir.join(f)).unwrap();
    }
    let mut settings = std::fs::read_to_string(dir.join("floe-deploy.yaml")).unwrap();
    settings.push_str(&format!("namespace:\n  name: {ns}\n"));
    std::fs::write(dir.join("floe-deploy.yaml"), settings).unwrap();
}

/// A name unique across tests, threads and test processes (max 63 chars).
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mix =
        (nanos ^ (u64::from(std::process::id()) << 32) ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .wrapping_mul(0xBF58_476D_1CE4_E5B9);
    let mut prefix: String = prefix
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    prefix.truncate(50);
    format!("{}-{:08x}", prefix.trim_matches('-'), mix >> 32)
}

/// Polls `probe` every 250 ms until it returns `Ok`, or panics after `timeout`
/// with `what` and the last observation the probe reported as `Err`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let start = Instant::now();
    loop {
        match probe().await {
            Ok(v) => return v,
            Err(last) => {
                if start.elapsed() >= timeout {
                    panic!("timed out after {timeout:?} waiting for {what}; last seen: {last}");
                }
            }
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Asserts that `check` holds on every poll for `duration` (for "never" properties).
pub async fn always<F, Fut>(what: &str, duration: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    let start = Instant::now();
    while start.elapsed() < duration {
        if let Err(e) = check().await {
            panic!(
                "expected {what} for {duration:?}, but after {:?}: {e}",
                start.elapsed()
            );
        }
        tokio::time::sleep(POLL).await;
    }
}

/// The `.status` of an object as JSON (for messages).
pub fn status_of<K: Serialize>(obj: &K) -> String {
    let v = serde_json::to_value(obj).unwrap_or(Value::Null);
    v.get("status")
        .map(Value::to_string)
        .unwrap_or_else(|| "<no status>".into())
}

/// Status of the condition `type_` of an object (`"True"`, `"False"`, ...), from its JSON.
pub fn condition<K: Serialize>(obj: &K, type_: &str) -> Option<String> {
    let v = serde_json::to_value(obj).ok()?;
    v.pointer("/status/conditions")?
        .as_array()?
        .iter()
        .find(|c| c["type"] == type_)
        .and_then(|c| c["status"].as_str().map(str::to_owned))
}

pub fn pod_phase(pod: &Pod) -> &str {
    pod.status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .unwrap_or("")
}

pub fn pod_ready(pod: &Pod) -> bool {
    condition(pod, "Ready").as_deref() == Some("True")
}

pub fn pod_node(pod: &Pod) -> Option<&str> {
    pod.spec.as_ref().and_then(|s| s.node_name.as_deref())
}

/// Reason the first container is waiting for, if it is waiting.
pub fn waiting_reason(pod: &Pod) -> Option<&str> {
    pod.status
        .as_ref()?
        .container_statuses
        .as_ref()?
        .first()?
        .state
        .as_ref()?
        .waiting
        .as_ref()?
        .reason
        .as_deref()
}

/// A fake node managed by kwok, with real labels, taints and capacity.
#[derive(Clone, Debug)]
pub struct FakeNode {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    /// (key, value, effect)
    pub taints: Vec<(String, String, String)>,
    pub cpu: String,
    pub memory: String,
    pub pods: String,
}

impl FakeNode {
    /// A node with a unique name, 4 CPU, 8Gi, 110 pods, and the private
    /// test-node taint (tolerate it with [`TestNs::test_node_toleration`]).
    pub fn new(prefix: &str) -> Self {
        let name = unique_name(prefix);
        let mut node = FakeNode {
            name: name.clone(),
            labels: BTreeMap::new(),
            taints: vec![(TEST_NODE_TAINT.into(), name.clone(), "NoSchedule".into())],
            cpu: "4".into(),
            memory: "8Gi".into(),
            pods: "110".into(),
        };
        node.labels.insert("kubernetes.io/hostname".into(), name);
        node
    }
    pub fn label(mut self, k: &str, v: &str) -> Self {
        self.labels.insert(k.into(), v.into());
        self
    }
    pub fn taint(mut self, key: &str, value: &str, effect: &str) -> Self {
        self.taints.push((key.into(), value.into(), effect.into()));
        self
    }
    pub fn capacity(mut self, cpu: &str, memory: &str, pods: &str) -> Self {
        (self.cpu, self.memory, self.pods) = (cpu.into(), memory.into(), pods.into());
        self
    }
    fn to_json(&self) -> Value {
        let mut labels = self.labels.clone();
        labels.insert("type".into(), "kwok".into());
        labels.insert("kubernetes.io/os".into(), "linux".into());
        labels.insert("kubernetes.io/arch".into(), "amd64".into());
        let taints: Vec<Value> = self
            .taints
            .iter()
            .map(|(k, v, e)| json!({"key": k, "value": v, "effect": e}))
            .collect();
        let resources = json!({"cpu": self.cpu, "memory": self.memory, "pods": self.pods});
        json!({
            "apiVersion": "v1", "kind": "Node",
            "metadata": {
                "name": self.name,
                "labels": labels,
                "annotations": {"kwok.x-k8s.io/node": "fake", "floe.dev/test-node": "true"},
            },
            "spec": {"taints": taints},
            "status": {"capacity": resources, "allocatable": resources},
        })
    }
}

/// Creates a kwok node and waits until it is Ready and free of the
/// `node.kubernetes.io/*` start-up taints. Callers delete it (see [`TestNs`]).
pub async fn create_fake_node(client: &Client, node: &FakeNode) -> Node {
    let nodes: Api<Node> = Api::all(client.clone());
    let obj: Node = serde_json::from_value(node.to_json()).expect("node json");
    nodes
        .create(&PostParams::default(), &obj)
        .await
        .unwrap_or_else(|e| panic!("creating fake node {}: {e}", node.name));
    let name = node.name.clone();
    eventually(&format!("fake node {name} Ready"), TIMEOUT, || {
        let nodes = nodes.clone();
        let name = name.clone();
        async move {
            let n = nodes.get(&name).await.map_err(|e| e.to_string())?;
            let startup_taint = n
                .spec
                .as_ref()
                .and_then(|s| s.taints.as_ref())
                .is_some_and(|t| t.iter().any(|t| t.key.starts_with("node.kubernetes.io/")));
            if condition(&n, "Ready").as_deref() == Some("True") && !startup_taint {
                Ok(n)
            } else {
                Err(format!(
                    "taints {:?}, status {}",
                    n.spec.as_ref().map(|s| &s.taints),
                    status_of(&n)
                ))
            }
        }
    })
    .await
}

/// A fresh namespace for one test, deleted when the test passes (kept, with
/// diagnostics printed, when it fails). Nodes created through it are deleted
/// in both cases.
pub struct TestNs {
    pub client: Client,
    pub name: String,
    nodes: Mutex<Vec<String>>,
}

impl TestNs {
    /// Creates namespace `<prefix>-<random>` and waits for its `default`
    /// ServiceAccount (pods are rejected until the controller made it).
    pub async fn new(prefix: &str) -> TestNs {
        let client = client().await;
        let name = unique_name(prefix);
        let namespaces: Api<Namespace> = Api::all(client.clone());
        let ns: Namespace = serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": {"floe.dev/test": "true"}},
        }))
        .unwrap();
        namespaces
            .create(&PostParams::default(), &ns)
            .await
            .unwrap_or_else(|e| panic!("creating namespace {name}: {e}"));
        let test_ns = TestNs {
            client,
            name,
            nodes: Mutex::new(Vec::new()),
        };
        let sas: Api<ServiceAccount> = test_ns.api();
        eventually("the namespace's default ServiceAccount", TIMEOUT, || {
            let sas = sas.clone();
            async move {
                match sas.get_opt("default").await {
                    Ok(Some(_)) => Ok(()),
                    Ok(None) => Err("not created yet".into()),
                    Err(e) => Err(e.to_string()),
                }
            }
        })
        .await;
        test_ns
    }

    /// `Api<K>` in this namespace.
    pub fn api<K>(&self) -> Api<K>
    where
        K: Resource<Scope = NamespaceResourceScope, DynamicType = ()>,
    {
        Api::namespaced(self.client.clone(), &self.name)
    }

    /// Creates a namespaced object given as JSON; `metadata.namespace` is set.
    pub async fn try_create<K>(&self, mut obj: Value) -> Result<K, kube::Error>
    where
        K: Resource<Scope = NamespaceResourceScope, DynamicType = ()>
            + Clone
            + DeserializeOwned
            + Serialize
            + Debug,
    {
        obj["metadata"]["namespace"] = json!(self.name);
        let typed: K = serde_json::from_value(obj.clone())
            .unwrap_or_else(|e| panic!("object does not parse as {}: {e}\n{obj:#}", K::kind(&())));
        self.api::<K>().create(&PostParams::default(), &typed).await
    }

    /// Like [`TestNs::try_create`], panicking with the object's kind and name on error.
    pub async fn create<K>(&self, obj: Value) -> K
    where
        K: Resource<Scope = NamespaceResourceScope, DynamicType = ()>
            + Clone
            + DeserializeOwned
            + Serialize
            + Debug,
    {
        let name = obj["metadata"]["name"].as_str().unwrap_or("?").to_owned();
        self.try_create(obj)
            .await
            .unwrap_or_else(|e| panic!("creating {} {}/{name}: {e}", K::kind(&()), self.name))
    }

    /// Polls object `name` until `pred` holds; panics after [`TIMEOUT`] with its status.
    pub async fn wait_for<K>(&self, name: &str, what: &str, pred: impl Fn(&K) -> bool) -> K
    where
        K: Resource<Scope = NamespaceResourceScope, DynamicType = ()>
            + Clone
            + DeserializeOwned
            + Serialize
            + Debug,
    {
        let api = self.api::<K>();
        let what = format!("{} {}/{name}: {what}", K::kind(&()), self.name);
        eventually(&what, TIMEOUT, || {
            let api = api.clone();
            let pred = &pred;
            async move {
                match api.get_opt(name).await {
                    Ok(Some(obj)) if pred(&obj) => Ok(obj),
                    Ok(Some(obj)) => Err(format!("status {}", status_of(&obj))),
                    Ok(None) => Err("not found".into()),
                    Err(e) => Err(e.to_string()),
                }
            }
        })
        .await
    }

    /// Polls the pods matching `selector` until `pred` holds for the list.
    pub async fn wait_for_pods(
        &self,
        selector: &str,
        what: &str,
        pred: impl Fn(&[Pod]) -> bool,
    ) -> Vec<Pod> {
        let api = self.api::<Pod>();
        let lp = ListParams::default().labels(selector);
        let what = format!("pods {}/[{selector}]: {what}", self.name);
        eventually(&what, TIMEOUT, || {
            let (api, lp, pred) = (api.clone(), lp.clone(), &pred);
            async move {
                let pods = api.list(&lp).await.map_err(|e| e.to_string())?.items;
                if pred(&pods) {
                    Ok(pods)
                } else {
                    Err(pods.iter().map(pod_summary).collect::<Vec<_>>().join("; "))
                }
            }
        })
        .await
    }

    /// Events in this namespace about the object `name` (core/v1 view, which
    /// also shows events.k8s.io events such as the scheduler's).
    pub async fn events_for(&self, name: &str) -> Vec<Event> {
        let lp = ListParams::default().fields(&format!("involvedObject.name={name}"));
        self.api::<Event>()
            .list(&lp)
            .await
            .expect("listing events")
            .items
    }

    /// Waits for an event with `reason` about `name`; returns its message.
    pub async fn wait_for_event(&self, name: &str, reason: &str) -> String {
        let what = format!("event {reason} for {}/{name}", self.name);
        eventually(&what, TIMEOUT, || async move {
            let events = self.events_for(name).await;
            events
                .iter()
                .find(|e| e.reason.as_deref() == Some(reason))
                .map(|e| e.message.clone().unwrap_or_default())
                .ok_or_else(|| {
                    let seen: Vec<_> = events.iter().filter_map(|e| e.reason.clone()).collect();
                    format!("events so far: {seen:?}")
                })
        })
        .await
    }

    /// Creates a fake node owned by this test (deleted when the test ends).
    pub async fn fake_node(&self, node: FakeNode) -> Node {
        self.nodes.lock().unwrap().push(node.name.clone());
        create_fake_node(&self.client, &node).await
    }

    /// A minimal container: a fixed image and small requests and limits.
    pub fn container(name: &str) -> Value {
        json!({
            "name": name,
            "image": "registry.floe.local/test/app:1.0",
            "resources": {
                "requests": {"cpu": "10m", "memory": "16Mi"},
                "limits": {"cpu": "50m", "memory": "32Mi"},
            },
        })
    }

    /// Toleration for the private taint of a node made by [`FakeNode::new`].
    pub fn test_node_toleration(node: &str) -> Value {
        json!({"key": TEST_NODE_TAINT, "operator": "Equal", "value": node, "effect": "NoSchedule"})
    }

    /// Toleration for the private taint of every test node.
    pub fn any_test_node_toleration() -> Value {
        json!({"key": TEST_NODE_TAINT, "operator": "Exists", "effect": "NoSchedule"})
    }

    fn cleanup(&self, failed: bool) {
        let ns = self.name.clone();
        let nodes = std::mem::take(&mut *self.nodes.lock().unwrap());
        // Drop cannot await and blocks the test's runtime, which also drives
        // `self.client`'s connection: use a runtime and a client of our own,
        // on a separate thread.
        let handle = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let client = client().await;
                if failed {
                    print_diagnostics(&client, &ns).await;
                } else {
                    let _ = Api::<Namespace>::all(client.clone())
                        .delete(&ns, &DeleteParams::default())
                        .await;
                }
                for node in nodes {
                    let _ = Api::<Node>::all(client.clone())
                        .delete(&node, &DeleteParams::default())
                        .await;
                }
            })
        });
        let _ = handle.join();
    }
}

impl Drop for TestNs {
    fn drop(&mut self) {
        self.cleanup(std::thread::panicking());
    }
}

fn pod_summary(p: &Pod) -> String {
    format!(
        "{} phase={} ready={} node={} waiting={}",
        p.metadata.name.as_deref().unwrap_or("?"),
        pod_phase(p),
        pod_ready(p),
        pod_node(p).unwrap_or("-"),
        waiting_reason(p).unwrap_or("-"),
    )
}

async fn print_diagnostics(client: &Client, ns: &str) {
    let mut out =
        format!("\n===== cluster diagnostics for failed test (namespace {ns}, kept) =====\n");
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    if let Ok(list) = pods.list(&ListParams::default()).await {
        out += "--- pods\n";
        for p in &list.items {
            out += &format!("{}\n", pod_summary(p));
        }
    }
    let events: Api<Event> = Api::namespaced(client.clone(), ns);
    if let Ok(list) = events.list(&ListParams::default()).await {
        out += "--- events\n";
        for e in &list.items {
            out += &format!(
                "{} {} {}/{}: {}\n",
                e.type_.as_deref().unwrap_or(""),
                e.reason.as_deref().unwrap_or(""),
                e.involved_object.kind.as_deref().unwrap_or(""),
                e.involved_object.name.as_deref().unwrap_or(""),
                e.message.as_deref().unwrap_or("").trim(),
            );
        }
    }
    out += &control_plane_logs(40);
    eprintln!("{out}");
}

/// The last `lines` lines of each control-plane component's log.
pub fn control_plane_logs(lines: usize) -> String {
    let Some(dir) = cluster_dir() else {
        return "--- control-plane logs: run dir unknown (set FLOE_CLUSTER_DIR)\n".into();
    };
    let mut out = String::new();
    for c in [
        "etcd",
        "kube-apiserver",
        "kube-controller-manager",
        "kube-scheduler",
        "kwok",
    ] {
        let path = dir.join("logs").join(format!("{c}.log"));
        out += &format!("--- {} (last {lines} lines)\n", path.display());
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let all: Vec<&str> = text.lines().collect();
                for l in &all[all.len().saturating_sub(lines)..] {
                    out += l;
                    out.push('\n');
                }
            }
            Err(e) => out += &format!("(unreadable: {e})\n"),
        }
    }
    out
}

/// Puts a kwok failure stage on one workload's pods.
pub fn with_fault(
    mut desired: floe::render::DesiredSet,
    workload: &str,
    fault: &str,
) -> floe::render::DesiredSet {
    for o in desired.objects.iter_mut().filter(|o| o.name == workload) {
        let template = match o.kind.as_str() {
            "Deployment" | "StatefulSet" | "Job" => {
                o.body.pointer_mut("/spec/template/metadata/labels")
            }
            _ => None,
        };
        if let Some(Value::Object(labels)) = template {
            labels.insert(FAULT_LABEL.into(), json!(fault));
        }
    }
    desired
}

/// `desired` plus a PersistentVolumeClaim `name` floe owns (its labels are
/// those of the product's ServiceAccount), with `access_mode` (immutable
/// once created).
pub fn with_owned_pvc(
    mut desired: floe::render::DesiredSet,
    name: &str,
    access_mode: &str,
) -> floe::render::DesiredSet {
    let labels = desired
        .objects
        .iter()
        .find(|o| o.kind == "ServiceAccount")
        .and_then(|o| o.body.pointer("/metadata/labels").cloned())
        .expect("the product's ServiceAccount carries floe's labels");
    let body = json!({
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": desired.namespace, "labels": labels},
        "spec": {
            "accessModes": [access_mode],
            "resources": {"requests": {"storage": "1Gi"}}
        }
    });
    desired
        .objects
        .push(floe::object::Object::from_value(body).expect("a PVC object"));
    desired
}

/// floe's own connection to the test cluster (after checking it answers).
pub async fn floe_cluster() -> floe::cluster::Cluster {
    client().await;
    floe::cluster::connect(Some(&kubeconfig_path()), None)
        .await
        .expect("connecting to the test cluster")
}

/// Apply options for tests: a minute per object, stuck pods fail in 3 s.
pub fn session_options() -> floe::apply::session::SessionOptions {
    floe::apply::session::SessionOptions {
        apply: floe::apply::ApplyOptions {
            object_timeout: Duration::from_secs(60),
            fail_fast_after: Duration::from_secs(3),
            ..floe::apply::ApplyOptions::default()
        },
        source: "test".into(),
        ..Default::default()
    }
}

/// Runs the floe binary against the test cluster (never the user's
/// `KUBECONFIG`), without colour and without a terminal on stdin.
pub fn floe(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_floe"))
        .args(args)
        .arg("--kubeconfig")
        .arg(kubeconfig_path())
        .env_remove("KUBECONFIG")
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("running floe")
}

/// Deletes namespace `ns` without waiting (the end of a test that made it).
pub fn delete_namespace(ns: &str) {
    let _ = std::process::Command::new("kubectl")
        .args(["delete", "namespace", ns, "--wait=false"])
        .env("KUBECONFIG", kubeconfig_path())
        .output();
}
