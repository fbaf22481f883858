//! Revision history: one record per apply, kept as ConfigMaps in the
//! product's namespace.
//!
//! Layout of revision `n` (all ConfigMaps labelled `app.kubernetes.io/managed-by:
//! floe`, `floe.dev/product`, `floe.dev/environment`, `floe.dev/internal:
//! revision` and `floe.dev/revision: "<n>"`):
//!
//! - `floe-revision-<n>`: the record. Annotations `floe.dev/*` hold the
//!   metadata (time, user, source, signature, digests, outcome, a summary of
//!   the per-object outcomes, number of parts, SHA-256 of the compressed desired
//!   set); `data["objects.json"]` the per-object outcomes;
//!   `binaryData["desired.json.gz"]` the first chunk of the gzip-compressed
//!   JSON array of desired object bodies.
//! - `floe-revision-<n>-part-<k>` (k = 2, 3, ...): further chunks, in
//!   `binaryData["desired.json.gz"]`, labelled `floe.dev/revision-part: "<k>"`
//!   as well so listing records can skip them.

use std::collections::BTreeMap;
use std::io::{Read, Write};

use k8s_openapi::api::authentication::v1::SelfSubjectReview;
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::ByteString;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::{
    api_error, local_user, now_rfc3339, status_code, StateError, INTERNAL_REVISION, LABEL_REVISION,
    LABEL_REVISION_PART,
};
use crate::cluster::Cluster;
use crate::names::{
    FIELD_MANAGER, LABEL_ENVIRONMENT, LABEL_INTERNAL, LABEL_MANAGED_BY, LABEL_PRODUCT, MANAGED_BY,
};

/// Revisions kept per product and environment unless configured otherwise
/// (the `keep` of [`History::prune`]).
pub const DEFAULT_HISTORY_MAX: usize = 10;
/// Name of revision `n`'s record is `floe-revision-<n>`.
pub const REVISION_PREFIX: &str = "floe-revision-";

const ANN_REVISION: &str = "floe.dev/revision";
const ANN_TIME: &str = "floe.dev/time";
const ANN_FINISHED: &str = "floe.dev/finished";
const ANN_USER: &str = "floe.dev/user";
const ANN_SOURCE: &str = "floe.dev/source";
const ANN_SIGNATURE: &str = "floe.dev/signature";
const ANN_PLAN_DIGEST: &str = "floe.dev/plan-digest";
const ANN_DESIRED_DIGEST: &str = "floe.dev/desired-digest";
const ANN_PRODUCT_VERSION: &str = "floe.dev/product-version";
const ANN_OUTCOME: &str = "floe.dev/outcome";
const ANN_OBJECTS: &str = "floe.dev/objects";
const ANN_PARTS: &str = "floe.dev/parts";
const ANN_DESIRED_SHA256: &str = "floe.dev/desired-sha256";
const ANN_INPUT_DIGEST: &str = "floe.dev/input-digest";
const ANN_ARTIFACT: &str = "floe.dev/artifact";
const ANN_ROLLBACK: &str = "floe.dev/rollback";
const KEY_DESIRED: &str = "desired.json.gz";
const KEY_OBJECTS: &str = "objects.json";

/// The API server refuses ConfigMaps whose data exceeds 1 MiB; stay well
/// under it so keys and the record's other fields always fit.
const PART_BUDGET: usize = 900 * 1024;
/// Compressed bytes per ConfigMap: the budget less room for the key.
const CHUNK: usize = PART_BUDGET - 1024;
/// Room kept in the record for `objects.json`, which is only known at the end.
const OBJECTS_BUDGET: usize = 128 * 1024;
/// Longest failure message kept per object once the outcomes outgrow their room.
const RESULT_CUT: usize = 200;
/// Longest account of a rollback kept on the failed revision's record.
const ROLLBACK_CUT: usize = 2000;
/// The most a revision's desired set may decompress to: far above any
/// product's (10,000 objects are about 30 MiB), far below what a crafted
/// record could make this process allocate.
const MAX_DESIRED_BYTES: u64 = 128 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RevisionOutcome {
    InProgress,
    Succeeded,
    Failed,
    Interrupted,
    /// The apply stopped because it lost the lock to another writer.
    LockLost,
}

