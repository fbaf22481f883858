//! Deploying signed OCI artifacts, against a real registry (Debian's
//! docker-registry, started by scripts/test.sh), real cosign signatures and
//! the local control plane. Everything comes from FLOE_TEST_* variables; a
//! missing one fails the test (never skips).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use support::oci::{digest_of, required, text, Scenario};

#[tokio::test]
async fn push_sign_deploy_by_tag_records_digest_and_signer() {
    support::client().await;
    let s = Scenario::new("oci-deploy");
    let pinned = s.push("1.0.0");
    let keys = s.key_pair("release-key");
    s.sign(&pinned, &keys);
    let policy = s.policy(&keys, "enforce");

    let out = s.verify("1.0.0", "prod", &policy);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!("digest:    {}", digest_of(&pinned))),
        "{stdout}"
    );
    assert!(stdout.contains("verified:  yes, cosign key"), "{stdout}");
    assert!(stdout.contains("release-key/cosign.pub"), "{stdout}");

    let out = s.deploy(&s.reference("1.0.0"), &policy);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("Apply complete! 11 created"), "{stdout}");
    assert!(stderr.contains("Signature: verified"), "{stderr}");

    let out = s.floe(
        &[
            "history",
            s.dir.to_str().unwrap(),
            "--env",
            "dev",
            "--format",
            "json",
        ],
        &[],
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let history: serde_json::Value = serde_json::from_str(&stdout).expect("history JSON");
    let record = history
        .as_array()
        .and_then(|a| a.first())
        .cloned()
        .or_else(|| history.get("revisions").and_then(|r| r.get(0)).cloned())
        .unwrap_or_else(|| panic!("one revision: {stdout}"));
    let source = record["source"].as_str().unwrap_or_default();
    assert_eq!(source, pinned, "the revision records the digest: {record}");
    let signature = record["signature"].as_str().unwrap_or_default();
    assert!(
        signature.starts_with(&format!("verified {}", digest_of(&pinned)))
            && signature.contains("cosign key")
            && signature.contains("release-key/cosign.pub"),
        "the revision records the signer: {signature}"
    );

    let out = s.floe(&["history", &s.reference("1.0.0"), "--env", "dev"], &[]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stdout.contains(&pinned) && stdout.contains("signature: verified"),
        "{stdout}"
    );

    // Status and history also take the artifact reference.
    let out = s.floe(&["status", &s.reference("1.0.0"), "--env", "dev"], &[]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("deployment/code-location"), "{stdout}");

    // The same artifact again: served from the cache, nothing to do.
    let out = s.deploy(&s.reference("1.0.0"), &policy);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("(cached)"), "{stderr}");
    assert!(stdout.contains("No changes."), "{stdout}");

    // A cached file changed on disk is not trusted: the layers are fetched again.
    let cached = s
        .cache
        .join("artifacts/sha256")
        .join(digest_of(&pinned).trim_start_matches("sha256:"))
        .join("floe-deploy.yaml");
    let original = std::fs::read_to_string(&cached).expect("the cached settings layer");
    std::fs::write(
        &cached,
        original.replace("replicas", "replicas ") + "\nx: 1\n",
    )
    .unwrap();
    let out = s.deploy(&s.reference("1.0.0"), &policy);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("(cached)"), "{stderr}");
    assert!(stdout.contains("No changes."), "{stdout}");
    assert_eq!(std::fs::read_to_string(&cached).unwrap(), original);
}

#[tokio::test]
async fn enforce_refuses_unsigned_and_wrongly_signed_artifacts() {
    support::client().await;
    let s = Scenario::new("oci-refuse");
    let trusted = s.key_pair("trusted");
    let other = s.key_pair("other");
    let policy = s.policy(&trusted, "enforce");

    let unsigned = s.push("1.0.0");
    let out = s.deploy(&s.reference("1.0.0"), &policy);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "it is not signed: no cosign signature for {}",
            digest_of(&unsigned)
        )),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was deployed"), "{stderr}");

    s.change("signed with another key");
    let wrong = s.push("1.0.1");
    s.sign(&wrong, &other);
    let out = s.deploy(&s.reference("1.0.1"), &policy);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    assert!(
        stderr.contains("it is signed, but not with the key in public_key_ref")
            && stderr.contains("trusted/cosign.pub"),
        "{stderr}"
    );
    let out = s.verify("1.0.1", "dev", &policy);
    assert_eq!(out.status.code(), Some(6));
    assert!(text(&out).0.contains("verified:  NO"));
    assert!(!s.namespace_exists(), "nothing may be applied");

    // Under warn the same artifact deploys, loudly, and the revision says so.
    let warn = s.policy(&trusted, "warn");
    let out = s.deploy(&s.reference("1.0.1"), &warn);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stderr.contains("WARNING: the signature of") && stderr.contains("was NOT verified"),
        "{stderr}"
    );
    let out = s.floe(
        &[
            "history",
            s.dir.to_str().unwrap(),
            "--env",
            "dev",
            "--format",
            "json",
        ],
        &[],
    );
    assert!(
        text(&out).0.contains("NOT VERIFIED"),
        "the revision records the failed verification: {}",
        text(&out).0
    );
}

