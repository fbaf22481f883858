//! The transparency-log entry of a bundle and what proves it was logged: the
//! signed entry timestamp (SET), the RFC 9162 inclusion proof and the
//! checkpoint (a signed note) it leads to, each signed by a Rekor key of the
//! trusted root. The checkpoint is not compared with a fresher one from the
//! log (offline: no consistency proof), so a log that forked is not detected.

use super::error::BundleError;
use super::protobuf_json::{b64_field, int_field};
use super::time::unix_to_rfc3339;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use sigstore::crypto::{CosignVerificationKey, Signature};

/// A bundle's transparency-log entry.
pub(crate) struct TlogEntry {
    pub log_index: i64,
    pub log_id: Vec<u8>,
    pub integrated_time: i64,
    pub body: Vec<u8>,
    pub set: Option<Vec<u8>>,
    pub inclusion_proof: Option<InclusionProof>,
}

pub(crate) struct InclusionProof {
    pub log_index: i64,
    pub tree_size: i64,
    pub root_hash: Vec<u8>,
    pub hashes: Vec<Vec<u8>>,
    pub checkpoint: Option<String>,
}

/// A log key of the trusted root (a Rekor or a CT log).
#[derive(Clone)]
pub(crate) struct LogKey {
    pub name: String,
    pub id: Vec<u8>,
    pub spki: Vec<u8>,
    /// Unix seconds, inclusive.
    pub valid_from: Option<i64>,
    pub valid_until: Option<i64>,
}

impl TlogEntry {
    /// An entry of `verificationMaterial.tlogEntries`.
    pub(crate) fn parse(entry: &serde_json::Value) -> Result<Self, BundleError> {
        let bytes = |pointer: &str| optional_bytes(entry, pointer, pointer);
        let inclusion_proof = match entry.get("inclusionProof") {
            None | Some(serde_json::Value::Null) => None,
            Some(proof) => Some(InclusionProof::parse(proof)?),
        };
        Ok(TlogEntry {
            log_index: int_field(entry, "/logIndex")?,
            log_id: bytes("/logId/keyId")?.unwrap_or_default(),
            integrated_time: int_field(entry, "/integratedTime")?,
            body: bytes("/canonicalizedBody")?.unwrap_or_default(),
            set: bytes("/inclusionPromise/signedEntryTimestamp")?,
            inclusion_proof,
        })
    }
}

impl InclusionProof {
    fn parse(proof: &serde_json::Value) -> Result<Self, BundleError> {
        let hashes = proof
            .get("hashes")
            .and_then(|v| v.as_array())
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|h| {
                h.as_str()
                    .ok_or_else(|| {
                        BundleError::NotABundle("an inclusion proof hash is not a string".into())
                    })
                    .and_then(|s| b64_field(s, "inclusion proof hash"))
            });
        Ok(InclusionProof {
            log_index: int_field(proof, "/logIndex")?,
            tree_size: int_field(proof, "/treeSize")?,
            root_hash: optional_bytes(proof, "/rootHash", "/inclusionProof/rootHash")?
                .unwrap_or_default(),
            hashes: hashes.collect::<Result<_, _>>()?,
            checkpoint: proof
                .pointer("/checkpoint/envelope")
                .and_then(|v| v.as_str())
                .map(str::to_string),
        })
    }
}

/// The base64 string at `pointer`, decoded; `None` when there is none.
fn optional_bytes(
    value: &serde_json::Value,
    pointer: &str,
    what: &str,
) -> Result<Option<Vec<u8>>, BundleError> {
    value
        .pointer(pointer)
        .and_then(|v| v.as_str())
        .map(|s| b64_field(s, what))
        .transpose()
}

pub(crate) fn verify_set(entry: &TlogEntry, key: &LogKey) -> Result<(), BundleError> {
    let set = entry.set.as_ref().ok_or_else(|| {
        BundleError::InvalidSet(
            "the bundle has none, so the time of signing is not attested".into(),
        )
    })?;
    // Rekor signs the canonical (RFC 8785) JSON of these four fields; the values have
    // nothing to escape, so the keys in sorted order are all there is to it.
    let payload = format!(
        r#"{{"body":"{}","integratedTime":{},"logID":"{}","logIndex":{}}}"#,
        BASE64.encode(&entry.body),
        entry.integrated_time,
        hex::encode(&entry.log_id),
        entry.log_index
    );
    verify_with(key, set, payload.as_bytes()).map_err(|_| {
        BundleError::InvalidSet(format!(
            "it is not {}'s signature of this entry (log index {}, integrated time {})",
            key.name,
            entry.log_index,
            unix_to_rfc3339(entry.integrated_time)
        ))
    })
}

fn verify_with(key: &LogKey, signature: &[u8], message: &[u8]) -> Result<(), ()> {
    let key = CosignVerificationKey::try_from_der(&key.spki).map_err(|_| ())?;
    key.verify_signature(Signature::Raw(signature), message)
        .map_err(|_| ())
}

pub(crate) fn hash_children(left: &[u8], right: &[u8]) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().to_vec()
}

