//! Revision history and the apply lock against the local control plane.

mod support;

use std::io::Read;
use std::time::Duration;

use floe::cluster::Cluster;
use floe::state::{
    unlock, History, Lock, ObjectOutcome, RevisionMeta, RevisionOutcome, StateError, Unlocked,
    LOCK_NAME,
};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, ListParams, PostParams};
use serde_json::{json, Value};
use support::TestNs;

const PRODUCT: &str = "orders";
const ENV: &str = "dev";

fn cluster(ns: &TestNs) -> Cluster {
    Cluster {
        client: ns.client.clone(),
        server: "test".into(),
    }
}

fn meta(source: &str) -> RevisionMeta {
    RevisionMeta {
        number: 0,
        time: String::new(),
        user: String::new(),
        source: source.into(),
        signature: Some("verified: keyless, issuer https://token.actions.example".into()),
        input_digest: Some("sha256:input".into()),
        artifact: None,
        plan_digest: "sha256:plan".into(),
        desired_digest: "sha256:desired".into(),
        product: PRODUCT.into(),
        product_version: "1.2.3".into(),
        environment: ENV.into(),
        namespace: String::new(),
        outcome: RevisionOutcome::InProgress,
        objects: Vec::new(),
        rollback: None,
    }
}

fn config_map(ns: &str, name: &str, value: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": ns, "labels": {"floe.dev/product": PRODUCT}},
        "data": {"value": value}})
}

fn outcome(address: &str, action: &str, result: &str) -> ObjectOutcome {
    ObjectOutcome {
        address: address.into(),
        action: action.into(),
        result: result.into(),
    }
}

async fn revision_config_maps(ns: &TestNs) -> Vec<ConfigMap> {
    let mut items = ns
        .api::<ConfigMap>()
        .list(&ListParams::default().labels("floe.dev/internal=revision"))
        .await
        .expect("listing revision ConfigMaps")
        .items;
    items.sort_by_key(|c| c.metadata.name.clone());
    items
}

/// Random-looking printable text from a fixed seed (xorshift64): gzip cannot
/// shrink it much, so it really needs several ConfigMaps.
fn noise(seed: u64, len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            ALPHABET[(x % 64) as usize] as char
        })
        .collect()
}