#[tokio::test]
async fn enforce_refuses_a_layer_changed_after_signing() {
    support::client().await;
    let storage = PathBuf::from(required("FLOE_TEST_REGISTRY_STORAGE"));
    let s = Scenario::new("oci-tamper");
    let keys = s.key_pair("k");
    let pinned = s.push("1.0.0");
    s.sign(&pinned, &keys);
    let policy = s.policy(&keys, "enforce");

    // Rewrite the settings layer in the registry's storage: same digest
    // name, other bytes (what a compromised registry would serve).
    let manifest = {
        let out = s.floe(&["artifact", "pull", &pinned], &[]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out).1);
        let dir = text(&out).0.trim().split('\t').nth(1).unwrap().to_string();
        std::fs::read_to_string(Path::new(&dir).join("floe-deploy.yaml")).unwrap()
    };
    let digest = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(manifest.as_bytes()))
    };
    let blob = storage
        .join("docker/registry/v2/blobs/sha256")
        .join(&digest[..2])
        .join(&digest)
        .join("data");
    assert!(
        blob.exists(),
        "the settings layer is stored at {}",
        blob.display()
    );
    let tampered = format!("# tampered\n{manifest}");
    std::fs::write(&blob, tampered).unwrap();
    std::fs::remove_dir_all(&s.cache).unwrap();

    let out = s.deploy(&s.reference("1.0.0"), &policy);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    assert!(
        stderr.contains("layer floe-deploy.yaml: the registry served content with digest")
            && stderr.contains(&format!("not the sha256:{digest} asked for")),
        "{stderr}"
    );
    assert!(
        stderr.contains("changed after it was published"),
        "{stderr}"
    );
    assert!(!s.namespace_exists(), "nothing may be applied");
}

#[tokio::test]
async fn a_tag_moved_between_plan_and_apply_is_refused() {
    support::client().await;
    let s = Scenario::new("oci-moved");
    let keys = s.key_pair("k");
    let policy = s.policy(&keys, "enforce");
    let first = s.push("stable");
    s.sign(&first, &keys);
    let plan_file = s.root().join("plan.json");
    let out = s.floe(
        &[
            "plan",
            &s.reference("stable"),
            "--env",
            "dev",
            "--policy",
            &policy,
            "--out",
            plan_file.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out).1);
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&plan_file).unwrap()).unwrap();
    assert_eq!(saved["source"]["digest"], digest_of(&first));

    // A plan file edited after `floe plan` is refused, even with the tag in place.
    let edited_file = s.root().join("edited-plan.json");
    let edited = std::fs::read_to_string(&plan_file)
        .unwrap()
        .replace("registry.example.com/acme/", "evil.example/acme/");
    assert_ne!(edited, std::fs::read_to_string(&plan_file).unwrap());
    std::fs::write(&edited_file, edited).unwrap();
    let out = s.apply_plan(&edited_file, &policy);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    assert!(
        stderr.contains("the saved plan does not match what")
            && stderr.contains("nothing was applied"),
        "{stderr}"
    );
    assert!(!s.namespace_exists(), "nothing may be applied");

    s.change("a newer build under the same tag");
    let second = s.push("stable");
    assert_ne!(first, second);
    s.sign(&second, &keys);

    let out = s.apply_plan(&plan_file, &policy);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{} moved from {} (planned and verified) to {}; nothing was applied",
            s.reference("stable"),
            digest_of(&first),
            digest_of(&second)
        )),
        "{stderr}"
    );
    assert!(!s.namespace_exists(), "nothing may be applied");
}

