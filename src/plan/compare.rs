//! Whether a plan made now is the plan that was reviewed: the same objects,
//! the same actions on them, the same bodies sent, the same live objects
//! seen and the same guardrail results. Pure: both plans are data.

use super::{Change, Plan};
use crate::object::ObjectKey;
use std::collections::HashMap;

/// The first way in which `now` differs from `reviewed`, in words a person
/// can act on; `None` when applying `now` does exactly what was reviewed.
/// `settled` is an object the apply already brought to its reviewed state
/// before the comparison (the namespace, created before the lock).
pub fn first_difference(
    reviewed: &Plan,
    now: &Plan,
    settled: Option<&ObjectKey>,
) -> Option<String> {
    let header = [
        ("product", &reviewed.product, &now.product),
        ("namespace", &reviewed.namespace, &now.namespace),
        ("environment", &reviewed.environment, &now.environment),
        (
            "desired digest",
            &reviewed.desired_digest,
            &now.desired_digest,
        ),
    ];
    for (what, a, b) in header {
        if a != b {
            return Some(format!("the {what} was {a}, it is {b} now"));
        }
    }
    if reviewed.cluster.kube_system_uid != now.cluster.kube_system_uid {
        return Some(format!(
            "the plan was made for cluster {}, this is {}",
            reviewed.cluster.server, now.cluster.server
        ));
    }
    changes_difference(reviewed, now, settled).or_else(|| {
        (reviewed.blocked != now.blocked).then(|| {
            format!(
                "the guardrails held back [{}], now [{}]",
                reviewed.blocked.join("; "),
                now.blocked.join("; ")
            )
        })
    })
}

fn changes_difference(reviewed: &Plan, now: &Plan, settled: Option<&ObjectKey>) -> Option<String> {
    let current: HashMap<&ObjectKey, &Change> = now.changes.iter().map(|c| (&c.key, c)).collect();
    let planned: HashMap<&ObjectKey, &Change> =
        reviewed.changes.iter().map(|c| (&c.key, c)).collect();
    for change in &reviewed.changes {
        if Some(&change.key) == settled {
            continue;
        }
        let Some(found) = current.get(&change.key) else {
            return Some(format!(
                "{} is in the reviewed plan but not in a plan made now",
                change.address
            ));
        };
        if let Some(difference) = change_difference(change, found) {
            return Some(format!("{}: {difference}", change.address));
        }
    }
    now.changes
        .iter()
        .find(|c| !planned.contains_key(&c.key) && Some(&c.key) != settled)
        .map(|c| {
            format!(
                "{} is not in the reviewed plan; a plan made now would {} it",
                c.address,
                c.actions.join(" and ")
            )
        })
}