#[tokio::test]
async fn begin_finish_list_and_get_round_trip() {
    let ns = TestNs::new("state-round-trip").await;
    let c = cluster(&ns);
    let history = History::new(&c, &ns.name, PRODUCT, ENV);
    assert!(history.list().await.expect("empty list").is_empty());

    let desired = vec![
        config_map(&ns.name, "settings", "a"),
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "api", "namespace": ns.name},
            "spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "api", "image": "x:1"}]}}}}),
    ];
    let number = history
        .begin(meta("dir:/src/orders"), &desired)
        .await
        .expect("begin");
    assert_eq!(number, 1);

    // Written at the start: an interrupted apply still leaves this behind.
    let listed = history.list().await.expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].outcome, RevisionOutcome::InProgress);
    assert_eq!(listed[0].number, 1);

    let cms = revision_config_maps(&ns).await;
    assert_eq!(cms.len(), 1);
    let cm = &cms[0];
    assert_eq!(cm.metadata.name.as_deref(), Some("floe-revision-1"));
    let labels = cm.metadata.labels.clone().unwrap_or_default();
    for (k, v) in [
        ("app.kubernetes.io/managed-by", "floe"),
        ("floe.dev/product", PRODUCT),
        ("floe.dev/environment", ENV),
        ("floe.dev/internal", "revision"),
        ("floe.dev/revision", "1"),
    ] {
        assert_eq!(labels.get(k).map(String::as_str), Some(v), "label {k}");
    }
    let annotations = cm.metadata.annotations.clone().unwrap_or_default();
    assert_eq!(annotations["floe.dev/outcome"], "in-progress");
    assert_eq!(annotations["floe.dev/source"], "dir:/src/orders");
    assert_eq!(annotations["floe.dev/plan-digest"], "sha256:plan");
    assert_eq!(annotations["floe.dev/desired-digest"], "sha256:desired");
    let time = &annotations["floe.dev/time"];
    assert!(
        time.ends_with('Z') && time.parse::<k8s_openapi::jiff::Timestamp>().is_ok(),
        "RFC 3339 UTC: {time}"
    );
    assert!(!annotations["floe.dev/user"].is_empty());

    let objects = vec![
        outcome("v1/ConfigMap/ns/settings", "create", "applied"),
        outcome("apps/v1/Deployment/ns/api", "create", "ready after 3s"),
    ];
    history
        .finish(number, RevisionOutcome::Succeeded, objects.clone())
        .await
        .expect("finish");

    let listed = history.list().await.expect("list");
    assert_eq!(listed.len(), 1);
    let m = &listed[0];
    assert_eq!(m.outcome, RevisionOutcome::Succeeded);
    assert_eq!(m.objects, objects);
    assert_eq!(m.source, "dir:/src/orders");
    assert_eq!(m.product, PRODUCT);
    assert_eq!(m.product_version, "1.2.3");
    assert_eq!(m.environment, ENV);
    assert_eq!(m.namespace, ns.name);
    assert_eq!(
        m.signature.as_deref(),
        Some("verified: keyless, issuer https://token.actions.example")
    );
    let cm = &revision_config_maps(&ns).await[0];
    let annotations = cm.metadata.annotations.clone().unwrap_or_default();
    assert_eq!(
        annotations["floe.dev/objects"],
        "2 objects: 1 applied, 1 ready"
    );

    let revision = history.get(number).await.expect("get");
    assert_eq!(&revision.meta, m);
    assert_eq!(revision.desired, desired);

    match history.get(7).await {
        Err(StateError::NotFound { number: 7 }) => {}
        other => panic!("expected NotFound, got {other:?}"),
    }
    match history.finish(7, RevisionOutcome::Failed, Vec::new()).await {
        Err(StateError::NotFound { number: 7 }) => {}
        other => panic!("expected NotFound, got {other:?}"),
    }
}

#[tokio::test]
async fn a_desired_set_over_one_mebibyte_spans_several_config_maps() {
    let ns = TestNs::new("state-large").await;
    let c = cluster(&ns);
    let history = History::new(&c, &ns.name, PRODUCT, ENV);
    // 3 MiB of incompressible-ish configuration in six objects.
    let desired: Vec<Value> = (0..6)
        .map(|i| config_map(&ns.name, &format!("blob-{i}"), &noise(i + 1, 512 * 1024)))
        .collect();
    let number = history
        .begin(meta("oci://registry.example/orders@sha256:abc"), &desired)
        .await
        .expect("begin");
    history
        .finish(
            number,
            RevisionOutcome::Failed,
            vec![outcome("x", "create", "failed: boom")],
        )
        .await
        .expect("finish");

    let cms = revision_config_maps(&ns).await;
    let names: Vec<_> = cms.iter().filter_map(|c| c.metadata.name.clone()).collect();
    assert!(names.len() >= 3, "expected several parts: {names:?}");
    assert!(names.contains(&format!("floe-revision-{number}")));
    assert!(names.contains(&format!("floe-revision-{number}-part-2")));
    for cm in &cms {
        let size: usize = cm
            .binary_data
            .iter()
            .flatten()
            .map(|(k, v)| k.len() + v.0.len())
            .chain(cm.data.iter().flatten().map(|(k, v)| k.len() + v.len()))
            .sum();
        assert!(
            size < 900 * 1024,
            "{:?} holds {size} bytes",
            cm.metadata.name
        );
        let labels = cm.metadata.labels.clone().unwrap_or_default();
        assert_eq!(labels["floe.dev/internal"], "revision");
        assert_eq!(labels["floe.dev/revision"], number.to_string());
    }

    let listed = history.list().await.expect("list");
    assert_eq!(listed.len(), 1, "parts are not revisions of their own");
    assert_eq!(listed[0].outcome, RevisionOutcome::Failed);

    let revision = history.get(number).await.expect("get");
    assert_eq!(revision.desired.len(), desired.len());
    assert!(
        revision.desired == desired,
        "desired set differs after the round trip"
    );

    // A missing part is reported, not papered over.
    ns.api::<ConfigMap>()
        .delete(
            &format!("floe-revision-{number}-part-2"),
            &Default::default(),
        )
        .await
        .expect("deleting a part");
    match history.get(number).await {
        Err(StateError::Corrupt { number: n, reason }) => {
            assert_eq!(n, number);
            assert!(reason.contains("part-2"), "{reason}");
        }
        other => panic!("expected Corrupt, got {:?}", other.map(|r| r.meta)),
    }
}

