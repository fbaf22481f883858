//! floe: the Kubernetes deployment tool of the floe data platform.
//!
//! Data flows one way: inputs → [`model`] → [`render`] (the desired set) →
//! [`graph`] → [`plan`] → [`apply`] → [`state`] (revisions).

pub mod apply;
pub mod cli;
pub mod cluster;
pub mod export;
pub mod graph;
pub mod kinds;
pub mod model;
pub mod names;
pub mod object;
pub mod oci;
pub mod ops;
pub mod plan;
pub mod render;
pub mod state;
