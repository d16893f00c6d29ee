#!/usr/bin/env bash
# The first README command: set up what is missing, build the client and the relay (release),
# then start the relay on 127.0.0.1:8080 with SQLite under ./data and the demo lesson.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build-client.sh
cargo build --locked --profile release-native -p relay
exec ./target/release-native/relay --listen "${TONGPIN_LISTEN:-127.0.0.1:8080}" --data data --dist dist demo
