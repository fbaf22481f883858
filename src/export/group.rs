//! One object across the exported environments: the same kind and name
//! (the product's own Namespace, whose name differs, counts as one).

use crate::render::DesiredSet;
use serde_json::Value;
use std::collections::BTreeSet;

pub struct ObjectGroup<'a> {
    pub kind: String,
    pub name: String,
    pub own_namespace: bool,
    /// The object's body per environment; `None` where it is not rendered.
    pub bodies: Vec<Option<&'a Value>>,
    /// Its template's file name, unique in the chart.
    pub file: String,
}

/// The objects of every environment, grouped, in the order they first appear.
pub fn group(sets: &[DesiredSet]) -> Vec<ObjectGroup<'_>> {
    let mut groups: Vec<ObjectGroup> = Vec::new();
    let mut identities: Vec<(String, String, String, bool)> = Vec::new();
    for (env, set) in sets.iter().enumerate() {
        for object in &set.objects {
            let own_namespace = object.kind == "Namespace" && object.name == set.namespace;
            let name = if own_namespace { "" } else { &object.name };
            let identity = (
                object.group().to_string(),
                object.kind.clone(),
                name.to_string(),
                own_namespace,
            );
            let at = match identities.iter().position(|i| *i == identity) {
                Some(at) => at,
                None => {
                    identities.push(identity);
                    groups.push(ObjectGroup {
                        kind: object.kind.clone(),
                        name: object.name.clone(),
                        own_namespace,
                        bodies: vec![None; sets.len()],
                        file: String::new(),
                    });
                    groups.len() - 1
                }
            };
            groups[at].bodies[env] = Some(&object.body);
        }
    }
    name_files(&mut groups);
    groups
}

fn name_files(groups: &mut [ObjectGroup]) {
    let mut taken = BTreeSet::new();
    for g in groups.iter_mut() {
        let stem = if g.own_namespace {
            "namespace".to_string()
        } else {
            format!("{}-{}", g.kind.to_ascii_lowercase(), g.name)
        };
        let mut file = format!("{stem}.yaml");
        let mut n = 2;
        while !taken.insert(file.clone()) {
            file = format!("{stem}-{n}.yaml");
            n += 1;
        }
        g.file = file;
    }
}