impl RevisionOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            RevisionOutcome::InProgress => "in-progress",
            RevisionOutcome::Succeeded => "succeeded",
            RevisionOutcome::Failed => "failed",
            RevisionOutcome::Interrupted => "interrupted",
            RevisionOutcome::LockLost => "lock-lost",
        }
    }

    fn parse(s: &str) -> Option<RevisionOutcome> {
        [
            RevisionOutcome::InProgress,
            RevisionOutcome::Succeeded,
            RevisionOutcome::Failed,
            RevisionOutcome::Interrupted,
            RevisionOutcome::LockLost,
        ]
        .into_iter()
        .find(|o| o.as_str() == s)
    }
}

impl std::fmt::Display for RevisionOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happened to one object of the apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectOutcome {
    /// e.g. `apps/v1/Deployment/ns/api`.
    pub address: String,
    /// The plan's action: create, update, replace, delete, no-op.
    pub action: String,
    /// "applied", "ready after 3s", "failed: ...", "skipped: ...".
    pub result: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevisionMeta {
    /// Assigned by [`History::begin`]; ignored on input.
    pub number: u64,
    /// Start of the apply, RFC 3339 UTC; filled in by `begin` when empty.
    pub time: String,
    /// Who applied; `begin` asks the cluster ([`History::whoami`]) when empty.
    pub user: String,
    /// Input directory or OCI reference with digest.
    pub source: String,
    /// Result of signature verification, when the source was an artifact.
    pub signature: Option<String>,
    /// Digest of the product input that was rendered: an artifact's
    /// manifest digest, or the product files' digest.
    #[serde(default)]
    pub input_digest: Option<String>,
    /// The artifact the desired set was rendered from, pinned to its digest
    /// (`oci://registry/repo@sha256:...`); `None` for a directory.
    #[serde(default)]
    pub artifact: Option<String>,
    pub plan_digest: String,
    pub desired_digest: String,
    pub product: String,
    pub product_version: String,
    pub environment: String,
    pub namespace: String,
    pub outcome: RevisionOutcome,
    pub objects: Vec<ObjectOutcome>,
    /// After a failed apply with `--atomic`: how going back went.
    #[serde(default)]
    pub rollback: Option<String>,
}

impl RevisionMeta {
    /// The artifact this revision was rendered from: the recorded one, or
    /// for a record written before artifacts were recorded on their own,
    /// its source when that is an `oci://` reference.
    pub fn artifact_reference(&self) -> Option<&str> {
        self.artifact
            .as_deref()
            .or_else(|| Some(self.source.as_str()).filter(|s| s.starts_with("oci://")))
    }
}

#[cfg(test)]
impl RevisionMeta {
    /// A record of product `orders` in `orders-dev`, for unit tests.
    pub(crate) fn sample(number: u64, outcome: RevisionOutcome) -> RevisionMeta {
        RevisionMeta {
            number,
            time: String::new(),
            user: String::new(),
            source: String::new(),
            signature: None,
            input_digest: None,
            artifact: None,
            plan_digest: String::new(),
            desired_digest: String::new(),
            product: "orders".into(),
            product_version: "1.0.0".into(),
            environment: "dev".into(),
            namespace: "orders-dev".into(),
            outcome,
            objects: Vec::new(),
            rollback: None,
        }
    }
}

/// What [`History::listing`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    /// Newest first.
    pub revisions: Vec<RevisionMeta>,
    /// `record name: why`, for each record left out.
    pub unreadable: Vec<String>,
}

/// A revision with its desired set, as needed by `floe undo`.
#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    pub meta: RevisionMeta,
    pub desired: Vec<Value>,
}

/// The revisions of one product in one environment.
pub struct History<'a> {
    cluster: &'a Cluster,
    namespace: String,
    product: String,
    environment: String,
}

impl<'a> History<'a> {
    pub fn new(cluster: &'a Cluster, namespace: &str, product: &str, environment: &str) -> Self {
        History {
            cluster,
            namespace: namespace.to_string(),
            product: product.to_string(),
            environment: environment.to_string(),
        }
    }

    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    fn api(&self) -> Api<ConfigMap> {
        Api::namespaced(self.cluster.client.clone(), &self.namespace)
    }

    fn err(&self, e: kube::Error, what: &str) -> StateError {
        api_error(self.cluster, e, what)
    }

    /// Selects every ConfigMap of this product's revisions, parts included.
    fn selector(&self) -> String {
        format!(
            "{LABEL_MANAGED_BY}={MANAGED_BY},{LABEL_INTERNAL}={INTERNAL_REVISION},\
             {LABEL_PRODUCT}={},{LABEL_ENVIRONMENT}={}",
            self.product, self.environment
        )
    }

