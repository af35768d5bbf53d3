# Sourced by wasm/*/build.sh. Pins the toolchain and the C sources the codecs are built from,
# so that a rebuild on another machine gives the same .wasm files.
#
# Toolchain: Debian bookworm's emscripten package (apt-get install emscripten).
# Sources: Debian bookworm's source packages, fetched with apt-get source (needs a deb-src line).
set -euo pipefail

EMSCRIPTEN_VERSION="3.1.6"
LIBJPEG_TURBO_VERSION="1:2.1.5-2"
LIBWEBP_VERSION="1.2.4-0.2+deb12u1"

WASM_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WASM_CACHE="${WASM_CACHE:-$WASM_DIR/.cache}"

require_emscripten() {
  if ! command -v emcc >/dev/null; then
    echo "emcc not found: apt-get install emscripten (Debian bookworm gives $EMSCRIPTEN_VERSION)" >&2
    exit 1
  fi
  local found
  found="$(emcc --version | sed -n 1p | sed -E 's/.* ([0-9]+\.[0-9]+\.[0-9]+).*/\1/')"
  if [ "$found" != "$EMSCRIPTEN_VERSION" ]; then
    echo "emcc $found found, the codecs are pinned to $EMSCRIPTEN_VERSION" >&2
    exit 1
  fi
}

# fetch_source <source package> <version>: unpacks the Debian source into $WASM_CACHE and prints its folder.
fetch_source() {
  local package="$1" version="$2"
  mkdir -p "$WASM_CACHE"
  local upstream="${version#*:}"
  upstream="${upstream%-*}"
  local folder="$WASM_CACHE/$package-$upstream"
  if [ ! -d "$folder" ]; then
    (cd "$WASM_CACHE" && apt-get source -q "$package=$version" >&2) || {
      echo "apt-get source $package=$version failed: add deb-src to /etc/apt/sources.list.d/debian.sources and run apt-get update" >&2
      return 1
    }
  fi
  echo "$folder"
}