fn change_difference(reviewed: &Change, now: &Change) -> Option<String> {
    if reviewed.action != now.action {
        return Some(format!(
            "the reviewed plan would {} it, a plan made now would {} it",
            reviewed.actions.join(" and "),
            now.actions.join(" and ")
        ));
    }
    if reviewed.desired != now.desired {
        return Some("the body to send differs from the product's rendering".into());
    }
    // Not the resourceVersion: a controller writing only status moves it
    // without changing anything reviewed.
    if reviewed.live_uid != now.live_uid || reviewed.before != now.before {
        return Some(format!(
            "the live object changed since the plan (resourceVersion {} then, {} now)",
            reviewed.live_resource_version.as_deref().unwrap_or("none"),
            now.live_resource_version.as_deref().unwrap_or("none")
        ));
    }
    if reviewed.requires_flag != now.requires_flag {
        return Some(format!(
            "the guardrail result differs (the reviewed plan: {}, now: {})",
            reviewed
                .requires_flag
                .as_deref()
                .unwrap_or("no flag needed"),
            now.requires_flag.as_deref().unwrap_or("no flag needed")
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Action, ClusterIdentity, Summary, FORMAT_VERSION};
    use serde_json::json;

    fn change(name: &str, action: Action, rv: Option<&str>) -> Change {
        Change {
            address: format!("configmap/{name}"),
            key: ObjectKey::new("", "ConfigMap", "orders-dev", name),
            api_version: "v1".into(),
            action,
            actions: action.steps().iter().map(|s| s.to_string()).collect(),
            before: None,
            after: None,
            desired: (action != Action::Delete).then(|| json!({"data": {"k": name}})),
            replace_reason: None,
            drift: Vec::new(),
            other_managers: Vec::new(),
            live_resource_version: rv.map(str::to_string),
            live_uid: rv.map(|_| format!("uid-{name}")),
            requires_flag: None,
        }
    }

    fn plan(changes: Vec<Change>) -> Plan {
        Plan {
            format_version: FORMAT_VERSION,
            product: "orders".into(),
            product_version: "1.0.0".into(),
            environment: "dev".into(),
            namespace: "orders-dev".into(),
            cluster: ClusterIdentity {
                server: "https://127.0.0.1:6443".into(),
                kube_system_uid: "kube-system-uid".into(),
            },
            desired_digest: "sha256:abc".into(),
            summary: Summary::of(&changes),
            changes,
            edges: Vec::new(),
            blocked: Vec::new(),
            warnings: Vec::new(),
            source: None,
            binding: None,
            sensitive: Default::default(),
        }
    }

    fn reviewed() -> Plan {
        plan(vec![
            change("a", Action::Create, None),
            change("b", Action::Update, Some("7")),
        ])
    }

    #[test]
    fn the_same_plan_has_no_difference() {
        assert_eq!(first_difference(&reviewed(), &reviewed(), None), None);
    }

    #[test]
    fn an_edited_body_is_named() {
        let mut edited = reviewed();
        edited.changes[1].desired = Some(json!({"data": {"k": "evil"}}));
        let found = first_difference(&edited, &reviewed(), None).unwrap();
        assert!(found.starts_with("configmap/b: the body"), "{found}");
    }

    #[test]
    fn an_injected_delete_is_named() {
        let mut edited = reviewed();
        let mut evil = change("x", Action::Delete, None);
        evil.key.namespace = "kube-system".into();
        edited.changes.push(evil);
        let found = first_difference(&edited, &reviewed(), None).unwrap();
        assert!(found.contains("not in a plan made now"), "{found}");
    }

    #[test]
    fn an_update_turned_into_a_replace_is_named() {
        let mut edited = reviewed();
        edited.changes[1].action = Action::Replace;
        edited.changes[1].actions = vec!["delete".into(), "create".into()];
        let found = first_difference(&edited, &reviewed(), None).unwrap();
        assert!(found.contains("would delete and create it"), "{found}");
    }

    #[test]
    fn an_emptied_guardrail_is_named() {
        let mut now = reviewed();
        now.changes[1].requires_flag = Some("--allow-prune-data".into());
        now.blocked = vec!["configmap/b needs --allow-prune-data".into()];
        let mut edited = now.clone();
        edited.changes[1].requires_flag = None;
        let found = first_difference(&edited, &now, None).unwrap();
        assert!(found.contains("guardrail"), "{found}");
        edited.changes[1].requires_flag = Some("--allow-prune-data".into());
        edited.blocked.clear();
        let found = first_difference(&edited, &now, None).unwrap();
        assert!(found.contains("guardrails held back"), "{found}");
    }

    #[test]
    fn a_moved_object_or_a_new_one_is_named() {
        let mut now = reviewed();
        now.changes[1].live_resource_version = Some("8".into());
        assert_eq!(
            first_difference(&reviewed(), &now, None),
            None,
            "status only"
        );
        now.changes[1].before = Some(json!({"data": {"k": "changed by hand"}}));
        let found = first_difference(&reviewed(), &now, None).unwrap();
        assert!(found.contains("resourceVersion 7 then, 8 now"), "{found}");
        let mut now = reviewed();
        now.changes.push(change("c", Action::Delete, Some("3")));
        let found = first_difference(&reviewed(), &now, None).unwrap();
        assert!(
            found.starts_with("configmap/c is not in the reviewed plan"),
            "{found}"
        );
    }

    #[test]
    fn a_settled_object_is_not_compared() {
        let mut now = reviewed();
        now.changes[0].action = Action::NoOp;
        now.changes[0].live_resource_version = Some("1".into());
        assert!(first_difference(&reviewed(), &now, None).is_some());
        let settled = reviewed().changes[0].key.clone();
        assert_eq!(first_difference(&reviewed(), &now, Some(&settled)), None);
    }
}