#[tokio::test]
async fn pruning_keeps_the_newest_and_numbering_continues() {
    let ns = TestNs::new("state-prune").await;
    let c = cluster(&ns);
    let history = History::new(&c, &ns.name, PRODUCT, ENV);
    // The first revision is large, so pruning must take its parts too.
    let big: Vec<Value> = vec![config_map(&ns.name, "big", &noise(42, 1536 * 1024))];
    for i in 1..=5u64 {
        let desired = if i == 1 {
            big.clone()
        } else {
            vec![config_map(&ns.name, "settings", &i.to_string())]
        };
        let n = history
            .begin(meta(&format!("dir:/v{i}")), &desired)
            .await
            .expect("begin");
        assert_eq!(n, i);
        history
            .finish(n, RevisionOutcome::Succeeded, Vec::new())
            .await
            .expect("finish");
        history.prune(3).await.expect("prune");
    }
    let numbers = listed_numbers(&history).await;
    assert_eq!(numbers, vec![5, 4, 3]);
    let left: Vec<String> = revision_config_maps(&ns)
        .await
        .iter()
        .filter_map(|c| c.metadata.name.clone())
        .collect();
    assert_eq!(
        left,
        vec!["floe-revision-3", "floe-revision-4", "floe-revision-5"]
    );

    // Numbering continues past pruned revisions, even pruning all but one.
    history.prune(0).await.expect("prune to one");
    let n = history
        .begin(meta("dir:/v6"), &[])
        .await
        .expect("begin after pruning");
    assert_eq!(n, 6);
    assert_eq!(
        history.get(6).await.expect("get").desired,
        Vec::<Value>::new()
    );
    let r5 = history.get(5).await.expect("get 5");
    assert_eq!(r5.meta.source, "dir:/v5");
    assert!(matches!(
        history.get(3).await,
        Err(StateError::NotFound { number: 3 })
    ));

    // Another environment of the same product has its own numbering.
    let staging = History::new(&c, &ns.name, PRODUCT, "staging");
    assert_eq!(staging.begin(meta("dir:/s"), &[]).await.expect("begin"), 1);
    assert_eq!(history.list().await.expect("list").len(), 2);
}

#[tokio::test]
async fn secret_values_are_never_recorded() {
    let ns = TestNs::new("state-secret").await;
    let c = cluster(&ns);
    let history = History::new(&c, &ns.name, PRODUCT, ENV);
    let secret = json!({"apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "db", "namespace": ns.name},
        "type": "Opaque",
        "data": {"password": "aHVudGVyMg=="},
        "stringData": {"token": "s3cr3t-t0ken"}});
    let desired = vec![secret, config_map(&ns.name, "settings", "plain")];
    let number = history
        .begin(meta("dir:/x"), &desired)
        .await
        .expect("begin");

    let revision = history.get(number).await.expect("get");
    assert_eq!(
        revision.desired[0],
        json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "db", "namespace": ns.name}, "type": "Opaque"})
    );
    assert_eq!(revision.desired[1], desired[1]);

    // Nor anywhere in the stored bytes.
    let cm = &revision_config_maps(&ns).await[0];
    let blob = &cm.binary_data.as_ref().expect("binaryData")["desired.json.gz"].0;
    let mut text = String::new();
    flate2::read::GzDecoder::new(blob.as_slice())
        .read_to_string(&mut text)
        .expect("gzip");
    assert!(!text.contains("aHVudGVyMg==") && !text.contains("s3cr3t-t0ken"));
    assert!(text.contains("\"plain\""));
}

