import JPEG_ENC from "@jsquash/jpeg/codec/enc/mozjpeg_enc.wasm";
import encodeJpeg, { init as initJpegEncode } from "@jsquash/jpeg/encode";
import PNG_ENC from "@jsquash/png/codec/pkg/squoosh_png_bg.wasm?module";
import encodePng, { init as initPngEncode } from "@jsquash/png/encode";
import WEBP_ENC from "@jsquash/webp/codec/enc/webp_enc.wasm";
import encodeWebp, { init as initWebpEncode } from "@jsquash/webp/encode";
import type { Raster } from "../../src/images/codecs";

/**
 * Test pictures made on the spot, so the suite ships no binaries: a face-like pattern with
 * detail (so it has a quality score worth measuring) whose content depends on `seed`.
 */
export function picture(width: number, height: number, seed = 1): Raster {
  const data = new Uint8ClampedArray(width * height * 4);
  const cx = width / 2;
  const cy = height / 2.2;
  const r = Math.min(width, height) / 3;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      const inFace = (x - cx) ** 2 / (r * 0.8) ** 2 + (y - cy) ** 2 / r ** 2 < 1;
      const stripe = ((x >> 4) + (y >> 4) + seed) % 2 === 0 ? 30 : 0;
      data[o] = inFace ? 224 : (x * 255) / width;
      data[o + 1] = inFace ? 180 + stripe / 3 : (y * 255) / height;
      data[o + 2] = inFace ? 150 : ((seed * 53) % 255) - stripe;
      data[o + 3] = 255;
    }
  }
  return { data, width, height };
}

let ready: Promise<unknown> | undefined;
function init(): Promise<unknown> {
  ready ??= Promise.all([initJpegEncode(JPEG_ENC), initPngEncode(PNG_ENC), initWebpEncode(WEBP_ENC)]);
  return ready;
}

export async function jpeg(
  image: Raster,
  options: { progressive?: boolean; quality?: number } = {},
): Promise<Uint8Array> {
  await init();
  const progressive = options.progressive ?? false;
  const buffer = await encodeJpeg(image as Parameters<typeof encodePng>[0], {
    quality: options.quality ?? 85,
    progressive,
    baseline: !progressive,
  });
  return new Uint8Array(buffer);
}

export async function png(image: Raster): Promise<Uint8Array> {
  await init();
  return new Uint8Array(await encodePng(image as Parameters<typeof encodePng>[0]));
}

export async function webp(image: Raster, lossless = false): Promise<Uint8Array> {
  await init();
  return new Uint8Array(await encodeWebp(image as Parameters<typeof encodePng>[0], { quality: 80, lossless: lossless ? 1 : 0 }));
}
