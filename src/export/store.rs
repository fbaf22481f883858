//! The chart's values: every value a template reads, with what it is in
//! each exported environment.

use super::path::ValuePath;
use serde_json::Value;
use std::collections::BTreeMap;

/// A value per environment, in the order the environments were exported;
/// `None` where the environment does not render the object that reads it.
pub type PerEnv = Vec<Option<Value>>;

#[derive(Debug, Default)]
pub struct ValueStore {
    pub values: BTreeMap<ValuePath, PerEnv>,
}

impl ValueStore {
    /// Takes `path` for `per_env`. Several places may share one value (the
    /// namespace, an image) as long as they agree in every environment
    /// rendering both; `false` when the path is taken by a different value
    /// or would nest with another one.
    pub fn claim(&mut self, path: &ValuePath, per_env: &[Option<Value>]) -> bool {
        if let Some(existing) = self.values.get_mut(path) {
            let agree = existing
                .iter()
                .zip(per_env)
                .all(|(a, b)| a.is_none() || b.is_none() || a == b);
            if agree {
                for (slot, value) in existing.iter_mut().zip(per_env) {
                    if slot.is_none() {
                        slot.clone_from(value);
                    }
                }
            }
            return agree;
        }
        if self.values.keys().any(|taken| taken.overlaps(path)) {
            return false;
        }
        self.values.insert(path.clone(), per_env.to_vec());
        true
    }

    /// Takes `preferred` when it can, else `fallback` (or `fallback` with a
    /// counter); returns the path used.
    pub fn claim_either(
        &mut self,
        preferred: Option<&ValuePath>,
        fallback: &ValuePath,
        per_env: &[Option<Value>],
    ) -> ValuePath {
        if let Some(path) = preferred {
            if self.claim(path, per_env) {
                return path.clone();
            }
        }
        let mut candidate = fallback.clone();
        let mut n = 2;
        while !self.claim(&candidate, per_env) {
            let mut keys = fallback.0.clone();
            if let Some(last) = keys.last_mut() {
                last.push_str(&format!("-{n}"));
            }
            candidate = ValuePath(keys);
            n += 1;
        }
        candidate
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn places_that_agree_share_a_value_and_others_fall_back() {
        let mut store = ValueStore::default();
        let ns = ValuePath::of(&["namespace"]);
        assert!(store.claim(&ns, &[Some(json!("a-dev")), None]));
        assert!(store.claim(&ns, &[None, Some(json!("a-prod"))]));
        assert_eq!(
            store.values[&ns],
            vec![Some(json!("a-dev")), Some(json!("a-prod"))]
        );
        let fallback = ValuePath::of(&["objects", "X/y", "spec"]);
        let used = store.claim_either(Some(&ns), &fallback, &[Some(json!("b")), None]);
        assert_eq!(used, fallback);
        assert!(!store.claim(&ValuePath::of(&["namespace", "x"]), &[None, None]));
    }
}