#[tokio::test]
async fn whoami_names_the_authenticated_user() {
    let ns = TestNs::new("state-whoami").await;
    let user = History::whoami(&cluster(&ns)).await;
    // The test client authenticates with a certificate: the API server's
    // name for it, not the local fallback.
    assert!(!user.is_empty());
    assert_ne!(user, floe::state::local_user());
}

#[tokio::test]
async fn two_concurrent_acquires_have_exactly_one_winner() {
    let ns = TestNs::new("state-lock-race").await;
    let c = cluster(&ns);
    let ttl = Duration::from_secs(60);
    let (a, b) = tokio::join!(
        Lock::acquire(&c, &ns.name, "alice@host-a (pid 1)", ttl),
        Lock::acquire(&c, &ns.name, "bob@host-b (pid 2)", ttl),
    );
    let (winner, loser) = match (a, b) {
        (Ok(w), Err(l)) | (Err(l), Ok(w)) => (w, l),
        (Ok(_), Ok(_)) => panic!("both acquired the lock"),
        (Err(a), Err(b)) => panic!("neither acquired the lock: {a}; {b}"),
    };
    match &loser {
        StateError::Locked {
            holder,
            since,
            expires,
            ..
        } => {
            assert_eq!(holder, winner.holder());
            assert!(since.ends_with('Z') && expires.ends_with('Z'), "{loser}");
        }
        other => panic!("expected Locked, got {other:?}"),
    }
    let message = loser.to_string();
    assert!(message.contains(winner.holder()), "{message}");

    let lease = ns.api::<Lease>().get(LOCK_NAME).await.expect("lease");
    let labels = lease.metadata.labels.clone().unwrap_or_default();
    assert_eq!(labels["floe.dev/internal"], "lock");
    let spec = lease.spec.expect("spec");
    assert_eq!(spec.holder_identity.as_deref(), Some(winner.holder()));
    assert_eq!(spec.lease_duration_seconds, Some(60));
    assert!(spec.renew_time.is_some());

    winner.renew().await.expect("renew");
    winner.release().await.expect("release");
    assert!(ns
        .api::<Lease>()
        .get_opt(LOCK_NAME)
        .await
        .expect("get")
        .is_none());
    Lock::acquire(&c, &ns.name, "carol@host-c (pid 3)", ttl)
        .await
        .expect("free again after release")
        .release()
        .await
        .expect("release");
}

#[tokio::test]
async fn an_expired_lease_is_taken_over() {
    let ns = TestNs::new("state-lock-expired").await;
    let c = cluster(&ns);
    let stale = Lock::acquire(&c, &ns.name, "alice@gone (pid 1)", Duration::from_secs(1))
        .await
        .expect("acquire");
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let fresh = Lock::acquire(&c, &ns.name, "bob@here (pid 2)", Duration::from_secs(60))
        .await
        .expect("taking over an expired lease");
    let spec = ns
        .api::<Lease>()
        .get(LOCK_NAME)
        .await
        .expect("lease")
        .spec
        .expect("spec");
    assert_eq!(spec.holder_identity.as_deref(), Some("bob@here (pid 2)"));
    assert_eq!(spec.lease_transitions, Some(1));

    // The old holder finds out instead of deleting the new holder's lease.
    match stale.renew().await {
        Err(StateError::LockLost { holder, .. }) => assert_eq!(holder, "bob@here (pid 2)"),
        other => panic!("expected LockLost, got {other:?}"),
    }
    match stale.release().await {
        Err(StateError::LockLost { holder, .. }) => assert_eq!(holder, "bob@here (pid 2)"),
        other => panic!("expected LockLost, got {other:?}"),
    }
    assert!(ns
        .api::<Lease>()
        .get_opt(LOCK_NAME)
        .await
        .expect("get")
        .is_some());
    fresh.release().await.expect("release");
}

#[tokio::test]
async fn background_renewal_keeps_the_lock() {
    let ns = TestNs::new("state-lock-renew").await;
    let c = cluster(&ns);
    let mut lock = Lock::acquire(&c, &ns.name, "alice@host (pid 1)", Duration::from_secs(2))
        .await
        .expect("acquire");
    lock.renew_in_background();
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(lock.renewal_error(), None);
    match Lock::acquire(&c, &ns.name, "bob@host (pid 2)", Duration::from_secs(2)).await {
        Err(StateError::Locked { holder, .. }) => assert_eq!(holder, "alice@host (pid 1)"),
        other => panic!(
            "expected Locked, got {:?}",
            other.map(|l| l.holder().to_string())
        ),
    }
    lock.release().await.expect("release");
}

