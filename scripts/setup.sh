#!/usr/bin/env bash
# Installs what building and testing need, skipping whatever is already there.
# Safe to run again. Never downloads anything at build time afterwards: Trunk runs offline.
set -euo pipefail
cd "$(dirname "$0")/.."

TRUNK_VERSION="0.21.14"
BINARYEN_VERSION="132.0.0"
TOOLS_DIR="${TONGPIN_TOOLS:-$HOME/.cache/tongpin-tools}"
WANT_CHROMIUM="${1:-}"   # pass --with-chromium to also install the browser for tests

log() { printf '[setup] %s\n' "$*"; }

# wasm-bindgen-cli must equal the wasm-bindgen version in Cargo.lock.
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/{getline; gsub(/"/,"",$3); print $3; exit}' Cargo.lock
}

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! trunk --version 2>/dev/null | grep -q "trunk ${TRUNK_VERSION}"; then
  log "installing trunk ${TRUNK_VERSION} (takes several minutes once)"
  cargo install trunk --version "=${TRUNK_VERSION}" --locked
fi

WB_VERSION="$(wasm_bindgen_version)"
if [ -z "$WB_VERSION" ]; then
  log "Cargo.lock has no wasm-bindgen entry; run cargo generate-lockfile"; exit 1
fi
if ! wasm-bindgen --version 2>/dev/null | grep -q "wasm-bindgen ${WB_VERSION}"; then
  log "installing wasm-bindgen-cli ${WB_VERSION} (takes several minutes once)"
  # no --locked: its lockfile pins a webpki-roots release the registry does not serve
  cargo install wasm-bindgen-cli --version "=${WB_VERSION}"
fi

if [ ! -x "$TOOLS_DIR/node_modules/.bin/wasm-opt" ] || \
   ! "$TOOLS_DIR/node_modules/.bin/wasm-opt" --version 2>/dev/null | grep -q "version ${BINARYEN_VERSION%%.*}"; then
  log "installing binaryen ${BINARYEN_VERSION} (wasm-opt) from npm into $TOOLS_DIR"
  mkdir -p "$TOOLS_DIR"
  (cd "$TOOLS_DIR" && npm install --no-audit --no-fund --silent "binaryen@${BINARYEN_VERSION}")
fi

# brotli compresses the built client (scripts/build-client.sh); gzip comes with Debian.
if ! command -v brotli >/dev/null || ! command -v gzip >/dev/null; then
  log "installing brotli and gzip from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq brotli gzip >/dev/null
fi

if [ "$WANT_CHROMIUM" = "--with-chromium" ]; then
  # A CJK font so the Chinese interface renders in headless screenshots.
  if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ] || [ ! -d /usr/share/fonts/truetype/wqy ]; then
    log "installing chromium, chromium-driver and a CJK font from Debian"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-wqy-microhei >/dev/null
  fi
  for tool in ip tc; do
    if ! command -v "$tool" >/dev/null; then
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2 >/dev/null
    fi
  done
  # aiortc: a WebRTC stack other than the relay's, for the WHIP/WHEP test (pinned, from PyPI).
  AIORTC_VERSION=1.14.0
  if ! "$TOOLS_DIR/aiortc-venv/bin/python" -c "import aiortc, sys; sys.exit(aiortc.__version__ != '$AIORTC_VERSION')" 2>/dev/null; then
    log "installing aiortc ${AIORTC_VERSION} from PyPI into $TOOLS_DIR/aiortc-venv"
    mkdir -p "$TOOLS_DIR"
    python3 -m venv "$TOOLS_DIR/aiortc-venv"
    "$TOOLS_DIR/aiortc-venv/bin/pip" install -q "aiortc==${AIORTC_VERSION}"
  fi
fi

log "fetching crates"
cargo fetch --locked >/dev/null 2>&1 || cargo fetch
log "ready"
