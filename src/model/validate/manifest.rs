//! Rules for the platform manifest: its header, credentials in plugin
//! config, and resource presets whose requests exceed their limits.

use super::resources::check_requests_within_limits;
use super::secrets::credential_rules;
use super::spec::check_header;
use crate::model::diag::Diagnostic;
use crate::model::Product;

pub(super) fn manifest_rules(p: &Product, out: &mut Vec<Diagnostic>) {
    let Some(m) = &p.manifest else { return };
    let file = p.manifest_file.as_str();
    check_header(
        file,
        (&m.api_version, &m.kind),
        (
            "Manifest",
            "the platform manifest holds one `kind: Manifest` document",
        ),
        out,
    );
    credential_rules(p, out);
    for (name, preset) in &m.resource_presets {
        let (req, lim) = preset.normalised();
        check_requests_within_limits(file, &format!("resource_presets.{name}"), &req, &lim, out);
    }
}
