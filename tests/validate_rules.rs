//! One scenario per validation rule, each a directory under
//! `fixtures/invalid/<case>/` holding only what differs from `fixtures/base/`:
//!
//! - files that replace (or add to) the base product's files;
//! - `remove`: base files to delete, one per line (e.g. `floe.yaml`);
//! - `args`: the arguments after `floe validate` (e.g. `--env prod`);
//! - `expected.txt`: the exact stdout of `floe validate`;
//! - `expected-stderr.txt`: the exact stderr, when there is any;
//! - `exit`: the exit code, when the summary line does not say it
//!   (`N errors, ...` means 5, `... is valid ...` means 0);
//! - `forbidden`: strings (one per line) that must appear nowhere in stdout
//!   or stderr, e.g. an inline secret value.
//!
//! `UPDATE_EXPECT=1 cargo test --test validate_rules` rewrites the expected
//! files from what the binary prints; review the diff by eye before
//! committing it.
//!
//! The binary runs with the scenario directory as its working directory and
//! no DIR argument, so paths in the output do not depend on the temp dir.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

const FLOE: &str = env!("CARGO_BIN_EXE_floe");

/// Files of a case directory that describe the scenario rather than being
/// part of the product.
const CONTROL_FILES: [&str; 6] = [
    "args",
    "expected.txt",
    "expected-stderr.txt",
    "exit",
    "forbidden",
    "remove",
];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn updating() -> bool {
    std::env::var_os("UPDATE_EXPECT").is_some_and(|v| v != "0" && !v.is_empty())
}

/// A fresh, unique directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!(
            "floe-validate-rules-{}-{n}-{tag}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn copy_files(from: &Path, to: &Path, skip: &[&str]) {
    for entry in fs::read_dir(from).expect("read fixture dir") {
        let entry = entry.expect("dir entry");
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if skip.contains(&name.as_ref()) {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            fs::create_dir_all(to.join(&*name)).expect("mkdir");
            copy_files(&path, &to.join(&*name), &[]);
        } else {
            fs::copy(&path, to.join(&*name)).expect("copy fixture file");
        }
    }
}

fn read_opt(path: &Path) -> Option<String> {
    fs::read_to_string(path).ok()
}