#[tokio::test]
async fn unlock_refuses_a_live_lease_unless_forced() {
    let ns = TestNs::new("state-unlock").await;
    let c = cluster(&ns);
    let ttl = Duration::from_secs(60);
    let held = Lock::acquire(&c, &ns.name, "alice@host (pid 1)", ttl)
        .await
        .expect("acquire");
    let leases: Api<Lease> = ns.api();
    let before = leases.get(LOCK_NAME).await.expect("the lease").metadata;
    match unlock(&c, &ns.name, false).await {
        Err(StateError::Locked { holder, .. }) => assert_eq!(holder, "alice@host (pid 1)"),
        other => panic!("a live lease must not be removed without force: {other:?}"),
    }
    let after = leases.get(LOCK_NAME).await.expect("still there").metadata;
    assert_eq!(
        (after.uid, after.resource_version),
        (before.uid, before.resource_version)
    );
    assert_eq!(
        unlock(&c, &ns.name, true).await.expect("unlock"),
        Unlocked::Removed {
            holder: "alice@host (pid 1)".into()
        }
    );
    assert_eq!(
        unlock(&c, &ns.name, true).await.expect("unlock again"),
        Unlocked::NotLocked
    );
    let next = Lock::acquire(&c, &ns.name, "bob@host (pid 2)", ttl)
        .await
        .expect("acquire after unlock");
    assert!(matches!(
        held.release().await,
        Err(StateError::LockLost { .. })
    ));
    next.release().await.expect("release");
    assert!(leases.get_opt(LOCK_NAME).await.expect("get").is_none());
}

/// The holder's clock runs five minutes behind ours, so its lease looks
/// expired to us the moment it is written; it is renewed all the same. Our
/// acquire judges by what it sees change on its own clock and never takes it.
#[tokio::test]
async fn a_lease_renewed_by_a_holder_with_a_slow_clock_is_not_taken_over() {
    let ns = TestNs::new("state-lock-skew").await;
    let c = cluster(&ns);
    let leases: Api<Lease> = ns.api();
    let skewed = || {
        let behind =
            k8s_openapi::jiff::Timestamp::now() - k8s_openapi::jiff::SignedDuration::from_secs(300);
        k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime(behind)
    };
    let mut lease: Lease = serde_json::from_value(json!({
        "metadata": {"name": LOCK_NAME, "namespace": ns.name},
        "spec": {"holderIdentity": "carol@slow-clock (pid 9)", "leaseDurationSeconds": 3}
    }))
    .expect("a lease");
    if let Some(spec) = lease.spec.as_mut() {
        spec.renew_time = Some(skewed());
    }
    leases
        .create(&PostParams::default(), &lease)
        .await
        .expect("the contender's lease");
    let renewer = {
        let leases = leases.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(700)).await;
                let Ok(mut current) = leases.get(LOCK_NAME).await else {
                    return;
                };
                if let Some(spec) = current.spec.as_mut() {
                    spec.renew_time = Some(skewed());
                }
                let _ = leases
                    .replace(LOCK_NAME, &PostParams::default(), &current)
                    .await;
            }
        })
    };
    for _ in 0..3 {
        match Lock::acquire(&c, &ns.name, "dave@here (pid 2)", Duration::from_secs(3)).await {
            Err(StateError::Locked { holder, .. }) => {
                assert_eq!(holder, "carol@slow-clock (pid 9)")
            }
            other => panic!(
                "a renewed lease was taken over: {:?}",
                other.map(|l| l.holder().to_string())
            ),
        }
    }
    renewer.abort();
    // Once nobody renews it, it is taken over after its duration.
    let taken = Lock::acquire(&c, &ns.name, "dave@here (pid 2)", Duration::from_secs(3))
        .await
        .expect("an abandoned lease is taken over");
    taken.release().await.expect("release");
}

