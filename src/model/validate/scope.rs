//! The workload a rule is checking: the product, the workload, the
//! environment's defaults and the path of the workload's fields.

use crate::model::defaults::EnvDefaults;
use crate::model::diag::{join, Diagnostic};
use crate::model::effective::EffectiveWorkload;
use crate::model::settings::WorkloadConfig;
use crate::model::{Product, SETTINGS_FILE};

/// One workload being checked, and where its fields are.
pub(super) struct WorkloadScope<'a> {
    pub product: &'a Product,
    pub workload: &'a EffectiveWorkload,
    pub env: &'a EnvDefaults,
    /// `workloads.<name>`.
    pub base: String,
}

impl<'a> WorkloadScope<'a> {
    pub fn new(
        product: &'a Product,
        workload: &'a EffectiveWorkload,
        env: &'a EnvDefaults,
    ) -> Self {
        WorkloadScope {
            product,
            workload,
            env,
            base: format!("workloads.{}", workload.name),
        }
    }

    pub fn config(&self) -> &'a WorkloadConfig {
        &self.workload.config
    }

    /// The path of one of the workload's fields.
    pub fn at(&self, field: &str) -> String {
        join(&self.base, field)
    }

    pub fn error(&self, field: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::error(SETTINGS_FILE, self.at(field), message)
    }
}
