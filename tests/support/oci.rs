//! The real OCI registry and cosign of the test run (`FLOE_TEST_*`
//! variables, set by scripts/test.sh), for tests that push, sign and deploy
//! artifacts. A missing variable fails the test (never skips).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn required(var: &str) -> String {
    std::env::var(var)
        .unwrap_or_else(|_| panic!("{var} is not set: run the tests with scripts/test.sh, which starts the registries and builds cosign"))
}

/// The plain-HTTP test registry (`host:port`).
pub fn registry() -> String {
    required("FLOE_TEST_REGISTRY")
}

/// The floe binary run from `root` against the test cluster and the plain
/// HTTP registry, with its own artifact `cache` and no credentials.
pub fn floe_command(root: &Path, cache: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_floe"));
    cmd.env_remove("KUBECONFIG")
        .env_remove("FLOE_REGISTRY_USERNAME")
        .env_remove("FLOE_REGISTRY_PASSWORD")
        .env_remove("FLOE_REGISTRY_TOKEN")
        .env_remove("FLOE_ENV")
        .env("DOCKER_CONFIG", root.join("no-docker-config"))
        .env("FLOE_KUBECONFIG", super::kubeconfig_path())
        .env("FLOE_CACHE_DIR", cache)
        .env("FLOE_REGISTRY_PLAIN_HTTP", "true")
        .env("NO_COLOR", "1")
        .current_dir(root)
        .stdin(std::process::Stdio::null());
    cmd
}

/// A cosign key pair in `dir/cosign.{key,pub}`; returns `dir`.
pub fn key_pair(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let out = Command::new(required("FLOE_TEST_COSIGN"))
        .arg("generate-key-pair")
        .env("COSIGN_PASSWORD", "test")
        .current_dir(dir)
        .output()
        .expect("running cosign");
    assert!(out.status.success(), "{}", stderr(&out));
    dir.to_path_buf()
}

/// Signs `pinned` (oci://...@sha256:...) with the real cosign and the key
/// in `key_dir`, offline (no transparency log); `format` adds cosign flags.
pub fn sign(pinned: &str, key_dir: &Path, format: &[&str]) {
    let out = Command::new(required("FLOE_TEST_COSIGN"))
        .args([
            "sign",
            "--key",
            key_dir.join("cosign.key").to_str().unwrap(),
            "--tlog-upload=false",
            "--use-signing-config=false",
            "--allow-insecure-registry",
            "-y",
        ])
        .args(format)
        .arg(pinned.trim_start_matches("oci://"))
        .env("COSIGN_PASSWORD", "test")
        .output()
        .expect("running cosign");
    assert!(out.status.success(), "cosign sign: {}", stderr(&out));
}

/// A policy file at `path` trusting `key_dir`'s public key; returns its path.
pub fn key_policy(path: &Path, key_dir: &Path, enforcement: &str) -> String {
    std::fs::write(
        path,
        format!(
            "enforcement: {enforcement}\npublic_key_ref: {}\n",
            key_dir.join("cosign.pub").display()
        ),
    )
    .unwrap();
    path.to_str().unwrap().to_string()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