/// The numbers of the listed revisions, newest first.
async fn listed_numbers(history: &History<'_>) -> Vec<u64> {
    let listed = history.list().await.expect("list");
    listed.iter().map(|m| m.number).collect()
}

/// Records revision after revision with `outcome`; returns their numbers.
async fn record(history: &History<'_>, ns: &str, outcomes: &[RevisionOutcome]) -> Vec<u64> {
    let mut numbers = Vec::new();
    for (i, outcome) in outcomes.iter().enumerate() {
        let desired = vec![config_map(ns, "settings", &i.to_string())];
        let n = history
            .begin(meta("dir:/p"), &desired)
            .await
            .expect("begin");
        history
            .finish(n, *outcome, Vec::new())
            .await
            .expect("finish");
        numbers.push(n);
    }
    numbers
}

#[tokio::test]
async fn pruning_never_takes_the_newest_successful_revision() {
    let ns = TestNs::new("state-prune-success").await;
    let c = cluster(&ns);
    let history = History::new(&c, &ns.name, PRODUCT, ENV);
    use RevisionOutcome::{Failed, Succeeded};
    record(&history, &ns.name, &[Succeeded, Failed, Failed, Failed]).await;
    history.prune(2).await.expect("prune");
    let numbers = listed_numbers(&history).await;
    assert_eq!(numbers, vec![4, 3, 1], "the two newest, and the way back");
}

#[tokio::test]
async fn a_damaged_record_is_left_out_and_named_not_fatal() {
    let ns = TestNs::new("state-damaged").await;
    let c = cluster(&ns);
    let history = History::new(&c, &ns.name, PRODUCT, ENV);
    record(&history, &ns.name, &[RevisionOutcome::Succeeded; 2]).await;
    let patch = json!({"metadata": {"annotations": {"floe.dev/outcome": "hacked"}}});
    edit_first_record(&ns, &patch).await;
    let listing = history.listing().await.expect("listing still works");
    let numbers: Vec<u64> = listing.revisions.iter().map(|m| m.number).collect();
    assert_eq!(numbers, vec![2]);
    assert_eq!(listing.unreadable.len(), 1, "{:?}", listing.unreadable);
    assert!(
        listing.unreadable[0].starts_with("floe-revision-1: ")
            && listing.unreadable[0].contains("floe.dev/outcome"),
        "{:?}",
        listing.unreadable
    );
}

#[tokio::test]
async fn a_desired_set_that_decompresses_too_far_is_refused() {
    use std::io::Write;
    let ns = TestNs::new("state-bomb").await;
    let c = cluster(&ns);
    let history = History::new(&c, &ns.name, PRODUCT, ENV);
    record(&history, &ns.name, &[RevisionOutcome::Succeeded]).await;
    // 200 MiB of one byte compresses to a few hundred KiB.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let chunk = vec![b' '; 1 << 20];
    for _ in 0..200 {
        gz.write_all(&chunk).expect("compress");
    }
    let bomb = gz.finish().expect("compress");
    assert!(bomb.len() < 900 * 1024, "{} bytes", bomb.len());
    use sha2::Digest;
    let sha = hex::encode(sha2::Sha256::digest(&bomb));
    let patch = json!({
        "metadata": {"annotations": {"floe.dev/desired-sha256": sha, "floe.dev/parts": "1"}},
        "binaryData": {"desired.json.gz": base64_of(&bomb)}
    });
    edit_first_record(&ns, &patch).await;
    match history.get(1).await {
        Err(StateError::Corrupt { reason, .. }) => {
            assert!(reason.contains("decompresses to more than"), "{reason}")
        }
        other => panic!(
            "expected a refusal, got {:?}",
            other.map(|r| r.desired.len())
        ),
    }
}

/// What someone with write access to ConfigMaps could do to revision 1.
async fn edit_first_record(ns: &TestNs, patch: &Value) {
    let records: Api<ConfigMap> = ns.api();
    let merge = kube::api::Patch::Merge(patch);
    records
        .patch("floe-revision-1", &Default::default(), &merge)
        .await
        .expect("editing the record");
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
