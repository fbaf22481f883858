//! Pure renderers of every report the CLI shows: typed results in, text or
//! JSON out. They never print and never talk to a cluster (the plan's own
//! renderers are `crate::plan::format`, the graph's `crate::graph`).

pub mod apply;
pub mod artifact;
pub mod diagnostics;
pub mod history;
pub mod status;
pub mod undo;
pub mod validate;

/// Pretty JSON with a final newline.
fn pretty(value: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default() + "\n"
}

/// "" for one, "s" otherwise.
fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
