//! Fields of Sigstore's protobuf JSON documents: bytes are base64, int64s
//! may be strings.

use super::error::BundleError;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;

/// Base64 bytes; `what` names the field for the message.
pub(crate) fn b64_field(value: &str, what: &str) -> Result<Vec<u8>, BundleError> {
    BASE64
        .decode(value)
        .map_err(|e| BundleError::NotABundle(format!("{what} is not base64 ({e})")))
}

/// An int64 in protobuf JSON: a string of digits or a number; absent is 0.
pub(crate) fn int_field(value: &serde_json::Value, pointer: &str) -> Result<i64, BundleError> {
    match value.pointer(pointer) {
        None => Some(0),
        Some(serde_json::Value::Number(n)) => n.as_i64(),
        Some(serde_json::Value::String(s)) => s.parse().ok(),
        Some(_) => None,
    }
    .ok_or_else(|| BundleError::NotABundle(format!("{pointer} is not an integer")))
}
