#!/usr/bin/env bash
# Builds the Yew client into dist/ with Trunk, offline, using the pinned local tools.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS_DIR="${TONGPIN_TOOLS:-$HOME/.cache/tongpin-tools}"
export PATH="$TOOLS_DIR/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export TRUNK_OFFLINE=true
trunk build --release --offline
