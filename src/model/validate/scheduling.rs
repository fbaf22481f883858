//! Toleration rules: known operators and effects, and no value with
//! `Exists`.

use super::scope::WorkloadScope;
use crate::model::diag::{join, Diagnostic};
use crate::model::SETTINGS_FILE;

pub(super) fn toleration_rules(s: &WorkloadScope, out: &mut Vec<Diagnostic>) {
    for (i, t) in s.config().tolerations.iter().enumerate() {
        let path = s.at(&format!("tolerations[{i}]"));
        let error = |field: &str, message: String| {
            Diagnostic::error(SETTINGS_FILE, join(&path, field), message)
        };
        if let Some(op) = &t.operator {
            if op != "Equal" && op != "Exists" {
                out.push(
                    error("operator", format!("unknown operator {op:?}"))
                        .with_hint("use Equal or Exists"),
                );
            }
            if op == "Exists" && t.value.is_some() {
                out.push(
                    error(
                        "value",
                        "a toleration with operator Exists takes no value".into(),
                    )
                    .with_hint("remove `value`, or use operator Equal"),
                );
            }
        }
        if let Some(e) = &t.effect {
            if !["NoSchedule", "PreferNoSchedule", "NoExecute"].contains(&e.as_str()) {
                out.push(
                    error("effect", format!("unknown effect {e:?}"))
                        .with_hint("use NoSchedule, PreferNoSchedule or NoExecute"),
                );
            }
        }
    }
}
