//! How an apply may go: concurrency, timeouts, conflicts, polling.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct ApplyOptions {
    pub concurrency: usize,
    /// How long one object may take to become healthy.
    pub object_timeout: Duration,
    /// How long the whole apply may take.
    pub overall_timeout: Duration,
    /// Take fields owned by other managers instead of failing.
    pub force_conflicts: bool,
    /// A pod stuck in a state that needs a change (image pull back-off,
    /// crash loop, unschedulable) fails its workload after this long,
    /// instead of waiting for the full timeout.
    pub fail_fast_after: Duration,
    pub poll_interval: Duration,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            concurrency: 16,
            object_timeout: Duration::from_secs(300),
            overall_timeout: Duration::from_secs(1800),
            force_conflicts: false,
            fail_fast_after: Duration::from_secs(15),
            poll_interval: Duration::from_millis(500),
        }
    }
}
