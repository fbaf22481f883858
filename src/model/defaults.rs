//! The platform defaults of DESIGN.md section 2, per environment, in one
//! place so rendering and validation agree on them.

use super::platform::FloeSpec;
use super::Environment;
use serde_json::{json, Value};

pub const PROBE_INITIAL_DELAY: u32 = 10;
pub const PROBE_PERIOD: u32 = 10;
pub const PROBE_TIMEOUT: u32 = 2;
pub const PROBE_FAILURE_THRESHOLD: u32 = 3;

pub const RUN_AS_UID: u32 = 1000;

/// Label that batch nodes are tainted with; batch workloads tolerate it.
pub const BATCH_TAINT_KEY: &str = "dedicated";
pub const BATCH_TAINT_VALUE: &str = "batch";

pub struct EnvDefaults {
    pub replicas: u32,
    pub quota_cpu: &'static str,
    pub quota_memory: &'static str,
    pub quota_limits_cpu: &'static str,
    pub quota_limits_memory: &'static str,
    pub quota_pods: u32,
    pub network_policies: bool,
    pub pdb: bool,
    pub hard_affinity: bool,
    pub image_pull_policy: &'static str,
    /// `:latest`, single replicas and hostPath are errors here.
    pub strict: bool,
}

pub fn for_env(env: Environment) -> EnvDefaults {
    match env {
        Environment::Dev => EnvDefaults {
            replicas: 1,
            quota_cpu: "4",
            quota_memory: "8Gi",
            quota_limits_cpu: "8",
            quota_limits_memory: "16Gi",
            quota_pods: 20,
            network_policies: false,
            pdb: false,
            hard_affinity: false,
            image_pull_policy: "IfNotPresent",
            strict: false,
        },
        Environment::Staging => EnvDefaults {
            replicas: 2,
            quota_cpu: "8",
            quota_memory: "16Gi",
            quota_limits_cpu: "16",
            quota_limits_memory: "32Gi",
            quota_pods: 40,
            network_policies: true,
            pdb: false,
            hard_affinity: false,
            image_pull_policy: "IfNotPresent",
            strict: false,
        },
        Environment::Prod => EnvDefaults {
            replicas: 2,
            quota_cpu: "16",
            quota_memory: "32Gi",
            quota_limits_cpu: "32",
            quota_limits_memory: "64Gi",
            quota_pods: 80,
            network_policies: true,
            pdb: true,
            hard_affinity: true,
            image_pull_policy: "Always",
            strict: true,
        },
    }
}

/// Built-in requests/limits when neither the workload nor the manifest says.
pub const DEFAULT_REQUESTS: (&str, &str) = ("100m", "256Mi");
pub const DEFAULT_LIMITS: (&str, &str) = ("500m", "512Mi");
/// LimitRange defaults for containers that floe did not render.
pub const LIMITRANGE_DEFAULT_REQUEST: (&str, &str) = ("100m", "128Mi");
pub const LIMITRANGE_DEFAULT: (&str, &str) = ("500m", "512Mi");

/// The workloads every product gets unless its settings turn them off: the
/// orchestrator code location (Deployment + Service), a dbt run (Job) and,
/// when floe.yaml has an enabled schedule, a CronJob running the same dbt
/// build. Expressed as a settings layer so users override any field.
pub fn default_workloads(spec: &FloeSpec, env: Environment) -> Value {
    let dbt_args = json!(["dbt", "build", "--target", env.as_str()]);
    let batch_toleration = json!([{
        "key": BATCH_TAINT_KEY, "operator": "Equal", "value": BATCH_TAINT_VALUE, "effect": "NoSchedule"
    }]);
    let mut workloads = json!({
        "code-location": {
            "kind": "Deployment",
            "component": "code-location",
            "ports": [{"name": "grpc", "containerPort": 4000}],
        },
        "dbt-run": {
            "kind": "Job",
            "component": "dbt-run",
            "args": dbt_args,
            "tolerations": batch_toleration,
            "job": {"backoffLimit": 0},
        },
    });
    let scheduled = spec
        .schedule
        .as_ref()
        .is_some_and(|s| s.enabled && s.cron.is_some());
    if scheduled {
        workloads["scheduled-run"] = json!({
            "kind": "CronJob",
            "component": "scheduled-run",
            "args": dbt_args,
            "tolerations": batch_toleration,
            "job": {"backoffLimit": 3},
        });
    }
    json!({ "workloads": workloads })
}

/// Keys whose values are credentials. A plugin config key containing one of
/// these must not carry a literal value into a ConfigMap.
const SECRET_WORDS: [&str; 9] = [
    "password",
    "passwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "access_key",
    "private_key",
    "credential",
];

/// Suffixes that name *where* a secret is, not the secret itself.
const REFERENCE_SUFFIXES: [&str; 8] = [
    "_ref",
    "_url",
    "_uri",
    "_endpoint",
    "_file",
    "_path",
    "_env",
    "_name",
];

pub fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    // "auth" is a credential only as the key's last word (`auth`,
    // `basic_auth`, `proxyAuth`): `author`, `auth_method`, `oauth_flow` are not.
    let last_word_is_auth = key.rsplit(['_', '-', '.']).next().is_some_and(|w| {
        let w = w.to_ascii_lowercase();
        w == "auth" || (w.ends_with("auth") && key.ends_with("Auth"))
    });
    (SECRET_WORDS.iter().any(|w| k.contains(w)) || last_word_is_auth)
        && !REFERENCE_SUFFIXES.iter().any(|s| k.ends_with(s))
}

/// `${VAR}` placeholders are resolved at run time from the environment
/// (which a Secret feeds), so they are not secret values.
pub fn is_placeholder(value: &str) -> bool {
    let v = value.trim();
    v.starts_with("${") && v.ends_with('}') && v.len() > 3
}

#[cfg(test)]
mod secret_key_tests {
    use super::is_secret_key;

    #[test]
    fn auth_only_as_the_last_word() {
        for key in [
            "auth",
            "basic_auth",
            "proxyAuth",
            "db-auth",
            "password",
            "client_secret",
            "api_key",
            "authToken",
        ] {
            assert!(is_secret_key(key), "{key}");
        }
        for key in [
            "author",
            "auth_method",
            "oauth_flow",
            "authority",
            "password_ref",
            "token_url",
            "region",
        ] {
            assert!(!is_secret_key(key), "{key}");
        }
    }
}
