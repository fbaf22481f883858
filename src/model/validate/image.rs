//! Image references: well formed everywhere, pinned where the environment
//! is strict.

use crate::model::defaults::EnvDefaults;
use crate::model::diag::Diagnostic;
use crate::model::effective::EffectiveWorkload;
use crate::model::{Product, SETTINGS_FILE};

/// The image workloads without their own `image:` share: missing is one
/// error naming them all, and an unpinned one is reported once, where it
/// is written.
pub(super) fn image_rules(
    p: &Product,
    workloads: &[EffectiveWorkload],
    env: &EnvDefaults,
    out: &mut Vec<Diagnostic>,
) {
    let sharing: Vec<&str> = workloads
        .iter()
        .filter(|w| w.config.image.is_none())
        .map(|w| w.name.as_str())
        .collect();
    if sharing.is_empty() {
        return;
    }
    if let Some(image) = &p.image_override {
        check_image(p, "--image", "", image, env, out);
    } else if let Some(image) = &p.settings.image {
        check_image(p, SETTINGS_FILE, "image", image, env, out);
    } else {
        let names = sharing
            .iter()
            .map(|n| format!("{n:?}"))
            .collect::<Vec<_>>()
            .join(", ");
        let noun = if sharing.len() == 1 {
            "workload"
        } else {
            "workloads"
        };
        out.push(
            Diagnostic::error(SETTINGS_FILE, "image", format!("no image for {noun} {names}"))
                .with_hint("set `image:` at the top of floe-deploy.yaml (used by every workload that names none), set it on the workload, or pass --image"),
        );
    }
}

pub(super) fn check_image(
    p: &Product,
    file: &str,
    path: &str,
    image: &str,
    env: &EnvDefaults,
    out: &mut Vec<Diagnostic>,
) {
    if image.trim().is_empty() || image.contains(char::is_whitespace) {
        out.push(
            Diagnostic::error(file, path, format!("invalid image reference {image:?}")).with_hint(
                "use registry/repository:tag, e.g. registry.example.com/acme/shop:1.0.0",
            ),
        );
        return;
    }
    if !env.strict {
        return;
    }
    if let Some(problem) = unpinned(image) {
        out.push(
            Diagnostic::error(
                file,
                path,
                format!(
                    "image {image:?} {problem}, which is not allowed in {}",
                    p.env
                ),
            )
            .with_hint("pin it with a version tag (e.g. :1.4.2) or a digest (@sha256:...)"),
        );
    }
}

/// Why the image is not pinned, if it is not. The tag is after the last
/// ':' of the last path segment; a digest pins it.
fn unpinned(image: &str) -> Option<&'static str> {
    let last = image.rsplit('/').next().unwrap_or(image);
    let digest = image.contains("@sha256:");
    let tag = last
        .split('@')
        .next()
        .unwrap_or(last)
        .split_once(':')
        .map(|(_, t)| t);
    match tag {
        _ if digest => None,
        None => Some("has no tag (so it pulls `:latest`)"),
        Some("latest") => Some("uses the `:latest` tag"),
        Some(_) => None,
    }
}