    fn labels(&self, number: u64) -> BTreeMap<String, String> {
        BTreeMap::from([
            (LABEL_MANAGED_BY.to_string(), MANAGED_BY.to_string()),
            (LABEL_PRODUCT.to_string(), self.product.clone()),
            (LABEL_ENVIRONMENT.to_string(), self.environment.clone()),
            (LABEL_INTERNAL.to_string(), INTERNAL_REVISION.to_string()),
            (LABEL_REVISION.to_string(), number.to_string()),
        ])
    }

    /// Records the start of an apply (outcome in-progress) with its desired
    /// set. Returns the number given to the revision; pass it to
    /// [`History::finish`], then [`History::prune`] to the configured
    /// history size.
    pub async fn begin(
        &self,
        mut meta: RevisionMeta,
        desired: &[Value],
    ) -> Result<u64, StateError> {
        if meta.time.is_empty() {
            meta.time = now_rfc3339();
        }
        if meta.user.is_empty() {
            meta.user = Self::whoami(self.cluster).await;
        }
        meta.outcome = RevisionOutcome::InProgress;
        meta.product = self.product.clone();
        meta.environment = self.environment.clone();
        meta.namespace = self.namespace.clone();

        let blob = compress(desired)?;
        let sha = hex::encode(Sha256::digest(&blob));
        let first_len = blob.len().min(CHUNK - OBJECTS_BUDGET);
        let (first, rest) = blob.split_at(first_len);
        let parts: Vec<&[u8]> = rest.chunks(CHUNK).collect();
        meta.number = self.highest_number().await? + 1;
        let number = self
            .create_record(meta, parts.len() + 1, &sha, first)
            .await?;
        for (i, chunk) in parts.iter().enumerate() {
            self.create_part(number, i + 2, chunk).await?;
        }
        Ok(number)
    }

    /// Creates the revision's record at `meta.number` or, when another
    /// writer took that number (the apply lock normally prevents it), at
    /// the next free one: the name is unique, so whoever creates it first
    /// owns the number. Returns the number recorded.
    async fn create_record(
        &self,
        mut meta: RevisionMeta,
        parts: usize,
        sha: &str,
        first: &[u8],
    ) -> Result<u64, StateError> {
        let objects = encode_objects(&meta.objects);
        let mut attempts = 0;
        loop {
            let mut annotations = record_annotations(&meta);
            annotations.insert(ANN_PARTS.into(), parts.to_string());
            annotations.insert(ANN_DESIRED_SHA256.into(), sha.to_string());
            let name = format!("{REVISION_PREFIX}{}", meta.number);
            let mut record = self.configmap(name, self.labels(meta.number), annotations, first);
            record.data = Some(BTreeMap::from([(KEY_OBJECTS.to_string(), objects.clone())]));
            match self.api().create(&post_params(), &record).await {
                Ok(_) => return Ok(meta.number),
                Err(e) if status_code(&e) == Some(409) && attempts < 5 => {
                    attempts += 1;
                    meta.number += 1;
                }
                Err(e) => {
                    let what = format!("recording revision {}", meta.number);
                    return Err(self.err(e, &what));
                }
            }
        }
    }

    /// Part `k` (2, 3, ...) of revision `number`'s compressed desired set.
    async fn create_part(&self, number: u64, k: usize, chunk: &[u8]) -> Result<(), StateError> {
        let mut labels = self.labels(number);
        labels.insert(LABEL_REVISION_PART.into(), k.to_string());
        let annotations = BTreeMap::from([(ANN_REVISION.to_string(), number.to_string())]);
        let part = self.configmap(part_name(number, k), labels, annotations, chunk);
        self.api()
            .create(&post_params(), &part)
            .await
            .map_err(|e| self.err(e, &format!("recording part {k} of revision {number}")))?;
        Ok(())
    }

    /// A ConfigMap of this history holding `desired` (a compressed chunk).
    fn configmap(
        &self,
        name: String,
        labels: BTreeMap<String, String>,
        annotations: BTreeMap<String, String>,
        desired: &[u8],
    ) -> ConfigMap {
        ConfigMap {
            metadata: ObjectMeta {
                name: Some(name),
                namespace: Some(self.namespace.clone()),
                labels: Some(labels),
                annotations: Some(annotations),
                ..Default::default()
            },
            binary_data: Some(BTreeMap::from([(
                KEY_DESIRED.to_string(),
                ByteString(desired.to_vec()),
            )])),
            ..Default::default()
        }
    }