/// A saved plan of an artifact applies once verified again under today's
/// policy: a key the artifact was not signed with refuses it (exit 6,
/// nothing applied), the policy it was planned under applies it.
#[tokio::test]
async fn a_saved_artifact_plan_is_verified_again_under_todays_policy() {
    support::client().await;
    let s = Scenario::new("oci-saved");
    let keys = s.key_pair("k");
    let policy = s.policy(&keys, "enforce");
    let pinned = s.push("v1");
    s.sign(&pinned, &keys);
    let plan_file = s.root().join("plan.json");
    let p = plan_file.to_str().unwrap();
    let reference = s.reference("v1");
    let args = [
        "plan", &reference, "--env", "dev", "--policy", &policy, "--out", p,
    ];
    let out = s.floe(&args, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out).1);
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&plan_file).unwrap()).unwrap();
    assert_eq!(saved["binding"]["input_digest"], digest_of(&pinned));

    let other_keys = s.key_pair("rotated");
    let todays_policy = s.policy(&other_keys, "enforce");
    let out = s.apply_plan(&plan_file, &todays_policy);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    assert!(!s.namespace_exists(), "nothing may be applied");

    // (the policy file is written again: both live at one path)
    let policy = s.policy(&keys, "enforce");
    let out = s.apply_plan(&plan_file, &policy);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("Apply complete!"), "{stdout}");
    assert!(s.namespace_exists());
}

#[tokio::test]
async fn registry_errors_are_clear_and_apply_nothing() {
    support::client().await;
    let s = Scenario::new("oci-errors");
    let keys = s.key_pair("k");
    let policy = s.policy(&keys, "enforce");

    // Release tags are immutable.
    s.push("1.0.0");
    let out = s.floe(
        &[
            "artifact",
            "push",
            s.dir.to_str().unwrap(),
            &s.reference("1.0.0"),
        ],
        &[],
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("release tags are immutable"), "{stderr}");

    // An artifact deploys exactly what was published.
    let out = s.floe(
        &[
            "deploy",
            &s.reference("1.0.0"),
            "--env",
            "dev",
            "-y",
            "--image",
            "example.com/other:1",
        ],
        &[],
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("an artifact deploys exactly what was published"),
        "{stderr}"
    );

    // A missing tag.
    let out = s.deploy(&s.reference("9.9.9"), &policy);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{} was not found in the registry",
            s.reference("9.9.9")
        )),
        "{stderr}"
    );

    // An unreachable registry.
    let out = s.deploy("oci://127.0.0.1:9/floe/x:1.0.0", &policy);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(8), "{stderr}");
    assert!(
        stderr.contains("cannot reach registry 127.0.0.1:9"),
        "{stderr}"
    );

    // The registry with authentication speaks TLS with a CA of its own:
    // floe's default (TLS on) refuses it until the CA is trusted.
    let auth = required("FLOE_TEST_REGISTRY_AUTH");
    let ca = required("FLOE_TEST_REGISTRY_CA");
    let reference = format!("oci://{auth}/floe/{}:1.0.0", s.ns);
    let out = s.floe(
        &["artifact", "pull", &reference],
        &[("FLOE_REGISTRY_PLAIN_HTTP", "false")],
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(8), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot reach registry {auth}"))
            && stderr.to_ascii_lowercase().contains("certificate"),
        "{stderr}"
    );

    // Wrong, then right, credentials.
    let push = |user: &str, password: &str| {
        s.floe(
            &["artifact", "push", s.dir.to_str().unwrap(), &reference],
            &[
                ("FLOE_REGISTRY_PLAIN_HTTP", "false"),
                ("FLOE_REGISTRY_CA", &ca),
                ("FLOE_REGISTRY_USERNAME", user),
                ("FLOE_REGISTRY_PASSWORD", password),
            ],
        )
    };
    let out = push(&required("FLOE_TEST_REGISTRY_USER"), "not-the-password");
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(8), "{stderr}");
    assert!(
        stderr.contains(&format!("registry {auth} refused the credentials (FLOE_REGISTRY_USERNAME/FLOE_REGISTRY_PASSWORD)")),
        "{stderr}"
    );
    assert!(
        !stderr.contains("not-the-password"),
        "no secret in messages"
    );
    let out = s.floe(
        &[
            "deploy", &reference, "--env", "dev", "-y", "--policy", &policy,
        ],
        &[
            ("FLOE_REGISTRY_PLAIN_HTTP", "false"),
            ("FLOE_REGISTRY_CA", &ca),
        ],
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(8), "anonymous: {stderr}");
    let out = push(
        &required("FLOE_TEST_REGISTRY_USER"),
        &required("FLOE_TEST_REGISTRY_PASSWORD"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out).1);
    assert!(!s.namespace_exists(), "nothing may be applied");
}

