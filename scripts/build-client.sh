#!/usr/bin/env bash
# Builds the Yew client into dist/ with Trunk, offline, using the pinned local tools.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS_DIR="${TONGPIN_TOOLS:-$HOME/.cache/tongpin-tools}"
export PATH="$TOOLS_DIR/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export TRUNK_OFFLINE=true
trunk build --release --offline

# Each file's brotli and gzip forms beside it, for browsers on slow links (the relay sends the
# smallest form a browser accepts; relay/src/client_files.rs). Trunk replaces dist/ on every
# build, so these are always of the files beside them.
find dist -type f \( -name '*.wasm' -o -name '*.js' -o -name '*.css' -o -name '*.html' \
  -o -name '*.svg' -o -name '*.json' -o -name '*.ttf' -o -name '*.otf' \) -print0 |
  while IFS= read -r -d '' file; do
    brotli --force --keep --best "$file"
    gzip --force --keep --best --no-name "$file"
  done
echo "compressed: $(du -cb dist/*.wasm dist/*.js dist/*.css | tail -1 | cut -f1) bytes as built," \
  "$(du -cb dist/*.wasm.br dist/*.js.br dist/*.css.br | tail -1 | cut -f1) as brotli"
