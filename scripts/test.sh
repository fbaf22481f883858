#!/usr/bin/env bash
# Runs every test: formatting, lints, unit, snapshot and cluster tests.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --check
cargo clippy --all-targets -- -D warnings
cargo test
