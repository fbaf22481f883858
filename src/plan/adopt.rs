//! Objects that exist in the cluster without floe's labels for the product
//! (made by hand, by another tool, or by another product): the plan shows
//! them as adoptions, and only `--adopt` lets the apply take them over.

use super::{Action, Change};
use crate::names::FIELD_MANAGER;
use serde_json::Value;

/// The flag that allows an adoption.
pub const ADOPT_FLAG: &str = "--adopt";

/// The field managers that wrote `existing` besides floe, in the order its
/// managedFields list them, each once.
pub fn other_managers(existing: &Value) -> Vec<String> {
    let mut managers: Vec<String> = Vec::new();
    let entries = existing
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    for manager in entries
        .iter()
        .filter_map(|m| m.get("manager").and_then(Value::as_str))
    {
        if manager != FIELD_MANAGER && !managers.iter().any(|m| m == manager) {
            managers.push(manager.to_string());
        }
    }
    managers
}

/// Why `change`, the adoption of an existing object, is held back without
/// `--adopt`, for the plan's blocked list.
pub fn blocked_text(change: &Change) -> String {
    let by = match change.other_managers.as_slice() {
        [] => String::new(),
        managers => format!(" (written by {})", managers.join(", ")),
    };
    let how = if change.action == Action::Replace {
        "; taking it over deletes it and creates it again"
    } else {
        ""
    };
    format!(
        "{} exists in the cluster without floe's labels{by}{how}: pass {ADOPT_FLAG} to take it over",
        change.address
    )
}

#[cfg(test)]
mod tests {
    use super::other_managers;
    use serde_json::json;

    #[test]
    fn other_managers_are_listed_once_without_floe() {
        let existing = json!({"metadata": {"managedFields": [
            {"manager": "kubectl-create", "operation": "Update"},
            {"manager": "floe", "operation": "Apply"},
            {"manager": "kubectl-edit", "operation": "Update"},
            {"manager": "kubectl-create", "operation": "Update", "subresource": "status"}
        ]}});
        assert_eq!(
            other_managers(&existing),
            vec!["kubectl-create".to_string(), "kubectl-edit".to_string()]
        );
        assert!(other_managers(&json!({"metadata": {}})).is_empty());
    }
}