    /// Records how the apply ended and what happened to each object.
    pub async fn finish(
        &self,
        number: u64,
        outcome: RevisionOutcome,
        objects: Vec<ObjectOutcome>,
    ) -> Result<(), StateError> {
        let patch = json!({
            "metadata": {"annotations": {
                ANN_OUTCOME: outcome.as_str(),
                ANN_OBJECTS: summarize(&objects),
                ANN_FINISHED: now_rfc3339(),
            }},
            "data": {KEY_OBJECTS: encode_objects(&objects)},
        });
        match self
            .api()
            .patch(&record_name(number), &patch_params(), &Patch::Merge(&patch))
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if status_code(&e) == Some(404) => Err(StateError::NotFound { number }),
            Err(e) => Err(self.err(e, &format!("recording the outcome of revision {number}"))),
        }
    }

    /// Records on revision `number` how the `--atomic` rollback after it went.
    pub async fn record_rollback(&self, number: u64, how: &str) -> Result<(), StateError> {
        let how = shortened(how, ROLLBACK_CUT);
        let patch = json!({"metadata": {"annotations": {ANN_ROLLBACK: how}}});
        self.api()
            .patch(&record_name(number), &patch_params(), &Patch::Merge(&patch))
            .await
            .map_err(|e| {
                self.err(
                    e,
                    &format!("recording the rollback after revision {number}"),
                )
            })?;
        Ok(())
    }

    /// All readable revisions, newest first, without their desired sets.
    /// A record that cannot be read is left out (see [`History::listing`]).
    pub async fn list(&self) -> Result<Vec<RevisionMeta>, StateError> {
        Ok(self.listing().await?.revisions)
    }

    /// The readable revisions, newest first, and why each record that could
    /// not be read was left out: one damaged record must not stop every
    /// apply of the product.
    pub async fn listing(&self) -> Result<Listing, StateError> {
        let lp =
            ListParams::default().labels(&format!("{},!{LABEL_REVISION_PART}", self.selector()));
        let list = self
            .api()
            .list(&lp)
            .await
            .map_err(|e| self.err(e, "listing revisions"))?;
        let mut listing = Listing::default();
        for record in &list.items {
            match self.parse_meta(record) {
                Ok(meta) => listing.revisions.push(meta),
                Err(e) => listing.unreadable.push(format!(
                    "{}: {e}",
                    record.metadata.name.as_deref().unwrap_or("(unnamed)")
                )),
            }
        }
        listing
            .revisions
            .sort_by_key(|m| std::cmp::Reverse(m.number));
        Ok(listing)
    }

    /// Revision `number` with its desired set, reassembled from its parts.
    pub async fn get(&self, number: u64) -> Result<Revision, StateError> {
        let api = self.api();
        let what = format!("reading revision {number}");
        let record = api
            .get_opt(&record_name(number))
            .await
            .map_err(|e| self.err(e, &what))?
            .ok_or(StateError::NotFound { number })?;
        let meta = self.parse_meta(&record)?;
        let corrupt = |reason: String| StateError::Corrupt { number, reason };
        let annotations = record.metadata.annotations.clone().unwrap_or_default();
        let parts: usize = annotations
            .get(ANN_PARTS)
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| corrupt(format!("annotation {ANN_PARTS} missing or not a number")))?;
        let sha = annotations
            .get(ANN_DESIRED_SHA256)
            .ok_or_else(|| corrupt(format!("annotation {ANN_DESIRED_SHA256} missing")))?;

        let mut blob = desired_chunk(&record)
            .ok_or_else(|| corrupt(format!("{} has no {KEY_DESIRED}", record_name(number))))?;
        for k in 2..=parts {
            let name = part_name(number, k);
            let part = api
                .get_opt(&name)
                .await
                .map_err(|e| self.err(e, &what))?
                .ok_or_else(|| corrupt(format!("part {name} is missing")))?;
            let chunk = desired_chunk(&part)
                .ok_or_else(|| corrupt(format!("{name} has no {KEY_DESIRED}")))?;
            blob.extend_from_slice(&chunk);
        }
        if hex::encode(Sha256::digest(&blob)) != *sha {
            return Err(StateError::Modified { number });
        }
        let mut json = Vec::new();
        flate2::read::GzDecoder::new(blob.as_slice())
            .take(MAX_DESIRED_BYTES + 1)
            .read_to_end(&mut json)
            .map_err(|e| corrupt(format!("the desired set does not decompress: {e}")))?;
        if json.len() as u64 > MAX_DESIRED_BYTES {
            return Err(corrupt(format!(
                "the desired set decompresses to more than {} MiB",
                MAX_DESIRED_BYTES >> 20
            )));
        }
        let desired: Vec<Value> = serde_json::from_slice(&json)
            .map_err(|e| corrupt(format!("the desired set is not a JSON array: {e}")))?;
        Ok(Revision { meta, desired })
    }

    /// Deletes all but the newest `keep` revisions (at least one is always
    /// kept, so numbering continues from it), and never the newest
    /// successful one.
    pub async fn prune(&self, keep: usize) -> Result<(), StateError> {
        let api = self.api();
        // Metadata only: the parts carry up to ~900 KiB each.
        let list = api
            .list_metadata(&ListParams::default().labels(&self.selector()))
            .await
            .map_err(|e| self.err(e, "listing revisions"))?;
        let mut by_number: BTreeMap<u64, Vec<(bool, String)>> = BTreeMap::new();
        let mut newest_success = None;
        for item in &list.items {
            let succeeded = item
                .metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(ANN_OUTCOME))
                .is_some_and(|o| o == RevisionOutcome::Succeeded.as_str());
            let (Some(number), Some(name)) = (label_number(&item.metadata), &item.metadata.name)
            else {
                continue;
            };
            let is_part = item
                .metadata
                .labels
                .as_ref()
                .is_some_and(|l| l.contains_key(LABEL_REVISION_PART));
            if succeeded && !is_part {
                newest_success = newest_success.max(Some(number));
            }
            by_number
                .entry(number)
                .or_default()
                .push((is_part, name.clone()));
        }
        // The way back is never pruned away: the newest successful revision
        // stays whatever `keep` says.
        let doomed = by_number.len().saturating_sub(keep.max(1));
        let doomed = by_number
            .into_iter()
            .take(doomed)
            .filter(|(number, _)| Some(*number) != newest_success);
        for (number, mut names) in doomed {
            // The record first: once it is gone the revision no longer lists,
            // and parts left by an interrupted prune go with the next one.
            names.sort();
            for (_, name) in names {
                match api.delete(&name, &DeleteParams::default()).await {
                    Ok(_) => {}
                    Err(e) if status_code(&e) == Some(404) => {}
                    Err(e) => {
                        return Err(self.err(e, &format!("deleting revision {number} ({name})")))
                    }
                }
            }
        }
        Ok(())
    }

    /// Who is applying, as the API server knows them (SelfSubjectReview);
    /// `$USER@hostname` when it cannot tell (older server, no permission).
    pub async fn whoami(cluster: &Cluster) -> String {
        let api: Api<SelfSubjectReview> = Api::all(cluster.client.clone());
        match api
            .create(&PostParams::default(), &SelfSubjectReview::default())
            .await
        {
            Ok(review) => review
                .status
                .and_then(|s| s.user_info)
                .and_then(|u| u.username)
                .filter(|u| !u.is_empty())
                .unwrap_or_else(local_user),
            Err(_) => local_user(),
        }
    }

    async fn highest_number(&self) -> Result<u64, StateError> {
        let list = self
            .api()
            .list_metadata(&ListParams::default().labels(&self.selector()))
            .await
            .map_err(|e| self.err(e, "listing revisions"))?;
        Ok(list
            .items
            .iter()
            .filter_map(|i| label_number(&i.metadata))
            .max()
            .unwrap_or(0))
    }

    fn parse_meta(&self, cm: &ConfigMap) -> Result<RevisionMeta, StateError> {
        let name = cm.metadata.name.clone().unwrap_or_default();
        let number = label_number(&cm.metadata).ok_or_else(|| StateError::Corrupt {
            number: 0,
            reason: format!("{name} has no valid {LABEL_REVISION} label"),
        })?;
        let corrupt = |reason: String| StateError::Corrupt { number, reason };
        let empty = BTreeMap::new();
        let ann = cm.metadata.annotations.as_ref().unwrap_or(&empty);
        let get = |k: &str| ann.get(k).cloned().unwrap_or_default();
        let outcome = ann
            .get(ANN_OUTCOME)
            .and_then(|o| RevisionOutcome::parse(o))
            .ok_or_else(|| corrupt(format!("annotation {ANN_OUTCOME} missing or unknown")))?;
        let objects = match cm.data.as_ref().and_then(|d| d.get(KEY_OBJECTS)) {
            Some(text) => serde_json::from_str(text)
                .map_err(|e| corrupt(format!("{KEY_OBJECTS} does not parse: {e}")))?,
            None => Vec::new(),
        };
        Ok(RevisionMeta {
            number,
            time: get(ANN_TIME),
            user: get(ANN_USER),
            source: get(ANN_SOURCE),
            signature: ann.get(ANN_SIGNATURE).cloned(),
            input_digest: ann.get(ANN_INPUT_DIGEST).cloned(),
            artifact: ann.get(ANN_ARTIFACT).cloned(),
            plan_digest: get(ANN_PLAN_DIGEST),
            desired_digest: get(ANN_DESIRED_DIGEST),
            product: self.product.clone(),
            product_version: get(ANN_PRODUCT_VERSION),
            environment: self.environment.clone(),
            namespace: self.namespace.clone(),
            outcome,
            objects,
            rollback: ann.get(ANN_ROLLBACK).cloned(),
        })
    }
}

