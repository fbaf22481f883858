//! Signals and a vanishing API server, sent to the real binary: SIGINT,
//! SIGTERM and SIGHUP stop an apply between steps (exit 130, revision
//! interrupted, lock released); a second signal stops it at once even when
//! the cluster hangs; an API server that goes away mid-apply exits 8.

mod support;

use floe::state::{History, RevisionOutcome, LOCK_NAME};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::coordination::v1::Lease;
use kube::api::Api;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A product whose Deployment never schedules (a node selector no node
/// matches): its apply waits on it until stopped.
fn stuck_product(prefix: &str) -> (PathBuf, String) {
    let ns = support::unique_name(prefix);
    let dir = std::env::temp_dir().join(&ns);
    support::minimal_product_in(&dir, &ns);
    let mut settings = std::fs::read_to_string(dir.join("floe-deploy.yaml")).unwrap();
    settings
        .push_str("workloads:\n  code-location:\n    nodeSelector: {floe.dev/nowhere: \"none\"}\n");
    std::fs::write(dir.join("floe-deploy.yaml"), settings).unwrap();
    (dir, ns)
}

fn spawn_deploy(dir: &Path, kubeconfig: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_floe"))
        .args(["deploy", dir.to_str().unwrap(), "--env", "dev", "-y"])
        .args(["--timeout", "600", "--fail-fast-after", "600"])
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .env_remove("KUBECONFIG")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running floe")
}

fn kill(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// The exit code within `limit`, or `None` (the process is then killed).
fn exit_within(child: &mut Child, limit: Duration) -> Option<i32> {
    let code = exit_within_or_keep(child, limit);
    if code.is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
    code
}

fn stderr_of(child: &mut Child) -> String {
    let mut text = String::new();
    if let Some(mut err) = child.stderr.take() {
        let _ = err.read_to_string(&mut text);
    }
    text
}

/// Until the apply is waiting on the Deployment (it exists in the cluster).
async fn until_deployment_exists(ns: &str) {
    let c = support::floe_cluster().await;
    let deployments: Api<Deployment> = Api::namespaced(c.client.clone(), ns);
    support::eventually(
        "the apply to create its Deployment",
        Duration::from_secs(60),
        || async {
            match deployments.get_opt("code-location").await {
                Ok(Some(_)) => Ok(()),
                other => Err(format!("{other:?}")),
            }
        },
    )
    .await;
}

async fn newest_revision(ns: &str) -> RevisionOutcome {
    let c = support::floe_cluster().await;
    let history = History::new(&c, ns, "customer-analytics", "dev");
    history.list().await.unwrap()[0].outcome
}

async fn lease_exists(ns: &str) -> bool {
    let c = support::floe_cluster().await;
    let leases: Api<Lease> = Api::namespaced(c.client.clone(), ns);
    leases.get_opt(LOCK_NAME).await.unwrap().is_some()
}

async fn one_signal_stops_the_apply(signal: &str) {
    let (dir, ns) = stuck_product(&format!("sig-{}", signal.to_lowercase()));
    let mut child = spawn_deploy(&dir, &support::kubeconfig_path());
    until_deployment_exists(&ns).await;
    kill(&child, signal);
    let code = exit_within(&mut child, Duration::from_secs(30));
    let stderr = stderr_of(&mut child);
    assert_eq!(code, Some(130), "{signal}: {stderr}");
    assert!(
        stderr.contains("Stopping after the running steps"),
        "{stderr}"
    );
    assert_eq!(
        newest_revision(&ns).await,
        RevisionOutcome::Interrupted,
        "{signal}"
    );
    assert!(!lease_exists(&ns).await, "{signal}: the lock is released");
    support::delete_namespace(&ns);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_an_apply_like_ctrl_c() {
    one_signal_stops_the_apply("TERM").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_stops_an_apply_like_ctrl_c() {
    one_signal_stops_the_apply("HUP").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_stops_an_apply() {
    one_signal_stops_the_apply("INT").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_signal_stops_at_once_and_marks_the_revision() {
    let (dir, ns) = stuck_product("sig-twice");
    let mut child = spawn_deploy(&dir, &support::kubeconfig_path());
    until_deployment_exists(&ns).await;
    kill(&child, "TERM");
    kill(&child, "INT");
    let code = exit_within(&mut child, Duration::from_secs(10));
    let stderr = stderr_of(&mut child);
    assert_eq!(code, Some(130), "{stderr}");
    assert_eq!(newest_revision(&ns).await, RevisionOutcome::Interrupted);
    support::delete_namespace(&ns);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_signal_stops_at_once_when_the_cluster_hangs() {
    let (dir, ns) = stuck_product("sig-hang");
    let proxy = Proxy::start();
    let mut child = spawn_deploy(&dir, &proxy.kubeconfig);
    until_deployment_exists(&ns).await;
    proxy.set(FROZEN);
    kill(&child, "TERM");
    // Stopping between steps needs the cluster: it hangs.
    assert_eq!(
        exit_within_or_keep(&mut child, Duration::from_secs(3)),
        None
    );
    let second = Instant::now();
    kill(&child, "TERM");
    let code = exit_within(&mut child, Duration::from_secs(15));
    let stderr = stderr_of(&mut child);
    assert_eq!(code, Some(130), "{stderr}");
    assert!(
        second.elapsed() < Duration::from_secs(8),
        "stopped {:?} after the second signal",
        second.elapsed()
    );
    assert!(stderr.contains("could not be recorded"), "{stderr}");
    proxy.set(CLOSED);
    // Nothing could be written: the revision stays in progress until the
    // next apply marks it.
    assert_eq!(newest_revision(&ns).await, RevisionOutcome::InProgress);
    support::delete_namespace(&ns);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_server_that_goes_away_mid_apply_exits_8() {
    let (dir, ns) = stuck_product("sig-gone");
    let proxy = Proxy::start();
    let mut child = spawn_deploy(&dir, &proxy.kubeconfig);
    until_deployment_exists(&ns).await;
    proxy.set(CLOSED);
    let code = exit_within(&mut child, Duration::from_secs(60));
    let stderr = stderr_of(&mut child);
    assert_eq!(code, Some(8), "{stderr}");
    assert!(stderr.contains("cannot reach"), "{stderr}");
    // The apply reached the cluster before it went away, and could record
    // nothing after.
    assert_eq!(newest_revision(&ns).await, RevisionOutcome::InProgress);
    support::delete_namespace(&ns);
}

/// Like [`exit_within`] but leaves a running process alone.
fn exit_within_or_keep(child: &mut Child, limit: Duration) -> Option<i32> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

const OPEN: u8 = 0;
/// Connections stay open but nothing more is forwarded: a hung network.
const FROZEN: u8 = 1;
/// Every connection is cut and no new one is accepted: the server is gone.
const CLOSED: u8 = 2;

/// A TCP proxy on 127.0.0.1 in front of the test cluster's API server, and
/// a kubeconfig that points floe at it.
struct Proxy {
    state: Arc<AtomicU8>,
    streams: Arc<Mutex<Vec<TcpStream>>>,
    addr: std::net::SocketAddr,
    kubeconfig: PathBuf,
    _dir: PathBuf,
}

impl Proxy {
    fn start() -> Proxy {
        let real = support::kubeconfig_path();
        let text = std::fs::read_to_string(&real).unwrap();
        let server = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("server: https://"))
            .expect("the kubeconfig names its server")
            .to_string();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let dir = std::env::temp_dir().join(support::unique_name("proxy"));
        std::fs::create_dir_all(&dir).unwrap();
        let kubeconfig = dir.join("kubeconfig");
        std::fs::write(
            &kubeconfig,
            text.replace(&format!("https://{server}"), &format!("https://{addr}")),
        )
        .unwrap();
        let state = Arc::new(AtomicU8::new(OPEN));
        let streams = Arc::new(Mutex::new(Vec::new()));
        let (st, ss) = (Arc::clone(&state), Arc::clone(&streams));
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if st.load(Ordering::SeqCst) == CLOSED {
                    return;
                }
                let Ok(client) = client else { continue };
                let Ok(upstream) = TcpStream::connect(&server) else {
                    continue;
                };
                let mut all = ss.lock().unwrap();
                all.push(client.try_clone().unwrap());
                all.push(upstream.try_clone().unwrap());
                drop(all);
                pump(
                    client.try_clone().unwrap(),
                    upstream.try_clone().unwrap(),
                    &st,
                );
                pump(upstream, client, &st);
            }
        });
        Proxy {
            state,
            streams,
            addr,
            kubeconfig,
            _dir: dir,
        }
    }

    fn set(&self, state: u8) {
        self.state.store(state, Ordering::SeqCst);
        if state == CLOSED {
            for s in self.streams.lock().unwrap().iter() {
                let _ = s.shutdown(Shutdown::Both);
            }
            // Wake the accept loop so it sees the state and drops the listener.
            let _ = TcpStream::connect(self.addr);
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.set(CLOSED);
    }
}

/// Copies `from` to `to` while the proxy is open; holds what it read while
/// frozen; stops when closed.
fn pump(mut from: TcpStream, mut to: TcpStream, state: &Arc<AtomicU8>) {
    let state = Arc::clone(state);
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            while state.load(Ordering::SeqCst) == FROZEN {
                std::thread::sleep(Duration::from_millis(50));
            }
            if state.load(Ordering::SeqCst) == CLOSED || to.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Both);
    });
}

/// Deadlines are `now + timeout`: the largest timeouts must not overflow.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deploy_with_the_largest_timeouts_does_not_panic() {
    support::client().await;
    let ns = support::unique_name("sig-max-timeout");
    let dir = std::env::temp_dir().join(&ns);
    support::minimal_product_in(&dir, &ns);
    let max = u64::MAX.to_string();
    let out = support::floe(&[
        "deploy",
        dir.to_str().unwrap(),
        "--env",
        "dev",
        "-y",
        "--timeout",
        &max,
        "--overall-timeout",
        &max,
        "--fail-fast-after",
        &max,
        "--lock-timeout",
        &max,
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(newest_revision(&ns).await, RevisionOutcome::Succeeded);
    support::delete_namespace(&ns);
}