/// RFC 9162 section 2.1.3.2: the root hash an audit path leads to from a leaf.
pub(crate) fn root_from_inclusion_proof(
    index: u64,
    size: u64,
    leaf_hash: &[u8],
    path: &[Vec<u8>],
) -> Option<Vec<u8>> {
    if index >= size {
        return None;
    }
    // The RFC's `fn` and `sn`: the node index on the leaf's path and the
    // index of the last node, at the current level.
    let (mut node, mut last) = (index, size - 1);
    let mut hash = leaf_hash.to_vec();
    for sibling in path {
        if last == 0 {
            return None;
        }
        if node & 1 == 1 || node == last {
            hash = hash_children(sibling, &hash);
            while node & 1 == 0 && node != 0 {
                node >>= 1;
                last >>= 1;
            }
        } else {
            hash = hash_children(&hash, sibling);
        }
        node >>= 1;
        last >>= 1;
    }
    (last == 0).then_some(hash)
}

pub(crate) fn verify_inclusion_proof(
    entry: &TlogEntry,
    proof: &InclusionProof,
    key: &LogKey,
) -> Result<(), BundleError> {
    let bad = |m: String| BundleError::InvalidInclusionProof(m);
    let leaf = {
        let mut h = Sha256::new();
        h.update([0u8]);
        h.update(&entry.body);
        h.finalize().to_vec()
    };
    let (Ok(index), Ok(size)) = (
        u64::try_from(proof.log_index),
        u64::try_from(proof.tree_size),
    ) else {
        return Err(bad("its log index or tree size is negative".into()));
    };
    match root_from_inclusion_proof(index, size, &leaf, &proof.hashes) {
        Some(root) if root == proof.root_hash => {}
        _ => {
            return Err(bad(format!(
                "the entry at index {index} of a tree of {size} does not hash up to the proof's root hash"
            )))
        }
    }
    // v0.2+ bundles must have a checkpoint (the crate checks); a v0.1 bundle may lack
    // one, and then its SET is the log's only signed word on the entry.
    match &proof.checkpoint {
        Some(envelope) => verify_checkpoint(envelope, size, &proof.root_hash, key),
        None => Ok(()),
    }
}

/// The checkpoint is for the proof's tree and signed by the log's key (key
/// hint: the first 4 bytes of its log id).
fn verify_checkpoint(
    envelope: &str,
    size: u64,
    root_hash: &[u8],
    key: &LogKey,
) -> Result<(), BundleError> {
    let bad = |m: String| BundleError::InvalidInclusionProof(m);
    let checkpoint = Checkpoint::parse(envelope)
        .ok_or_else(|| bad("its checkpoint is not a signed note".into()))?;
    if checkpoint.size != size || checkpoint.root_hash != root_hash {
        return Err(bad(format!(
            "its checkpoint is for a tree of {} with another root hash, not the proof's tree of {size}",
            checkpoint.size
        )));
    }
    let hint = key.id.get(..4).unwrap_or_default();
    let signed = checkpoint.signatures.iter().any(|(_, sig)| {
        sig.len() > 4
            && &sig[..4] == hint
            && verify_with(key, &sig[4..], checkpoint.note.as_bytes()).is_ok()
    });
    if !signed {
        return Err(bad(format!(
            "its checkpoint is not signed by {} (signatures by: {})",
            key.name,
            checkpoint
                .signatures
                .iter()
                .map(|(name, _)| name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(())
}

/// A checkpoint: a signed note (c2sp.org/signed-note) whose text is the origin, the
/// tree size and the base64 root hash.
struct Checkpoint {
    /// The signed text, up to and including the newline before the blank line.
    note: String,
    size: u64,
    root_hash: Vec<u8>,
    /// (signer name, key hint + signature)
    signatures: Vec<(String, Vec<u8>)>,
}

impl Checkpoint {
    fn parse(envelope: &str) -> Option<Self> {
        let split = envelope.find("\n\n")?;
        let note = &envelope[..=split];
        let mut lines = note.lines();
        let _origin = lines.next()?;
        let size = lines.next()?.parse().ok()?;
        let root_hash = BASE64.decode(lines.next()?).ok()?;
        let signatures = envelope[split + 2..]
            .lines()
            .filter_map(|line| {
                let rest = line.strip_prefix("\u{2014} ")?;
                let (name, sig) = rest.rsplit_once(' ')?;
                Some((name.to_string(), BASE64.decode(sig).ok()?))
            })
            .collect();
        Some(Checkpoint {
            note: note.to_string(),
            size,
            root_hash,
            signatures,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inclusion_proofs_follow_rfc_9162() {
        let leaf = |i: u8| {
            let mut h = Sha256::new();
            h.update([0u8, i]);
            h.finalize().to_vec()
        };
        // A tree of 7: ((01)(23))((45)6)
        let l: Vec<_> = (0..7).map(leaf).collect();
        let n = |a: &[u8], b: &[u8]| hash_children(a, b);
        let (h01, h23, h45) = (n(&l[0], &l[1]), n(&l[2], &l[3]), n(&l[4], &l[5]));
        let (h0123, h456) = (n(&h01, &h23), n(&h45, &l[6]));
        let root = n(&h0123, &h456);
        assert_eq!(
            root_from_inclusion_proof(6, 7, &l[6], &[h45.clone(), h0123.clone()]),
            Some(root.clone())
        );
        assert_eq!(
            root_from_inclusion_proof(2, 7, &l[2], &[l[3].clone(), h01.clone(), h456.clone()]),
            Some(root.clone())
        );
        assert_eq!(root_from_inclusion_proof(7, 7, &l[6], &[]), None);
        assert_eq!(
            root_from_inclusion_proof(0, 1, &l[0], &[]),
            Some(l[0].clone())
        );
        assert_eq!(
            root_from_inclusion_proof(0, 1, &l[0], &[l[1].clone()]),
            None
        );
    }
}