fn post_params() -> PostParams {
    PostParams {
        field_manager: Some(FIELD_MANAGER.to_string()),
        ..Default::default()
    }
}

fn patch_params() -> PatchParams {
    PatchParams {
        field_manager: Some(FIELD_MANAGER.to_string()),
        ..Default::default()
    }
}

fn record_name(number: u64) -> String {
    format!("{REVISION_PREFIX}{number}")
}

fn part_name(number: u64, k: usize) -> String {
    format!("{REVISION_PREFIX}{number}-part-{k}")
}

fn label_number(meta: &ObjectMeta) -> Option<u64> {
    meta.labels.as_ref()?.get(LABEL_REVISION)?.parse().ok()
}

fn desired_chunk(cm: &ConfigMap) -> Option<Vec<u8>> {
    cm.binary_data
        .as_ref()?
        .get(KEY_DESIRED)
        .map(|b| b.0.clone())
}

fn record_annotations(meta: &RevisionMeta) -> BTreeMap<String, String> {
    let mut a = BTreeMap::from([
        (ANN_REVISION.to_string(), meta.number.to_string()),
        (ANN_TIME.to_string(), meta.time.clone()),
        (ANN_USER.to_string(), meta.user.clone()),
        (ANN_SOURCE.to_string(), meta.source.clone()),
        (ANN_PLAN_DIGEST.to_string(), meta.plan_digest.clone()),
        (ANN_DESIRED_DIGEST.to_string(), meta.desired_digest.clone()),
        (
            ANN_PRODUCT_VERSION.to_string(),
            meta.product_version.clone(),
        ),
        (ANN_OUTCOME.to_string(), meta.outcome.as_str().to_string()),
        (ANN_OBJECTS.to_string(), summarize(&meta.objects)),
    ]);
    let optional = [
        (ANN_SIGNATURE, &meta.signature),
        (ANN_INPUT_DIGEST, &meta.input_digest),
        (ANN_ARTIFACT, &meta.artifact),
        (ANN_ROLLBACK, &meta.rollback),
    ];
    for (key, value) in optional {
        if let Some(value) = value {
            a.insert(key.to_string(), value.clone());
        }
    }
    a
}

