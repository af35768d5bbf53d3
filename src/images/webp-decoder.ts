import WEBP_DECODER from "../../wasm/webp/webp-decoder.wasm";
import type { Raster } from "../domain/ports";
import { DecoderError, expectGeometry, type Geometry } from "./decode-limits";
import { checkWebpStructure } from "./webp-structure";

/** A rectangle in the stored picture's pixels. */
export interface WebpRegion {
  x: number;
  y: number;
  width: number;
  height: number;
}

interface Exports {
  memory: WebAssembly.Memory;
  _initialize: () => void;
  malloc: (size: number) => number;
  webp_features: (data: number, size: number, out: number) => number;
  webp_decode: (
    data: number,
    size: number,
    cropLeft: number,
    cropTop: number,
    cropWidth: number,
    cropHeight: number,
    outWidth: number,
    outHeight: number,
  ) => number;
  webp_output: () => number;
}

/** libwebp's VP8StatusCode, for the refusal's message. */
const STATUS = [
  "ok",
  "out of memory",
  "invalid parameter",
  "bitstream error",
  "unsupported feature",
  "suspended",
  "user abort",
  "not enough data",
];

/**
 * Decodes a still WEBP with our own libwebp build (wasm/webp/build.sh), straight to `size`: the whole
 * picture, or `region` of it, through libwebp's scaler, so a 4096×4096 file never becomes 64 MB of
 * RGBA here. The RIFF structure is checked first (canvas against bitstream, no animation).
 *
 * A fresh instance each time: a WASM memory never shrinks, and a lossless decode grows it to hold the
 * whole ARGB picture, which the isolate should not keep after the photo.
 */
export async function decodeWebp(
  bytes: Uint8Array,
  expected: Geometry,
  size: Geometry,
  region?: WebpRegion,
): Promise<Raster> {
  checkWebpStructure(bytes, expected);
  try {
    return await decodeChecked(bytes, expected, size, region);
  } catch (error) {
    // A trap inside libwebp (an access past its memory) ends that instance only; the file is refused.
    if (error instanceof WebAssembly.RuntimeError) throw new DecoderError(`WEBP decoder: ${error.message}`);
    throw error;
  }
}

async function decodeChecked(bytes: Uint8Array, expected: Geometry, size: Geometry, region?: WebpRegion) {
  const { exports } = await WebAssembly.instantiate(WEBP_DECODER, {
    env: { emscripten_notify_memory_growth: () => {} },
  });
  const wasm = exports as unknown as Exports;
  wasm._initialize();
  const input = wasm.malloc(bytes.length);
  const features = wasm.malloc(16);
  if (input === 0 || features === 0) throw new DecoderError("WEBP decoder: no memory for the file");
  new Uint8Array(wasm.memory.buffer, input, bytes.length).set(bytes);
  check(wasm.webp_features(input, bytes.length, features), "reading the features");
  const [width = 0, height = 0] = new Int32Array(wasm.memory.buffer, features, 4);
  expectGeometry({ width, height }, expected, "the WEBP bitstream");
  // libwebp starts a crop on even coordinates (the chroma grid); so does the region we ask for.
  const crop = region ? evenRegion(region, expected) : undefined;
  check(
    wasm.webp_decode(
      input,
      bytes.length,
      crop?.x ?? 0,
      crop?.y ?? 0,
      crop?.width ?? 0,
      crop?.height ?? 0,
      size.width,
      size.height,
    ),
    "decoding",
  );
  const pixels = size.width * size.height * 4;
  const data = new Uint8ClampedArray(pixels);
  data.set(new Uint8Array(wasm.memory.buffer, wasm.webp_output(), pixels));
  return { data, width: size.width, height: size.height } satisfies Raster;
}

function check(status: number, step: string): void {
  if (status !== 0) throw new DecoderError(`WEBP decoder, ${step}: ${STATUS[status] ?? `status ${status}`}`);
}

function evenRegion(region: WebpRegion, within: Geometry): WebpRegion {
  const x = Math.max(0, Math.round(region.x)) & ~1;
  const y = Math.max(0, Math.round(region.y)) & ~1;
  return {
    x,
    y,
    width: Math.max(1, Math.min(within.width - x, Math.round(region.width))),
    height: Math.max(1, Math.min(within.height - y, Math.round(region.height))),
  };
}
