//! From one object across environments to its template: what every
//! environment agrees on stays literal, what differs becomes a value (the
//! smallest part that differs, or a whole named block such as resources).

use super::group::ObjectGroup;
use super::labels::{chart_labels_template, labels_template, SharedLabels};
use super::naming::{self, Environments, Site};
use super::path::{ObjectPath, Step, ValuePath};
use super::store::ValueStore;
use super::yaml::{Doc, Entry};
use serde_json::{Map, Value};

pub struct Lifter<'a> {
    pub envs: &'a Environments,
    pub chart: String,
    pub shared: Option<SharedLabels>,
    pub store: ValueStore,
}

/// An object's template: the toggle it sits behind, if any, and its body.
pub struct Lifted {
    pub toggle: Option<ValuePath>,
    pub body: Doc,
}

impl Lifter<'_> {
    pub fn object(&mut self, group: &ObjectGroup) -> Lifted {
        let (named, always) = naming::toggle(&group.kind, &group.name, group.own_namespace);
        let everywhere = group.bodies.iter().all(Option::is_some);
        let toggle = (always || !everywhere).then(|| {
            let per_env: Vec<Option<Value>> = group
                .bodies
                .iter()
                .map(|b| Some(Value::Bool(b.is_some())))
                .collect();
            let generic = ValuePath::of(&[
                "objects",
                &naming::object_id(&group.kind, &group.name, group.own_namespace),
                "enabled",
            ]);
            self.store.claim_either(Some(&named), &generic, &per_env)
        });
        let body = self.walk(group, &ObjectPath::default(), &group.bodies);
        Lifted { toggle, body }
    }

    fn walk(&mut self, group: &ObjectGroup, path: &ObjectPath, values: &[Option<&Value>]) -> Doc {
        let site = site(self.envs, group, path, values);
        if let Some(rule) = naming::readable(&site) {
            if rule.always || differs(values) {
                return self.lift(Some(&rule.path), &site);
            }
        }
        if let Some(doc) = self.shared_labels(group, path, values) {
            return doc;
        }
        self.walk_structure(group, path, values)
    }

    /// Maps with the same keys and lists of the same length are walked into
    /// (even where every environment agrees: the shared labels and the
    /// always-named values sit anywhere); other parts are literal where
    /// every environment agrees, a value where they differ.
    fn walk_structure(
        &mut self,
        group: &ObjectGroup,
        path: &ObjectPath,
        values: &[Option<&Value>],
    ) -> Doc {
        let present: Vec<&Value> = values.iter().flatten().copied().collect();
        let Some(first) = present.first() else {
            return Doc::Scalar(Value::Null);
        };
        if let Some(keys) = same_keys(&present) {
            let entries = keys
                .into_iter()
                .map(|key| {
                    let child: Vec<Option<&Value>> =
                        values.iter().map(|v| v.and_then(|v| v.get(&key))).collect();
                    let doc = self.walk(group, &path.child(Step::Key(key.clone())), &child);
                    Entry::Pair(key, doc)
                })
                .collect();
            return Doc::Map(entries);
        }
        if let Some(len) = same_length(&present) {
            let items = (0..len)
                .map(|i| {
                    let child: Vec<Option<&Value>> =
                        values.iter().map(|v| v.and_then(|v| v.get(i))).collect();
                    self.walk(group, &path.child(Step::Index(i)), &child)
                })
                .collect();
            return Doc::List(items);
        }
        if !differs(values) {
            return Doc::from_json(first);
        }
        self.lift(None, &site(self.envs, group, path, values))
    }

    fn lift(&mut self, preferred: Option<&ValuePath>, site: &Site) -> Doc {
        let per_env: Vec<Option<Value>> = site.values.iter().map(|v| v.cloned()).collect();
        let path = self
            .store
            .claim_either(preferred, &naming::generic(site), &per_env);
        Doc::Action(format!("{{{{ toJson {} }}}}", path.accessor()))
    }

    /// A `metadata.labels` map holding the shared labels: the include, then
    /// the labels of its own.
    fn shared_labels(
        &mut self,
        group: &ObjectGroup,
        path: &ObjectPath,
        values: &[Option<&Value>],
    ) -> Option<Doc> {
        let keys = path.keys();
        if path.0.len() < 2 || keys[keys.len().saturating_sub(2)..] != ["metadata", "labels"] {
            return None;
        }
        let shared = self.shared.clone()?;
        let mut rests: Vec<Option<Value>> = Vec::new();
        for value in values {
            rests.push(match value {
                None => None,
                Some(v) => Some(Value::Object(shared.rest(v.as_object()?)?)),
            });
        }
        for (label, value_path) in &shared.variables {
            let per_env: Vec<Option<Value>> = values
                .iter()
                .map(|v| v.and_then(|v| v.get(label)).cloned())
                .collect();
            if !self.store.claim(value_path, &per_env) {
                return None;
            }
        }
        let refs: Vec<Option<&Value>> = rests.iter().map(Option::as_ref).collect();
        let Doc::Map(own) = self.walk_structure(group, path, &refs) else {
            return None;
        };
        let mut entries = vec![Entry::Include(labels_template(&self.chart))];
        if path.0.len() == 2 {
            entries.push(Entry::Include(chart_labels_template(&self.chart)));
        }
        entries.extend(own);
        Some(Doc::Map(entries))
    }
}

fn site<'s>(
    envs: &'s Environments,
    group: &'s ObjectGroup,
    path: &'s ObjectPath,
    values: &'s [Option<&'s Value>],
) -> Site<'s> {
    Site {
        envs,
        kind: &group.kind,
        name: &group.name,
        own_namespace: group.own_namespace,
        path,
        values,
        bodies: &group.bodies,
    }
}

fn differs(values: &[Option<&Value>]) -> bool {
    let mut present = values.iter().flatten();
    match present.next() {
        Some(first) => present.any(|v| v != first),
        None => false,
    }
}

fn same_keys(values: &[&Value]) -> Option<Vec<String>> {
    let maps: Vec<&Map<String, Value>> = values
        .iter()
        .map(|v| v.as_object())
        .collect::<Option<_>>()?;
    let keys: Vec<String> = maps[0].keys().cloned().collect();
    maps.iter()
        .all(|m| m.len() == keys.len() && keys.iter().all(|k| m.contains_key(k)))
        .then_some(keys)
}

fn same_length(values: &[&Value]) -> Option<usize> {
    let lists: Vec<&Vec<Value>> = values.iter().map(|v| v.as_array()).collect::<Option<_>>()?;
    let len = lists[0].len();
    lists.iter().all(|l| l.len() == len).then_some(len)
}