/// "5 objects: 3 applied, 1 failed, 1 skipped", counting results by their
/// first word, so `ready after 3s` counts as `ready`.
fn summarize(objects: &[ObjectOutcome]) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for o in objects {
        let word = o
            .result
            .split([':', ' '])
            .next()
            .filter(|w| !w.is_empty())
            .unwrap_or("pending");
        *counts.entry(word).or_default() += 1;
    }
    let parts: Vec<String> = counts.iter().map(|(w, n)| format!("{n} {w}")).collect();
    let noun = if objects.len() == 1 {
        "object"
    } else {
        "objects"
    };
    if parts.is_empty() {
        format!("0 {noun}")
    } else {
        format!("{} {noun}: {}", objects.len(), parts.join(", "))
    }
}

/// The per-object outcomes as JSON, shortened to fit the room kept for them:
/// long failure messages are cut first, then the tail is dropped with a note.
fn encode_objects(objects: &[ObjectOutcome]) -> String {
    let full = serde_json::to_string(objects).unwrap_or_else(|_| "[]".into());
    if full.len() <= OBJECTS_BUDGET {
        return full;
    }
    let mut cut: Vec<ObjectOutcome> = objects
        .iter()
        .map(|o| ObjectOutcome {
            result: shortened(&o.result, RESULT_CUT),
            ..o.clone()
        })
        .collect();
    let mut total = 2;
    let mut kept = 0;
    for o in &cut {
        let len = serde_json::to_string(o).map(|s| s.len() + 1).unwrap_or(0);
        // Room for the closing note.
        if total + len > OBJECTS_BUDGET - 256 {
            break;
        }
        total += len;
        kept += 1;
    }
    let dropped = cut.len() - kept;
    cut.truncate(kept);
    if dropped > 0 {
        cut.push(ObjectOutcome {
            address: "…".into(),
            action: String::new(),
            result: format!("{dropped} more objects not recorded (record size limit)"),
        });
    }
    serde_json::to_string(&cut).unwrap_or_else(|_| "[]".into())
}