/// A Sigstore bundle over the product's layers, signed as `subject` by the
/// test CA of fixtures/signing/trusted_root.json (scripts/gen-test-bundles.py).
fn bundle_for(s: &Scenario, subject: &str) -> PathBuf {
    let out = s.floe(&["artifact", "payload", s.dir.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out).1);
    let payload = s.root().join(format!("payload-{subject}.bin"));
    std::fs::write(&payload, &out.stdout).unwrap();
    let bundle = s.root().join(format!("bundle-{subject}.json"));
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let gen = Command::new("python3")
        .arg(root.join("scripts/gen-test-bundles.py"))
        .args(["--sign", payload.to_str().unwrap(), subject])
        .arg(&bundle)
        .output()
        .expect("running python3");
    assert!(gen.status.success(), "{}", text(&gen).1);
    bundle
}

fn bundle_policy(s: &Scenario, subject: &str) -> String {
    let path = s.root().join(format!("bundle-policy-{subject}.yaml"));
    let trusted_root =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/signing/trusted_root.json");
    std::fs::write(
        &path,
        format!(
            "enforcement: enforce\ntrusted_root: {}\ntrusted_issuers:\n  - issuer: https://issuer.floe.test\n    subject: {subject}\n",
            trusted_root.display()
        ),
    )
    .unwrap();
    path.to_str().unwrap().to_string()
}

#[tokio::test]
async fn sigstore_bundle_in_the_annotation_is_verified_offline() {
    support::client().await;
    let s = Scenario::new("oci-bundle");
    let bundle = bundle_for(&s, "ci@floe.dev");
    let push = |tag: &str| {
        let out = s.floe(
            &[
                "artifact",
                "push",
                s.dir.to_str().unwrap(),
                &s.reference(tag),
                "--bundle",
                bundle.to_str().unwrap(),
            ],
            &[],
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out).1);
        text(&out).0.trim().to_string()
    };
    let pinned = push("1.0.0");

    // No bundle, and a policy that trusts bundles only: refused, saying so.
    s.push("0.9.0");
    let out = s.deploy(&s.reference("0.9.0"), &bundle_policy(&s, "ci@floe.dev"));
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    assert!(
        stderr.contains("it carries no dev.floe.signature.bundle annotation, and the policy")
            && stderr.contains("trusts only Sigstore bundles"),
        "{stderr}"
    );

    // The policy names another identity: refused.
    let out = s.deploy(
        &s.reference("1.0.0"),
        &bundle_policy(&s, "release@floe.dev"),
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    assert!(
        stderr.contains("the signer ci@floe.dev (OIDC issuer https://issuer.floe.test) is not a trusted identity")
            && stderr.contains("subject release@floe.dev"),
        "{stderr}"
    );
    assert!(!s.namespace_exists(), "nothing may be applied");

    // A layer changed after signing, the old bundle carried along: refused.
    s.change("changed after the bundle was made");
    push("1.0.1");
    let out = s.deploy(&s.reference("1.0.1"), &bundle_policy(&s, "ci@floe.dev"));
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    assert!(
        stderr.contains("its layers were changed after signing"),
        "{stderr}"
    );
    assert!(!s.namespace_exists(), "nothing may be applied");

    // The right identity: deployed, and the revision names the signer.
    let out = s.deploy(&s.reference("1.0.0"), &bundle_policy(&s, "ci@floe.dev"));
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    let out = s.floe(
        &[
            "history",
            s.dir.to_str().unwrap(),
            "--env",
            "dev",
            "--format",
            "json",
        ],
        &[],
    );
    let (history, _) = text(&out);
    assert!(history.contains(&pinned), "{history}");
    assert!(
        history.contains("sigstore bundle, signer ci@floe.dev (issuer https://issuer.floe.test)"),
        "{history}"
    );
}