fn lines(text: Option<String>) -> Vec<String> {
    text.unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

struct Outcome {
    stdout: String,
    stderr: String,
    code: i32,
}

/// Builds the product for `case` in a temp dir and runs `floe validate`.
fn run_case(case_dir: &Path) -> Outcome {
    let name = case_dir.file_name().unwrap().to_string_lossy().to_string();
    let tmp = TempDir::new(&name);
    copy_files(&fixtures().join("base"), &tmp.0, &[]);
    copy_files(case_dir, &tmp.0, &CONTROL_FILES);
    for file in lines(read_opt(&case_dir.join("remove"))) {
        fs::remove_file(tmp.0.join(&file))
            .unwrap_or_else(|e| panic!("{name}: cannot remove {file}: {e}"));
    }
    let args: Vec<String> = read_opt(&case_dir.join("args"))
        .unwrap_or_else(|| panic!("{name}: missing `args`"))
        .split_whitespace()
        .map(str::to_string)
        .collect();
    let out = Command::new(FLOE)
        .arg("validate")
        .args(&args)
        .current_dir(&tmp.0)
        .env_remove("FLOE_ENV")
        .output()
        .expect("run floe");
    Outcome {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

/// The exit code the summary line implies, if it implies one.
fn code_from_summary(stdout: &str) -> Option<i32> {
    let last = stdout.lines().last()?;
    if last.contains(" is valid for ") {
        return Some(0);
    }
    let (n, rest) = last.split_once(' ')?;
    let n: usize = n.parse().ok()?;
    if rest.starts_with("error") {
        return Some(if n > 0 { 5 } else { 0 });
    }
    None
}

/// Every diagnostic says what and where, and comes with a hint.
fn check_shape(stdout: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let all: Vec<&str> = stdout.lines().collect();
    for (i, line) in all.iter().enumerate() {
        let Some(rest) = line
            .strip_prefix("error: ")
            .or_else(|| line.strip_prefix("warning: "))
        else {
            continue;
        };
        // `<file>[:<line>]: <path>: <message>`: at least a file and a message.
        if rest.split(": ").count() < 2 {
            problems.push(format!("diagnostic without a location: {line}"));
        }
        if !all.get(i + 1).is_some_and(|n| n.starts_with("  hint: ")) {
            problems.push(format!("diagnostic without a hint: {line}"));
        }
    }
    problems
}

/// Runs one case and returns its failures (empty when it passes). With
/// UPDATE_EXPECT set, rewrites the expected files instead.
fn check_case(case_dir: &Path) -> Vec<String> {
    let name = case_dir.file_name().unwrap().to_string_lossy().to_string();
    let out = run_case(case_dir);
    let mut failures = Vec::new();
    let expected_path = case_dir.join("expected.txt");
    let stderr_path = case_dir.join("expected-stderr.txt");
    let exit_path = case_dir.join("exit");

    if updating() {
        fs::write(&expected_path, &out.stdout).unwrap();
        if out.stderr.is_empty() {
            let _ = fs::remove_file(&stderr_path);
        } else {
            fs::write(&stderr_path, &out.stderr).unwrap();
        }
        if code_from_summary(&out.stdout) == Some(out.code) {
            let _ = fs::remove_file(&exit_path);
        } else {
            fs::write(&exit_path, format!("{}\n", out.code)).unwrap();
        }
    } else {
        let expected = read_opt(&expected_path).unwrap_or_default();
        if out.stdout != expected {
            failures.push(format!(
                "{name}: stdout differs\n--- expected\n{expected}--- actual\n{}",
                out.stdout
            ));
        }
        let expected_err = read_opt(&stderr_path).unwrap_or_default();
        if out.stderr != expected_err {
            failures.push(format!(
                "{name}: stderr differs\n--- expected\n{expected_err}--- actual\n{}",
                out.stderr
            ));
        }
        let code = read_opt(&exit_path)
            .map(|t| t.trim().parse::<i32>().expect("`exit` holds a number"))
            .or_else(|| code_from_summary(&expected));
        match code {
            Some(c) if c == out.code => {}
            Some(c) => failures.push(format!("{name}: exit code {} (expected {c})", out.code)),
            None => failures.push(format!("{name}: no `exit` file and no summary line")),
        }
    }

    if out.code == 0 {
        failures.push(format!(
            "{name}: an invalid case passed validation:\n{}",
            out.stdout
        ));
    }
    for problem in check_shape(&out.stdout) {
        failures.push(format!("{name}: {problem}"));
    }
    for word in lines(read_opt(&case_dir.join("forbidden"))) {
        if out.stdout.contains(&word) || out.stderr.contains(&word) {
            failures.push(format!(
                "{name}: output contains the forbidden string {word:?}"
            ));
        }
    }
    failures
}

fn case_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(fixtures().join("invalid"))
        .expect("fixtures/invalid")
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn assert_no_failures(failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{} failure(s):\n\n{}\n\n(UPDATE_EXPECT=1 rewrites the expected files; review them by eye)",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn base_fixture_is_valid_in_every_environment() {
    for env in ["dev", "staging", "prod"] {
        let tmp = TempDir::new(&format!("base-{env}"));
        copy_files(&fixtures().join("base"), &tmp.0, &[]);
        let out = Command::new(FLOE)
            .args(["validate", "--env", env])
            .current_dir(&tmp.0)
            .env_remove("FLOE_ENV")
            .output()
            .expect("run floe");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "base invalid in {env}:\n{stdout}"
        );
        assert!(
            stdout.contains("0 warnings"),
            "base warns in {env}:\n{stdout}"
        );
    }
}

/// Overlays that change nothing (`prod:` alone, `dev: {}`) and merge-patch
/// deletions (`null`) are fine.
#[test]
fn empty_overlays_and_deletions_are_valid() {
    let tmp = TempDir::new("empty-overlays");
    copy_files(&fixtures().join("base"), &tmp.0, &[]);
    let settings = tmp.0.join("floe-deploy.yaml");
    let mut text = fs::read_to_string(&settings).unwrap();
    text.push_str(
        "environments:\n  prod:\n  dev: {}\n  staging:\n    workloads:\n      code-location:\n        resources: null\n",
    );
    fs::write(&settings, text).unwrap();
    for env in ["dev", "staging", "prod"] {
        let out = Command::new(FLOE)
            .args(["validate", "--env", env])
            .current_dir(&tmp.0)
            .env_remove("FLOE_ENV")
            .output()
            .expect("run floe");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{env}:\n{stdout}");
    }
}

#[test]
fn every_invalid_case_prints_its_expected_report() {
    let dirs = case_dirs();
    assert!(dirs.len() >= 40, "only {} cases found", dirs.len());
    let failures = dirs.iter().flat_map(|d| check_case(d)).collect();
    assert_no_failures(failures);
}

/// Each case stands for its own rule: no two cases print the same report.
#[test]
fn every_case_has_its_own_rule() {
    let mut seen = BTreeSet::new();
    for dir in case_dirs() {
        let expected = read_opt(&dir.join("expected.txt")).unwrap_or_default();
        let stderr = read_opt(&dir.join("expected-stderr.txt")).unwrap_or_default();
        assert!(
            seen.insert(expected.clone() + &stderr),
            "{} repeats another case's report",
            dir.display()
        );
    }
}

/// An inline credential in plugin config names the key and never
/// prints the value, in validate and in render.
#[test]
fn an_inline_secret_in_plugin_config_is_named_not_printed() {
    let dir = fixtures().join("invalid/secret-inline-plugin-config");
    assert_no_failures(check_case(&dir));
    let out = run_case(&dir);
    assert_eq!(out.code, 5);
    assert!(out.stdout.contains("plugins.catalog.config.client_secret"));
    assert!(!out.stdout.contains("s3cr3t-value") && !out.stderr.contains("s3cr3t-value"));
}

/// A missing floe.yaml is "file not found" (exit 3), not a
/// validation failure.
#[test]
fn a_missing_floe_yaml_exits_3() {
    let out = run_case(&fixtures().join("invalid/missing-floe-yaml"));
    assert_eq!(out.code, 3, "stderr: {}", out.stderr);
    assert!(out.stderr.starts_with("Error: floe.yaml not found"));
}

/// `-o json` carries the same diagnostic: file, path, line, message, hint.
#[test]
fn json_report_has_file_path_line_and_hint() {
    let case = fixtures().join("invalid/unknown-field-settings");
    let tmp = TempDir::new("json-report");
    copy_files(&fixtures().join("base"), &tmp.0, &[]);
    copy_files(&case, &tmp.0, &CONTROL_FILES);
    let out = Command::new(FLOE)
        .args(["validate", "--env", "dev", "-o", "json"])
        .current_dir(&tmp.0)
        .env_remove("FLOE_ENV")
        .output()
        .expect("run floe");
    assert_eq!(out.status.code(), Some(5));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(report["valid"], serde_json::json!(false));
    assert_eq!(report["error_count"], serde_json::json!(1));
    let d = &report["diagnostics"][0];
    assert_eq!(d["severity"], "error");
    assert_eq!(d["file"], "floe-deploy.yaml");
    assert_eq!(d["path"], "workloads.code-location.replica");
    assert_eq!(d["line"], 5);
    assert_eq!(d["message"], "unknown field `replica`");
    assert!(d["hint"]
        .as_str()
        .is_some_and(|h| h.starts_with("did you mean `replicas`?")));
}

/// What `validate` refuses, `render` refuses too: a `dependsOn` cycle
/// renders nothing and exits 5, as `graph` and `plan` do.
#[test]
fn render_refuses_a_dependency_cycle_like_validate() {
    let tmp = TempDir::new("render-cycle");
    copy_files(&fixtures().join("base"), &tmp.0, &[]);
    copy_files(
        &fixtures().join("invalid/depends-on-cycle"),
        &tmp.0,
        &CONTROL_FILES,
    );
    let out = Command::new(FLOE)
        .args(["render", "--env", "dev"])
        .current_dir(&tmp.0)
        .env_remove("FLOE_ENV")
        .output()
        .expect("run floe");
    assert_eq!(out.status.code(), Some(5));
    assert!(out.stdout.is_empty(), "nothing is rendered");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("dependency cycle"), "{stderr}");
}

/// A ConfigMap larger than the API server accepts is refused by validate
/// (exit 5, naming the file, the field and the size), not at apply time.
#[test]
fn a_config_file_too_large_for_a_config_map_is_invalid() {
    let tmp = TempDir::new("config-size");
    copy_files(&fixtures().join("base"), &tmp.0, &[]);
    let big = "x".repeat(1_300_000);
    let settings = format!(
        "image: registry.example.com/acme/shop:1.0.0\nworkloads:\n  code-location:\n    resources: {{preset: small}}\n    configFiles:\n      data.csv: \"{big}\"\n"
    );
    fs::write(tmp.0.join("floe-deploy.yaml"), settings).unwrap();
    let out = Command::new(FLOE)
        .args(["validate", "--env", "dev"])
        .current_dir(&tmp.0)
        .env_remove("FLOE_ENV")
        .output()
        .expect("run floe");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(5), "{stdout}");
    assert!(
        stdout.contains("floe-deploy.yaml:6: workloads.code-location.configFiles[\"data.csv\"]: the workload's ConfigMap would hold 1300008 bytes"),
        "{stdout}"
    );
    assert!(stdout.len() < 2_000, "the value is not echoed");
}
