import JPEG_ENC from "@jsquash/jpeg/codec/enc/mozjpeg_enc.wasm";
import encodeJpeg, { init as initJpegEncode } from "@jsquash/jpeg/encode";
import PNG_ENC from "@jsquash/png/codec/pkg/squoosh_png_bg.wasm?module";
import encodePng, { init as initPngEncode } from "@jsquash/png/encode";
import WEBP_ENC from "@jsquash/webp/codec/enc/webp_enc.wasm";
import encodeWebp, { init as initWebpEncode } from "@jsquash/webp/encode";
import { zlibSync } from "fflate";
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
  return new Uint8Array(
    await encodeWebp(image as Parameters<typeof encodePng>[0], { quality: 80, lossless: lossless ? 1 : 0 }),
  );
}

/** A PNG written by hand, for the variants the codec library cannot write (16-bit, grey, palette). */
export function rawPng(
  width: number,
  height: number,
  options: { colorType: 0 | 2 | 3 | 4 | 6; depth: 8 | 16; pixel: (x: number, y: number) => number[] },
  palette?: number[],
): Uint8Array {
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[options.colorType];
  const bytesPerSample = options.depth / 8;
  const rowBytes = width * channels * bytesPerSample;
  const raw = new Uint8Array((rowBytes + 1) * height);
  let previous = new Uint8Array(rowBytes);
  for (let y = 0; y < height; y++) {
    raw[y * (rowBytes + 1)] = y % 5; // exercise every filter type on the way back
    const line = new Uint8Array(rowBytes);
    for (let x = 0; x < width; x++) {
      options.pixel(x, y).forEach((value, c) => {
        const at = (x * channels + c) * bytesPerSample;
        if (bytesPerSample === 2) {
          line[at] = value >> 8;
          line[at + 1] = value & 255;
        } else line[at] = value;
      });
    }
    const bpp = Math.max(1, channels * bytesPerSample);
    raw.set(filterRow(line, previous, bpp, y % 5), y * (rowBytes + 1) + 1);
    previous = line;
  }
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr.set([options.depth, options.colorType, 0, 0, 0], 8);
  const chunks = [chunk("IHDR", ihdr)];
  if (palette) chunks.push(chunk("PLTE", new Uint8Array(palette)));
  chunks.push(chunk("IDAT", zlibSync(raw)), chunk("IEND", new Uint8Array()));
  return concat([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ...chunks]);
}

function filterRow(line: Uint8Array, prior: Uint8Array, bpp: number, type: number): Uint8Array {
  const out = new Uint8Array(line.length);
  for (let i = 0; i < line.length; i++) {
    const left = i >= bpp ? (line[i - bpp] ?? 0) : 0;
    const up = prior[i] ?? 0;
    const upLeft = i >= bpp ? (prior[i - bpp] ?? 0) : 0;
    const x = line[i] ?? 0;
    const p = left + up - upLeft;
    const paeth =
      Math.abs(p - left) <= Math.abs(p - up) && Math.abs(p - left) <= Math.abs(p - upLeft)
        ? left
        : Math.abs(p - up) <= Math.abs(p - upLeft)
          ? up
          : upLeft;
    const predictor = [0, left, up, (left + up) >> 1, paeth][type] ?? 0;
    out[i] = (x - predictor) & 255;
  }
  return out;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function crc32(bytes: Uint8Array): number {
  let crc = -1;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ -1) >>> 0;
}