/// `text` cut to at most `max` bytes (on a character boundary), marked
/// with an ellipsis when cut.
fn shortened(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let end = (0..=max)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    format!("{}…", &text[..end])
}

/// gzip of the JSON array of desired bodies, Secret values removed: a
/// revision record is readable by anyone who can read ConfigMaps.
fn compress(desired: &[Value]) -> Result<Vec<u8>, StateError> {
    let clean: Vec<Value> = desired.iter().map(without_secret_values).collect();
    let json = serde_json::to_vec(&clean).map_err(|e| StateError::Encode(e.into()))?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&json).map_err(StateError::Encode)?;
    gz.finish().map_err(StateError::Encode)
}

fn without_secret_values(body: &Value) -> Value {
    let mut body = body.clone();
    if body.get("kind").and_then(Value::as_str) == Some("Secret") {
        if let Some(obj) = body.as_object_mut() {
            obj.remove("data");
            obj.remove("stringData");
        }
        // kubectl keeps a full copy of the object there.
        if let Some(ann) = body
            .pointer_mut("/metadata/annotations")
            .and_then(Value::as_object_mut)
        {
            ann.remove("kubectl.kubernetes.io/last-applied-configuration");
        }
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(result: &str) -> ObjectOutcome {
        ObjectOutcome {
            address: "v1/ConfigMap/ns/x".into(),
            action: "create".into(),
            result: result.into(),
        }
    }

    #[test]
    fn summary_counts_results_by_first_word() {
        let objects = [
            outcome("applied"),
            outcome("ready after 3s"),
            outcome("failed: boom"),
            outcome("applied"),
        ];
        assert_eq!(
            summarize(&objects),
            "4 objects: 2 applied, 1 failed, 1 ready"
        );
        assert_eq!(summarize(&[]), "0 objects");
    }

    #[test]
    fn outcomes_beyond_their_room_are_cut_with_a_note() {
        let long = "x".repeat(5000);
        let objects: Vec<_> = (0..2000)
            .map(|_| outcome(&format!("failed: {long}")))
            .collect();
        let encoded = encode_objects(&objects);
        assert!(encoded.len() <= OBJECTS_BUDGET);
        let back: Vec<ObjectOutcome> = serde_json::from_str(&encoded).expect("valid JSON");
        let last = back.last().expect("a note");
        assert!(
            last.result.contains("more objects not recorded"),
            "{last:?}"
        );
        assert!(back[0].result.len() < 300);
    }

    #[test]
    fn secret_values_are_dropped() {
        let body = json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "s", "annotations": {
                "kubectl.kubernetes.io/last-applied-configuration": "{\"data\":{}}", "keep": "1"}},
            "data": {"k": "c2VjcmV0"}, "stringData": {"k": "secret"}, "type": "Opaque"});
        let clean = without_secret_values(&body);
        assert_eq!(
            clean,
            json!({"apiVersion": "v1", "kind": "Secret",
                "metadata": {"name": "s", "annotations": {"keep": "1"}}, "type": "Opaque"})
        );
        let cm = json!({"kind": "ConfigMap", "data": {"k": "v"}});
        assert_eq!(without_secret_values(&cm), cm);
    }
}
