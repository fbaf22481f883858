//! Label selectors against pod-template labels, with an index so that matching
//! a selector costs its candidates rather than every workload of the namespace.

use petgraph::graph::NodeIndex;
use serde_json::{Map, Value};
use std::collections::HashMap;

#[derive(Debug, PartialEq, Eq)]
enum Operator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

#[derive(Debug)]
struct Requirement<'a> {
    key: &'a str,
    operator: Operator,
    values: Vec<&'a str>,
}

/// A parsed selector. Equality pairs (`matchLabels`, a Service's selector) are
/// kept apart from expressions because they drive the index look-up.
#[derive(Debug, Default)]
pub(crate) struct Selector<'a> {
    labels: Vec<(&'a str, &'a str)>,
    requirements: Vec<Requirement<'a>>,
}

impl<'a> Selector<'a> {
    /// A Service's `spec.selector`: a plain map. An empty or absent map
    /// selects nothing (the Service's endpoints are managed by hand).
    pub(crate) fn from_service(selector: Option<&'a Value>) -> Option<Selector<'a>> {
        let map = selector?.as_object()?;
        let labels = string_pairs(map)?;
        if labels.is_empty() {
            return None;
        }
        Some(Selector {
            labels,
            requirements: Vec::new(),
        })
    }

    /// A `LabelSelector` (`matchLabels` + `matchExpressions`), as in a PDB.
    /// Absent or null selects nothing; `{}` selects everything. A malformed
    /// selector (the API server would reject it) selects nothing.
    pub(crate) fn from_label_selector(selector: Option<&'a Value>) -> Option<Selector<'a>> {
        let map = selector?.as_object()?;
        let labels = match map.get("matchLabels") {
            None | Some(Value::Null) => Vec::new(),
            Some(v) => string_pairs(v.as_object()?)?,
        };
        let mut requirements = Vec::new();
        match map.get("matchExpressions") {
            None | Some(Value::Null) => {}
            Some(v) => {
                for expr in v.as_array()? {
                    requirements.push(requirement(expr)?);
                }
            }
        }
        Some(Selector {
            labels,
            requirements,
        })
    }

    pub(crate) fn matches(&self, labels: &Map<String, Value>) -> bool {
        let get = |k: &str| labels.get(k).and_then(Value::as_str);
        self.labels.iter().all(|&(k, v)| get(k) == Some(v))
            && self.requirements.iter().all(|r| match r.operator {
                Operator::In => get(r.key).is_some_and(|v| r.values.contains(&v)),
                Operator::NotIn => get(r.key).is_none_or(|v| !r.values.contains(&v)),
                Operator::Exists => get(r.key).is_some(),
                Operator::DoesNotExist => get(r.key).is_none(),
            })
    }
}

fn string_pairs(map: &Map<String, Value>) -> Option<Vec<(&str, &str)>> {
    map.iter()
        .map(|(k, v)| Some((k.as_str(), v.as_str()?)))
        .collect()
}

fn requirement(expr: &Value) -> Option<Requirement<'_>> {
    let key = expr.get("key")?.as_str()?;
    let operator = match expr.get("operator")?.as_str()? {
        "In" => Operator::In,
        "NotIn" => Operator::NotIn,
        "Exists" => Operator::Exists,
        "DoesNotExist" => Operator::DoesNotExist,
        _ => return None,
    };
    let values = match expr.get("values") {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => v
            .as_array()?
            .iter()
            .map(Value::as_str)
            .collect::<Option<Vec<_>>>()?,
    };
    Some(Requirement {
        key,
        operator,
        values,
    })
}

/// Pod-template labels of the pod-creating objects, by namespace.
#[derive(Default)]
pub(crate) struct PodLabelIndex<'a> {
    workloads: Vec<(NodeIndex, &'a Map<String, Value>)>,
    /// (namespace, key, value) → positions in `workloads`.
    by_pair: HashMap<(&'a str, &'a str, &'a str), Vec<usize>>,
    /// (namespace, key) → positions in `workloads`.
    by_key: HashMap<(&'a str, &'a str), Vec<usize>>,
    by_namespace: HashMap<&'a str, Vec<usize>>,
}

impl<'a> PodLabelIndex<'a> {
    pub(crate) fn insert(
        &mut self,
        node: NodeIndex,
        namespace: &'a str,
        labels: &'a Map<String, Value>,
    ) {
        let at = self.workloads.len();
        self.workloads.push((node, labels));
        self.by_namespace.entry(namespace).or_default().push(at);
        for (k, v) in labels {
            self.by_key.entry((namespace, k)).or_default().push(at);
            if let Some(v) = v.as_str() {
                self.by_pair.entry((namespace, k, v)).or_default().push(at);
            }
        }
    }

    /// The workloads of `namespace` whose pod labels `selector` matches, in
    /// insertion order.
    pub(crate) fn matching(&self, namespace: &str, selector: &Selector<'_>) -> Vec<NodeIndex> {
        let empty: &[usize] = &[];
        // The narrowest posting list that every match must be in.
        let candidates: Vec<usize> = if !selector.labels.is_empty() {
            selector
                .labels
                .iter()
                .map(|&(k, v)| {
                    self.by_pair
                        .get(&(namespace, k, v))
                        .map_or(empty, Vec::as_slice)
                })
                .min_by_key(|list| list.len())
                .unwrap_or(empty)
                .to_vec()
        } else if let Some(list) = self.narrowest_requirement(namespace, selector) {
            list
        } else {
            self.by_namespace
                .get(namespace)
                .map_or(empty, Vec::as_slice)
                .to_vec()
        };
        candidates
            .into_iter()
            .filter(|&at| selector.matches(self.workloads[at].1))
            .map(|at| self.workloads[at].0)
            .collect()
    }

    /// Candidates from the `In` or `Exists` requirement with the fewest
    /// entries; `None` when there is no such requirement.
    fn narrowest_requirement(
        &self,
        namespace: &str,
        selector: &Selector<'_>,
    ) -> Option<Vec<usize>> {
        let empty: &[usize] = &[];
        selector
            .requirements
            .iter()
            .filter_map(|r| match r.operator {
                Operator::In => {
                    let mut list: Vec<usize> = r
                        .values
                        .iter()
                        .flat_map(|&v| {
                            self.by_pair
                                .get(&(namespace, r.key, v))
                                .map_or(empty, Vec::as_slice)
                                .iter()
                                .copied()
                        })
                        .collect();
                    list.sort_unstable();
                    list.dedup();
                    Some(list)
                }
                Operator::Exists => Some(
                    self.by_key
                        .get(&(namespace, r.key))
                        .map_or(empty, Vec::as_slice)
                        .to_vec(),
                ),
                Operator::NotIn | Operator::DoesNotExist => None,
            })
            .min_by_key(Vec::len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labels(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn expressions_follow_kubernetes_semantics() {
        let selector = json!({"matchExpressions": [
            {"key": "tier", "operator": "In", "values": ["web", "api"]},
            {"key": "track", "operator": "NotIn", "values": ["canary"]},
            {"key": "app", "operator": "Exists"},
            {"key": "legacy", "operator": "DoesNotExist"},
        ]});
        let s = Selector::from_label_selector(Some(&selector)).expect("valid");
        assert!(s.matches(&labels(json!({"tier": "web", "app": "x"}))));
        assert!(s.matches(&labels(
            json!({"tier": "api", "app": "x", "track": "stable"})
        )));
        assert!(!s.matches(&labels(
            json!({"tier": "web", "app": "x", "track": "canary"})
        )));
        assert!(!s.matches(&labels(json!({"tier": "db", "app": "x"}))));
        assert!(!s.matches(&labels(json!({"tier": "web"}))));
        assert!(!s.matches(&labels(json!({"tier": "web", "app": "x", "legacy": "1"}))));
    }

    #[test]
    fn empty_null_and_malformed_selectors() {
        let everything = json!({});
        let s = Selector::from_label_selector(Some(&everything)).expect("valid");
        assert!(s.matches(&Map::new()));
        assert!(Selector::from_label_selector(None).is_none());
        assert!(Selector::from_label_selector(Some(&Value::Null)).is_none());
        let bad = json!({"matchLabels": {"app": 1}});
        assert!(Selector::from_label_selector(Some(&bad)).is_none());
        assert!(Selector::from_service(Some(&json!({}))).is_none());
    }

    #[test]
    fn the_index_only_matches_within_a_namespace() {
        let web = labels(json!({"app": "api", "tier": "web"}));
        let batch = labels(json!({"app": "job", "tier": "batch"}));
        let mut index = PodLabelIndex::default();
        index.insert(NodeIndex::new(0), "a", &web);
        index.insert(NodeIndex::new(1), "a", &batch);
        index.insert(NodeIndex::new(2), "b", &web);
        let service = json!({"tier": "web"});
        let s = Selector::from_service(Some(&service)).expect("valid");
        assert_eq!(index.matching("a", &s), [NodeIndex::new(0)]);
        assert_eq!(index.matching("b", &s), [NodeIndex::new(2)]);
        assert!(index.matching("c", &s).is_empty());
        let selector =
            json!({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["web"]}]});
        let s = Selector::from_label_selector(Some(&selector)).expect("valid");
        assert_eq!(index.matching("a", &s), [NodeIndex::new(1)]);
    }
}
