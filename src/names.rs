//! The names floe writes into the cluster: its field manager, labels and
//! annotations. Every layer reads them from here, so none has to import a
//! layer above it for a constant.

/// Field manager for every write floe makes.
pub const FIELD_MANAGER: &str = "floe";
/// Value of `app.kubernetes.io/managed-by` on everything floe owns.
pub const MANAGED_BY: &str = "floe";
pub const LABEL_MANAGED_BY: &str = "app.kubernetes.io/managed-by";
pub const LABEL_PRODUCT: &str = "floe.dev/product";
pub const LABEL_ENVIRONMENT: &str = "floe.dev/environment";
pub const LABEL_WORKLOAD: &str = "floe.dev/workload";
/// Label on objects floe keeps for itself (revision records, the lock); never pruned.
pub const LABEL_INTERNAL: &str = "floe.dev/internal";
pub const ANNOTATION_CONFIG_HASH: &str = "floe.dev/config-hash";
/// The ConfigMap holding the platform manifest's non-secret plugin config.
pub const PLATFORM_CONFIGMAP: &str = "floe-platform";
