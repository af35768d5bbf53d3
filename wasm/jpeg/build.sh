#!/usr/bin/env bash
# Builds src/images/wasm/jpeg-codec.{js,wasm}: libjpeg-turbo (Debian's source, pinned in wasm/toolchain.sh)
# with our glue wasm/jpeg/codec.c, by emscripten. The outputs are committed, so that CI never needs emscripten.
#   apt-get install emscripten cmake   # plus a deb-src line for apt-get source
#   bash wasm/jpeg/build.sh            # WASM_CACHE=<folder> reuses unpacked sources;
#                                      # REBUILD=0 relinks codec.c against an already built libjpeg.a
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../toolchain.sh"
require_emscripten

HERE="$WASM_DIR/jpeg"
OUT="$WASM_DIR/../src/images/wasm"
UPSTREAM="$(fetch_source libjpeg-turbo "$LIBJPEG_TURBO_VERSION")"
# Our changes to libjpeg-turbo. compact-coef.patch: a progressive file whose coefficients would
# take more than half of max_memory_to_use keeps a nonzero mask per block and only the coefficients the scaled IDCT reads,
# for the blocks of the region asked for (jpeg_compact_region), instead of 128 bytes for every block.
# huff-loop.patch: the Huffman encoder loops over a block's 63 AC coefficients instead of unrolling them,
# so encode_mcu_huff is small enough for V8 to optimise quickly in a cold isolate; same output bytes.
SOURCE="$WASM_DIR/.cache/src-jpeg"
rm -rf "$SOURCE"
cp -r "$UPSTREAM" "$SOURCE"
patch -s -d "$SOURCE" -p1 < "$HERE/compact-coef.patch"
patch -s -d "$SOURCE" -p1 < "$HERE/huff-loop.patch"
# The build folder stays in this checkout even when WASM_CACHE points at shared sources.
BUILD="$WASM_DIR/.cache/build-jpeg"
# emcc runs acorn under node; Debian ships it as node-acorn in /usr/share/nodejs.
export NODE_PATH="${NODE_PATH:-/usr/share/nodejs}"
CFLAGS="-O3 -msimd128 -mbulk-memory"

# libjpeg-turbo has no WASM SIMD code; the C paths, compiled with -msimd128, let clang vectorise what it can.
# -mbulk-memory: memcpy and memset become memory.copy and memory.fill, not a call out to JS (copyWithin) per copy.
# size_t is 4 bytes on wasm32 (cmake's probe of it fails under emcc).
# No arithmetic coding (photos do not use it, and it is more code facing user bytes), no TurboJPEG API.
if [ ! -f "$BUILD/libjpeg.a" ] || [ "${REBUILD:-1}" = 1 ]; then
emcmake cmake -S "$SOURCE" -B "$BUILD" -G "Unix Makefiles" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS="$CFLAGS" \
  -DENABLE_SHARED=0 -DENABLE_STATIC=1 -DWITH_SIMD=0 -DWITH_TURBOJPEG=0 \
  -DWITH_ARITH_DEC=0 -DWITH_ARITH_ENC=0 -DWITH_JAVA=0 \
  -DHAVE_SIZE_T=1 -DSIZE_T=4 -DHAVE_UNSIGNED_LONG=1 -DUNSIGNED_LONG=4 >/dev/null
emmake make -C "$BUILD" -j2 jpeg-static >/dev/null
fi

mkdir -p "$OUT"
# Memory starts at 1 MiB, grows as a decode needs, and stops at 88 MiB
# (malloc then fails, and libjpeg's out-of-memory error becomes a "too complex" refusal).
# No eval (workerd forbids it), no filesystem, ES module factory taking the compiled module from the caller.
# wasm-opt inlines only small functions into their one caller (by default it inlines every such function):
# V8 optimises a WASM function only for its later calls, so a hot loop folded into a long call that runs
# once (resize_row into resize_rgba) stays in the baseline tier for the whole of a cold photo.
emcc $CFLAGS "$HERE/codec.c" -I"$SOURCE" -I"$BUILD" "$BUILD/libjpeg.a" -o "$OUT/jpeg-codec.js" \
  -s MODULARIZE=1 -s EXPORT_ES6=1 -s EXPORT_NAME=createJpegCodec -s ENVIRONMENT=web \
  -s FILESYSTEM=0 -s DYNAMIC_EXECUTION=0 -s ALLOW_MEMORY_GROWTH=1 \
  -s INITIAL_MEMORY=1MB -s MAXIMUM_MEMORY=88MB -s TOTAL_STACK=256KB -s MALLOC=emmalloc \
  -s EXPORTED_FUNCTIONS=_decode_begin,_decode_rows,_decode_cancel,_resize_begin,_resize_rows,_resize_cancel,_encode_begin,_encode_rows,_encode_cancel,_photo_stats,_codec_message,_codec_result,_codec_result_size,_codec_width,_codec_height,_codec_alloc,_codec_free \
  -s EXPORTED_RUNTIME_METHODS=[] -s SUPPORT_LONGJMP=1 -s ASSERTIONS=0 \
  -s BINARYEN_EXTRA_PASSES=--one-caller-inline-max-function-size=20
ls -l "$OUT"/jpeg-codec.*
