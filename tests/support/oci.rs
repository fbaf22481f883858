//! OCI artifact scenarios for the tests against a real registry (Debian's
//! docker-registry, started by scripts/test.sh), real cosign signatures and
//! the local control plane. Everything comes from FLOE_TEST_* variables; a
//! missing one fails the test (never skips).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn required(var: &str) -> String {
    std::env::var(var)
        .unwrap_or_else(|_| panic!("{var} is not set: run the tests with scripts/test.sh, which starts the registries and builds cosign"))
}

pub fn registry() -> String {
    required("FLOE_TEST_REGISTRY")
}

/// One scenario: a product directory with its own namespace, repository,
/// artifact cache and keys.
pub struct Scenario {
    pub dir: PathBuf,
    pub ns: String,
    pub cache: PathBuf,
}

impl Scenario {
    pub fn new(prefix: &str) -> Scenario {
        let ns = super::unique_name(prefix);
        let root = std::env::temp_dir().join(&ns);
        let dir = root.join("product");
        super::minimal_product_in(&dir, &ns);
        let cache = root.join("cache");
        Scenario { dir, ns, cache }
    }

    pub fn root(&self) -> PathBuf {
        self.dir.parent().unwrap().to_path_buf()
    }

    pub fn reference(&self, tag: &str) -> String {
        format!("oci://{}/floe/{}:{tag}", registry(), self.ns)
    }

    /// A different artifact from the same product: a changed setting.
    pub fn change(&self, comment: &str) {
        let path = self.dir.join("floe-deploy.yaml");
        let mut settings = std::fs::read_to_string(&path).unwrap();
        settings.push_str(&format!("# {comment}\n"));
        std::fs::write(path, settings).unwrap();
    }

    /// floe with this scenario's cluster, cache and registry settings.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = floe_command(&self.root(), &self.cache);
        cmd.args(args);
        cmd
    }

    /// floe without a terminal, with `env` set besides.
    pub fn floe(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = self.command(args);
        cmd.stdin(std::process::Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().expect("running floe")
    }

    /// Pushes the product to `tag`; returns `oci://registry/repo@sha256:...`.
    pub fn push(&self, tag: &str) -> String {
        let out = self.floe(
            &[
                "artifact",
                "push",
                self.dir.to_str().unwrap(),
                &self.reference(tag),
            ],
            &[],
        );
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(0), "push failed: {stderr}");
        stdout.trim().to_string()
    }

    /// A cosign key pair in `<root>/<name>/cosign.{key,pub}`.
    pub fn key_pair(&self, name: &str) -> PathBuf {
        key_pair(&self.root().join(name))
    }

    /// Signs `pinned` (oci://...@sha256:...) with the real cosign, classic
    /// `.sig` tag format, no transparency log (offline).
    pub fn sign(&self, pinned: &str, key_dir: &Path) {
        self.sign_as(pinned, key_dir, &["--new-bundle-format=false"]);
    }

    /// Signs with cosign's own default format (cosign 3: a Sigstore bundle
    /// with a DSSE envelope, attached as an OCI referrer).
    pub fn sign_default_format(&self, pinned: &str, key_dir: &Path) {
        self.sign_as(pinned, key_dir, &[]);
    }

    pub fn sign_as(&self, pinned: &str, key_dir: &Path, format: &[&str]) {
        sign(pinned, key_dir, format);
    }

    /// An enforce policy trusting `key_dir`'s public key.
    pub fn policy(&self, key_dir: &Path, enforcement: &str) -> String {
        let path = self.root().join(format!("policy-{enforcement}.yaml"));
        key_policy(&path, key_dir, enforcement)
    }

    /// `floe artifact verify` of `tag` under `policy` for `env`.
    pub fn verify(&self, tag: &str, env: &str, policy: &str) -> Output {
        self.floe(
            &[
                "artifact",
                "verify",
                &self.reference(tag),
                "--env",
                env,
                "--policy",
                policy,
            ],
            &[],
        )
    }

    /// `floe apply` of a saved plan, approved.
    pub fn apply_plan(&self, plan_file: &Path, policy: &str) -> Output {
        self.floe(
            &[
                "apply",
                plan_file.to_str().unwrap(),
                "-y",
                "--policy",
                policy,
            ],
            &[],
        )
    }

    pub fn deploy(&self, reference: &str, policy: &str) -> Output {
        self.floe(
            &[
                "deploy", reference, "--env", "dev", "-y", "--policy", policy,
            ],
            &[],
        )
    }

    pub fn namespace_exists(&self) -> bool {
        Command::new("kubectl")
            .args(["get", "namespace", &self.ns])
            .env("KUBECONFIG", super::kubeconfig_path())
            .output()
            .unwrap()
            .status
            .success()
    }
}

impl Drop for Scenario {
    fn drop(&mut self) {
        let _ = Command::new("kubectl")
            .args(["delete", "namespace", &self.ns, "--wait=false"])
            .env("KUBECONFIG", super::kubeconfig_path())
            .output();
    }
}

pub fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

pub fn digest_of(pinned: &str) -> &str {
    pinned.rsplit('@').next().unwrap()
}

pub fn floe_command(root: &Path, cache: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_floe"));
    cmd.env_remove("KUBECONFIG")
        .env_remove("FLOE_REGISTRY_USERNAME")
        .env_remove("FLOE_REGISTRY_PASSWORD")
        .env_remove("FLOE_REGISTRY_TOKEN")
        .env_remove("FLOE_ENV")
        .env_remove("FLOE_SIGNATURE_POLICY")
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
