#!/usr/bin/env bash
# The second README command: set up what is missing (including Chromium), then run every check
# and test: formatting, clippy, the shared crate for wasm32, unit/property/integration tests,
# the client's own tests, and the browser tests against the release-built client.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --with-chromium

echo "== formatting and lints"
cargo fmt --all -- --check
cargo clippy --locked --workspace --all-targets --features shared/testkit -- -D warnings
cargo clippy --locked -p client --target wasm32-unknown-unknown -- -D warnings

echo "== one version of each WebSocket crate (cargo tree -i fails when two are compiled)"
cargo tree --locked --workspace -e normal,dev -i tungstenite >/dev/null

echo "== the shared crate builds for wasm32"
cargo check --locked -p shared --target wasm32-unknown-unknown

echo "== the client (release, as served)"
./scripts/build-client.sh

echo "== tests"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
log="$(mktemp)"
cargo test --locked --workspace --features shared/testkit 2>&1 | tee "$log"
# One closing line for the whole run (cargo prints one per test binary, the last often a doc-test with 0).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($i == "passed;") p += $(i-1); if ($i == "failed;") f += $(i-1) } }
     END { printf "all tests: %d passed, %d failed\n", p, f }' "$log"
rm -f "$log"
