import PNG_DEC from "@jsquash/png/codec/pkg/squoosh_png_bg.wasm?module";
import decodePng, { init as initPngDecode } from "@jsquash/png/decode";

import { imageSize } from "image-size";
import type { Raster } from "../domain/ports";
import { JpegCodec } from "./jpeg-codec";

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

/**
 * Decodes with a fresh WASM instance each time: an emscripten heap never shrinks, so reusing one
 * would keep the largest decode's memory for the isolate's whole life.
 */
export async function decodeWithJsquash(bytes: ArrayBuffer, _format: "PNG"): Promise<Raster> {
  pngReady ??= initPngDecode(PNG_DEC);
  await pngReady;
  return (await decodePng(bytes)) as Raster;
}

/** Resizes to exactly width × height (callers keep the aspect ratio): lanczos3 in sRGB, as libvips does. */
export async function resizeRaster(image: Raster, width: number, height: number): Promise<Raster> {
  if (image.width === width && image.height === height) return image;
  return (await JpegCodec.create()).resize(image, width, height);
}

/** A baseline JPEG (libjpeg-turbo, optimised Huffman tables, no trellis). */
export async function encodeJpegRaster(image: Raster, quality = 85): Promise<ArrayBuffer> {
  return (await JpegCodec.create()).encode(image, quality);
}

/** A whole JPEG at full size, by our libjpeg-turbo build, with the geometry its header names. */
export async function decodeJpegRaster(bytes: Uint8Array): Promise<Raster> {
  const { width = 0, height = 0 } = imageSize(bytes);
  return (await JpegCodec.create()).decode(bytes, { width, height }, 8);
}
