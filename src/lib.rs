//! floe: the Kubernetes deployment tool of the floe data platform.
//!
//! Data flows one way: inputs → [`model`] → [`render`] (the desired set) →
//! [`graph`] → [`plan`] → [`apply`] → [`state`] (revisions).

pub mod apply;
pub mod cli;
pub mod cluster;
pub mod graph;
pub mod model;
pub mod object;
pub mod oci;
pub mod plan;
pub mod render;
pub mod state;

/// kube's rustls uses ring, oci-client's and sigstore's bring aws-lc-rs too;
/// with two providers compiled in rustls has no process default and panics
/// on first use, so every entry point that opens TLS calls this first.
pub fn install_tls_provider() {
    // Err only means a provider is already installed, which is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
