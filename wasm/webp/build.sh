#!/usr/bin/env bash
# Builds wasm/webp/webp-decoder.wasm: libwebp's decoder (Debian's source, pinned in wasm/toolchain.sh)
# and our glue (webp-glue.c), with no JS glue of emscripten's: src/images/webp-decoder.ts instantiates
# it. The output is committed, so CI and deploys never need emscripten. Run: bash wasm/webp/build.sh
source "$(dirname "${BASH_SOURCE[0]}")/../toolchain.sh"
require_emscripten

HERE="$WASM_DIR/webp"
UPSTREAM="$(fetch_source libwebp "$LIBWEBP_VERSION")"

# Our one change to libwebp (vp8l-window.patch): a lossless picture decoded at once keeps a sliding
# window of rows, every pixel a backward reference can reach, instead of the whole ARGB picture.
SRC="$(mktemp -d)"
trap 'rm -rf "$SRC"' EXIT
cp -r "$UPSTREAM/src" "$SRC/"
patch -s -d "$SRC" -p1 < "$HERE/vp8l-window.patch"

# The decoder's sources only (libwebpdecoder in libwebp's own makefiles), with the SSE2 paths that
# emscripten maps onto WASM SIMD; cpu.c reports SSE2 from the compile flags under EMSCRIPTEN.
SOURCES=(
  "$SRC"/src/dec/{alpha,buffer,frame,idec,io,quant,tree,vp8,vp8l,webp}_dec.c
  "$SRC"/src/dsp/{alpha_processing,cpu,dec,dec_clip_tables,filters,lossless,rescaler,upsampling,yuv}.c
  "$SRC"/src/dsp/{alpha_processing,dec,filters,lossless,rescaler,upsampling,yuv}_sse2.c
  "$SRC"/src/utils/{bit_reader,color_cache,filters,huffman,quant_levels_dec,random,rescaler,thread}_utils.c
  "$SRC"/src/utils/utils.c
  "$HERE/webp-glue.c"
)

# Memory: past 96 MiB malloc fails and libwebp answers out of memory, so no file can take more.
emcc -O3 -flto -msimd128 -msse2 -DEMSCRIPTEN -DNDEBUG -DWEBP_USE_THREAD=0 \
  -I"$SRC" -I"$SRC/src" \
  "${SOURCES[@]}" \
  -o "$HERE/webp-decoder.wasm" \
  --no-entry -sSTANDALONE_WASM=1 -sFILESYSTEM=0 \
  -sALLOW_MEMORY_GROWTH=1 -sINITIAL_MEMORY=2MB -sMAXIMUM_MEMORY=96MB -sTOTAL_STACK=256KB \
  -sEXPORTED_FUNCTIONS=_malloc,_free,_webp_features,_webp_decode,_webp_output,_webp_free

ls -l "$HERE/webp-decoder.wasm"
