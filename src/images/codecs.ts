import JPEG_DEC from "@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm";
import JPEG_ENC from "@jsquash/jpeg/codec/enc/mozjpeg_enc.wasm";
import decodeJpeg, { init as initJpegDecode } from "@jsquash/jpeg/decode";
import encodeJpeg, { init as initJpegEncode } from "@jsquash/jpeg/encode";
import PNG_DEC from "@jsquash/png/codec/pkg/squoosh_png_bg.wasm?module";
import decodePng, { init as initPngDecode } from "@jsquash/png/decode";
import resize, { initResize } from "@jsquash/resize";
import RESIZE from "@jsquash/resize/lib/resize/pkg/squoosh_resize_bg.wasm?module";

import type { Raster } from "../domain/ports";

export type { Raster };

// jSquash builds ImageData objects; workerd has no ImageData global.
if (!("ImageData" in globalThis)) {
  (globalThis as Record<string, unknown>).ImageData = class {
    constructor(
      readonly data: Uint8ClampedArray,
      readonly width: number,
      readonly height: number,
    ) {}
  };
}

let pngReady: Promise<unknown> | undefined;
let resizeReady: Promise<unknown> | undefined;
let encoderReady: Promise<unknown> | undefined;

/**
 * Decodes with a fresh WASM instance each time: an emscripten heap never shrinks, so reusing one
 * would keep the largest decode's memory for the isolate's whole life.
 */
export async function decodeWithJsquash(bytes: ArrayBuffer, format: "JPEG" | "PNG"): Promise<Raster> {
  if (format === "JPEG") {
    await initJpegDecode(JPEG_DEC);
    return (await decodeJpeg(bytes, { preserveOrientation: true })) as Raster;
  }
  pngReady ??= initPngDecode(PNG_DEC);
  await pngReady;
  return (await decodePng(bytes)) as Raster;
}

/** Resizes to exactly width × height (callers keep the aspect ratio). */
export async function resizeRaster(image: Raster, width: number, height: number): Promise<Raster> {
  if (image.width === width && image.height === height) return image;
  resizeReady ??= initResize(RESIZE);
  await resizeReady;
  return (await resize(image as Parameters<typeof resize>[0], {
    width,
    height,
    // Lanczos in sRGB, as sharp/libvips resizes by default: the crops are measured against it.
    method: "lanczos3",
    fitMethod: "stretch",
    premultiply: false,
    linearRGB: false,
  })) as Raster;
}

export async function encodeJpegRaster(image: Raster, quality = 85): Promise<ArrayBuffer> {
  encoderReady ??= initJpegEncode(JPEG_ENC);
  await encoderReady;
  return encodeJpeg(image as Parameters<typeof encodeJpeg>[0], { quality, progressive: false, baseline: true });
}
