//! Chart.yaml.

use super::yaml::scalar_text;

/// The annotation that marks a chart as floe's export (a later export may
/// replace it).
pub const EXPORTED_BY: &str = "floe.dev/exported-by";

pub fn chart_yaml(name: &str, version: &str, description: Option<&str>) -> String {
    let description = description.map_or_else(
        || format!("The {name} data product, as floe deploys it"),
        str::to_string,
    );
    format!(
        "apiVersion: v2\nname: {}\ndescription: {}\ntype: application\nversion: {}\nappVersion: {}\nannotations:\n  {}: {}\n",
        scalar_text(name),
        scalar_text(&description),
        scalar_text(version),
        serde_json::to_string(version).unwrap_or_default(),
        EXPORTED_BY,
        scalar_text(&format!("floe {}", env!("CARGO_PKG_VERSION"))),
    )
}