#[tokio::test]
async fn cosign_default_format_signatures_verify_too() {
    support::client().await;
    let s = Scenario::new("oci-cosign3");
    let trusted = s.key_pair("trusted");
    let other = s.key_pair("other");
    let policy = s.policy(&trusted, "enforce");

    let good = s.push("1.0.0");
    s.sign_default_format(&good, &trusted);
    let out = s.verify("1.0.0", "prod", &policy);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("verified:  yes, cosign key"), "{stdout}");

    // An attestation made with the trusted key is not a signature.
    s.change("only attested");
    let attested = s.push("0.9.0");
    let predicate = s.root().join("scan.json");
    std::fs::write(&predicate, r#"{"scan": "clean"}"#).unwrap();
    let out = Command::new(required("FLOE_TEST_COSIGN"))
        .args([
            "attest",
            "--key",
            trusted.join("cosign.key").to_str().unwrap(),
            "--type",
            "https://example.com/vuln-scan/v1",
            "--predicate",
            predicate.to_str().unwrap(),
            "--tlog-upload=false",
            "--use-signing-config=false",
            "--allow-insecure-registry",
            "-y",
            attested.trim_start_matches("oci://"),
        ])
        .env("COSIGN_PASSWORD", "test")
        .output()
        .expect("running cosign");
    assert!(out.status.success(), "cosign attest: {}", text(&out).1);
    let out = s.deploy(&s.reference("0.9.0"), &policy);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    assert!(stderr.contains("it is not signed"), "{stderr}");

    s.change("signed with another key, cosign's default format");
    let wrong = s.push("1.0.1");
    s.sign_default_format(&wrong, &other);
    let out = s.deploy(&s.reference("1.0.1"), &policy);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    assert!(
        stderr.contains("it is signed, but not with the key in public_key_ref"),
        "{stderr}"
    );
    assert!(!s.namespace_exists(), "nothing may be applied");
}

/// Pushes `artifact` (built with the library, then altered) to `tag`.
async fn push_crafted(s: &Scenario, tag: &str, artifact: &floe::oci::PreparedArtifact) -> String {
    let reference = floe::oci::ArtifactRef::parse(&s.reference(tag)).unwrap();
    let options = floe::oci::RegistryOptions {
        plain_http: true,
        ..Default::default()
    };
    let registry = floe::oci::Registry::for_ref(&reference, &options).unwrap();
    let digest = registry.push(&reference, artifact).await.expect("push");
    reference.with_digest(&digest).to_string()
}

fn replace_layer(artifact: &mut floe::oci::PreparedArtifact, title: &str, bytes: Vec<u8>) {
    let i = artifact
        .manifest
        .layers
        .iter()
        .position(|l| {
            l.annotations
                .as_ref()
                .and_then(|a| a.get(floe::oci::TITLE))
                .map(String::as_str)
                == Some(title)
        })
        .unwrap();
    artifact.manifest.layers[i].digest = floe::oci::sha256_digest(&bytes);
    artifact.manifest.layers[i].size = bytes.len() as i64;
    artifact.blobs[i] = bytes;
}

/// Files are named by what the signature covers: a layer cannot be renamed
/// to hide it, and the signed floe.yaml cannot send floe to a manifest
/// outside the artifact.
#[tokio::test]
async fn crafted_layouts_are_refused_before_anything_is_read() {
    support::client().await;
    let s = Scenario::new("oci-crafted");
    let keys = s.key_pair("k");
    let policy = s.policy(&keys, "enforce");
    let prepared = floe::oci::prepare(&s.dir, "p", "1.0.0", Some("manifest.yaml"), None).unwrap();

    let mut renamed = prepared.clone();
    for l in &mut renamed.manifest.layers {
        if l.media_type == floe::oci::SETTINGS_MEDIA_TYPE {
            l.annotations
                .as_mut()
                .unwrap()
                .insert(floe::oci::TITLE.into(), "unused/floe-deploy.yaml".into());
        }
    }
    let pinned = push_crafted(&s, "renamed", &renamed).await;
    s.sign(&pinned, &keys);
    let out = s.deploy(&s.reference("renamed"), &policy);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert!(
        stderr.contains(r#"is titled "unused/floe-deploy.yaml", not "floe-deploy.yaml""#),
        "{stderr}"
    );

    let outside = s.root().join("outside-manifest.yaml");
    std::fs::copy(s.dir.join("manifest.yaml"), &outside).unwrap();
    let spec = std::fs::read_to_string(s.dir.join("floe.yaml")).unwrap();
    let spec = format!("{spec}\n# points outside\n")
        .replace(
            "manifest: ./manifest.yaml",
            &format!("manifest: {}", outside.display()),
        )
        .replace(
            "manifest: manifest.yaml",
            &format!("manifest: {}", outside.display()),
        );
    assert!(spec.contains(outside.to_str().unwrap()), "{spec}");
    let mut escaping = prepared.clone();
    replace_layer(&mut escaping, "floe.yaml", spec.into_bytes());
    let pinned = push_crafted(&s, "escaping", &escaping).await;
    s.sign(&pinned, &keys);
    let out = s.deploy(&s.reference("escaping"), &policy);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert!(
        stderr.contains("is not the platform manifest the artifact carries"),
        "{stderr}"
    );
    assert!(!s.namespace_exists(), "nothing may be applied");
}
