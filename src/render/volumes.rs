//! A pod's volumes and their mounts: a writable /tmp (the root filesystem
//! is read-only) and the configured volumes, with the PVCs floe renders
//! for persistent ones.

use super::context::{canonical_quantity, Ctx};
use crate::model::effective::EffectiveWorkload;
use crate::model::settings::{EmptyDir, PersistentVolume, Volume, WorkloadKind};
use serde_json::{json, Map, Value};

pub(super) struct PodVolumes {
    pub volumes: Vec<Value>,
    /// Mounts by volume name, in the main container's order; the other
    /// containers pick theirs by name.
    pub mounts: Vec<(String, Value)>,
    /// PVCs for a Deployment, or volumeClaimTemplates for a StatefulSet.
    pub claims: Vec<Value>,
}

impl PodVolumes {
    pub fn add(&mut self, volume: Value, name: &str, mount: Value) {
        self.volumes.push(volume);
        self.mounts.push((name.to_string(), mount));
    }

    pub fn all_mounts(&self) -> Vec<Value> {
        self.mounts.iter().map(|(_, m)| m.clone()).collect()
    }

    pub fn mount_named(&self, name: &str) -> Option<&Value> {
        self.mounts.iter().find(|(n, _)| n == name).map(|(_, m)| m)
    }
}

pub(super) fn tmp_mount() -> Value {
    json!({"name": "tmp", "mountPath": "/tmp"})
}

/// `/tmp`, then the workload's own volumes in the order written.
pub(super) fn declared_volumes(ctx: &Ctx, w: &EffectiveWorkload) -> PodVolumes {
    let mut pod = PodVolumes {
        volumes: vec![json!({"name": "tmp", "emptyDir": {}})],
        mounts: vec![("tmp".into(), tmp_mount())],
        claims: Vec::new(),
    };
    for v in &w.config.volumes {
        let mut mount = json!({"name": v.name, "mountPath": v.mount_path});
        if let Some(ro) = v.read_only {
            mount["readOnly"] = json!(ro);
        }
        if let Some(Value::Object(source)) = volume_source(ctx, w, v, &mut pod.claims) {
            let mut volume = Map::new();
            volume.insert("name".into(), json!(v.name));
            volume.extend(source);
            pod.volumes.push(Value::Object(volume));
        }
        pod.mounts.push((v.name.clone(), mount));
    }
    pod
}

/// The volume's source; `None` for a StatefulSet's persistent volume, which
/// its volumeClaimTemplate provides.
fn volume_source(
    ctx: &Ctx,
    w: &EffectiveWorkload,
    v: &Volume,
    claims: &mut Vec<Value>,
) -> Option<Value> {
    if let Some(e) = &v.empty_dir {
        Some(json!({"emptyDir": empty_dir_json(e)}))
    } else if let Some(p) = &v.persistent {
        persistent_source(ctx, w, &v.name, p, claims)
    } else if let Some(claim) = &v.claim {
        Some(json!({"persistentVolumeClaim": {"claimName": claim}}))
    } else if let Some(cm) = &v.config_map {
        Some(json!({"configMap": {"name": cm}}))
    } else if let Some(s) = &v.secret {
        Some(json!({"secret": {"secretName": s}}))
    } else {
        v.host_path
            .as_ref()
            .map(|h| json!({"hostPath": {"path": h}}))
    }
}

fn empty_dir_json(e: &EmptyDir) -> Value {
    let mut ed = json!({});
    if let Some(s) = &e.size_limit {
        ed["sizeLimit"] = json!(canonical_quantity(&s.as_string(), true));
    }
    if let Some(m) = &e.medium {
        ed["medium"] = json!(m);
    }
    ed
}

/// Records the claim floe renders for a persistent volume: a
/// volumeClaimTemplate for a StatefulSet, else a PVC named
/// `<workload>-<volume>` that the volume then refers to.
fn persistent_source(
    ctx: &Ctx,
    w: &EffectiveWorkload,
    volume: &str,
    p: &PersistentVolume,
    claims: &mut Vec<Value>,
) -> Option<Value> {
    let mut claim_spec = json!({
        "accessModes": p.access_modes.clone().unwrap_or_else(|| vec!["ReadWriteOnce".into()]),
        "resources": {"requests": {"storage": canonical_quantity(&p.size.as_string(), true)}},
    });
    if let Some(sc) = &p.storage_class_name {
        claim_spec["storageClassName"] = json!(sc);
    }
    if w.config.kind == WorkloadKind::StatefulSet {
        claims.push(json!({"metadata": {"name": volume}, "spec": claim_spec}));
        return None;
    }
    let claim_name = format!("{}-{}", w.name, volume);
    claims.push(json!({
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": ctx.metadata(&claim_name, w.component()),
        "spec": claim_spec,
    }));
    Some(json!({"persistentVolumeClaim": {"claimName": claim_name}}))
}
