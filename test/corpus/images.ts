import JPEG_DEC from "@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm";
import JPEG_ENC from "@jsquash/jpeg/codec/enc/mozjpeg_enc.wasm";
import decodeJpeg, { init as initJpegDecode } from "@jsquash/jpeg/decode";
import encodeJpeg, { init as initJpegEncode } from "@jsquash/jpeg/encode";
import PNG_ENC from "@jsquash/png/codec/pkg/squoosh_png_bg.wasm?module";
import encodePng, { init as initPngEncode } from "@jsquash/png/encode";
import WEBP_ENC from "@jsquash/webp/codec/enc/webp_enc.wasm";
import encodeWebp, { init as initWebpEncode } from "@jsquash/webp/encode";
import { zlibSync } from "fflate";
import type { Raster } from "../../src/images/codecs";

/**
 * Test pictures made on the spot, so the suite ships no binaries: a face-like pattern with
 * detail (so it has a quality score worth measuring) whose content depends on `seed`. The
 * background's broad waves differ from seed to seed, so two seeds are two pictures to a
 * perceptual hash as well, not one picture in two tints.
 */
export function picture(width: number, height: number, seed = 1): Raster {
  const data = new Uint8ClampedArray(width * height * 4);
  const cx = width / 2;
  const cy = height / 2.2;
  const r = Math.min(width, height) / 3;
  // Broad blocks of light and shade, laid out by the seed: what a perceptual hash sees.
  const blocks = Array.from({ length: 12 * 10 }, (_, i) => {
    let t = (seed * 0x9e3779b1 + i * 0x85ebca6b) >>> 0;
    t = Math.imul(t ^ (t >>> 15), 0x2c1b3c6d) >>> 0;
    t = Math.imul(t ^ (t >>> 12), 0x297a2d39) >>> 0;
    return (((t ^ (t >>> 15)) >>> 0) % 121) - 60;
  });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      const inFace = (x - cx) ** 2 / (r * 0.8) ** 2 + (y - cy) ** 2 / r ** 2 < 1;
      const stripe = ((x >> 4) + (y >> 4) + seed) % 2 === 0 ? 30 : 0;
      const shade = blocks[Math.floor((y * 10) / height) * 12 + Math.floor((x * 12) / width)] ?? 0;
      data[o] = inFace ? 210 + shade / 3 : (x * 255) / width / 2 + 64 + shade;
      data[o + 1] = inFace ? 170 + stripe / 3 + shade / 3 : (y * 255) / height / 2 + 64 + shade;
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
  options: { progressive?: boolean; quality?: number; chroma?: "4:2:0" | "4:4:4" } = {},
): Promise<Uint8Array> {
  await init();
  const progressive = options.progressive ?? false;
  const buffer = await encodeJpeg(image as Parameters<typeof encodePng>[0], {
    quality: options.quality ?? 85,
    progressive,
    baseline: !progressive,
    // Without `chroma`, mozjpeg picks the subsampling itself (4:4:4 from quality 90 on).
    ...(options.chroma ? { auto_subsample: false, chroma_subsample: options.chroma === "4:4:4" ? 1 : 2 } : {}),
  });
  return new Uint8Array(buffer);
}

/** A full-size decode by another decoder than the Worker's (jSquash's mozjpeg), as a reference. */
export async function decodeJpegReference(bytes: Uint8Array): Promise<Raster> {
  await initJpegDecode(JPEG_DEC);
  return (await decodeJpeg(bytes.slice().buffer, { preserveOrientation: true })) as Raster;
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

/** The picture cut out: opaque inside an ellipse, a soft edge, transparent in the corners. */
export function cutOut(image: Raster): Raster {
  const data = new Uint8ClampedArray(image.data);
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const r = Math.hypot((x / image.width - 0.5) * 2, (y / image.height - 0.5) * 2);
      data[(y * image.width + x) * 4 + 3] = (1.15 - r) * 1024;
    }
  }
  return { data, width: image.width, height: image.height };
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
  const chunks = [pngChunk("IHDR", ihdr)];
  if (palette) chunks.push(pngChunk("PLTE", new Uint8Array(palette)));
  chunks.push(pngChunk("IDAT", zlibSync(raw)), pngChunk("IEND", new Uint8Array()));
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

/** A PNG chunk: length, type, data and CRC. */
export function pngChunk(type: string, data: Uint8Array): Uint8Array {
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

/** Inserts an EXIF APP1 segment carrying `orientation` right after SOI. */
export function withExifOrientation(jpegBytes: Uint8Array, orientation: number): Uint8Array {
  const tiff = [
    0x4d,
    0x4d,
    0x00,
    0x2a,
    0,
    0,
    0,
    8,
    0,
    1,
    0x01,
    0x12,
    0,
    3,
    0,
    0,
    0,
    1,
    0,
    orientation,
    0,
    0,
    0,
    0,
    0,
    0,
  ];
  const payload = [...new TextEncoder().encode("Exif\0\0"), ...tiff];
  const length = payload.length + 2;
  const app1 = new Uint8Array([0xff, 0xe1, length >> 8, length & 255, ...payload]);
  return concat([jpegBytes.subarray(0, 2), app1, jpegBytes.subarray(2)]);
}

export async function grayscaleJpeg(image: Raster): Promise<Uint8Array> {
  await init();
  return new Uint8Array(
    await encodeJpeg(image as Parameters<typeof encodeJpeg>[0], {
      quality: 85,
      color_space: 1,
      baseline: true,
      progressive: false,
    }),
  );
}

/**
 * A baseline CMYK JPEG as Adobe writes it (APP14, inverted values), which the codec library
 * cannot produce: every 8×8 block is flat, so each is one DC coefficient and an end-of-block.
 */
export function cmykJpeg(width: number, height: number, cmyk: [number, number, number, number]): Uint8Array {
  const bits: number[] = [];
  const put = (value: number, length: number) => {
    for (let i = length - 1; i >= 0; i--) bits.push((value >> i) & 1);
  };
  // Standard luminance DC table (ITU T.81 K.3) and an AC table holding only end-of-block.
  const dcCounts = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
  const dcCodes: Array<[number, number]> = [];
  let code = 0;
  let symbol = 0;
  for (let length = 1; length <= 16; length++) {
    for (let i = 0; i < (dcCounts[length - 1] ?? 0); i++) dcCodes[symbol++] = [code++, length];
    code <<= 1;
  }
  const blocksW = Math.ceil(width / 8);
  const blocksH = Math.ceil(height / 8);
  const levels = cmyk.map((v) => (255 - v - 128) * 8);
  const preds = [0, 0, 0, 0];
  for (let b = 0; b < blocksW * blocksH; b++) {
    for (let c = 0; c < 4; c++) {
      const diff = (levels[c] ?? 0) - (preds[c] ?? 0);
      preds[c] = levels[c] ?? 0;
      const size = diff === 0 ? 0 : Math.floor(Math.log2(Math.abs(diff))) + 1;
      const [dcCode, dcLength] = dcCodes[size] ?? [0, 0];
      put(dcCode, dcLength);
      if (size > 0) put(diff > 0 ? diff : diff + (1 << size) - 1, size);
      put(0, 1); // EOB
    }
  }
  while (bits.length % 8) bits.push(1);
  const scan: number[] = [];
  for (let i = 0; i < bits.length; i += 8) {
    const byte = bits.slice(i, i + 8).reduce((a, bit) => (a << 1) | bit, 0);
    scan.push(byte);
    if (byte === 0xff) scan.push(0);
  }
  const segment = (marker: number, body: number[]) => [
    0xff,
    marker,
    (body.length + 2) >> 8,
    (body.length + 2) & 255,
    ...body,
  ];
  return new Uint8Array([
    0xff,
    0xd8,
    ...segment(0xee, [...new TextEncoder().encode("Adobe"), 0, 100, 0, 0, 0, 0, 0]),
    ...segment(0xdb, [0, ...new Array(64).fill(1)]),
    ...segment(0xc0, [
      8,
      height >> 8,
      height & 255,
      width >> 8,
      width & 255,
      4,
      1,
      0x11,
      0,
      2,
      0x11,
      0,
      3,
      0x11,
      0,
      4,
      0x11,
      0,
    ]),
    ...segment(0xc4, [0x00, ...dcCounts, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
    ...segment(0xc4, [0x10, 1, ...new Array(15).fill(0), 0]),
    ...segment(0xda, [4, 1, 0, 2, 0, 3, 0, 4, 0, 0, 63, 0]),
    ...scan,
    0xff,
    0xd9,
  ]);
}

/** A PNG whose header claims `width`×`height` but carries almost no data. */
export function pngHeaderOnly(width: number, height: number): Uint8Array {
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return concat([
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", ihdr),
    pngChunk("IDAT", zlibSync(new Uint8Array(16))),
    pngChunk("IEND", new Uint8Array()),
  ]);
}

/** Averages whole blocks of pixels so the long side is at most `maxSide` (what a phone or Telegram does to a photo, roughly). */
export function boxDownscale(image: Raster, maxSide: number): Raster {
  const factor = Math.ceil(Math.max(image.width, image.height) / maxSide);
  if (factor <= 1) return image;
  const width = Math.floor(image.width / factor);
  const height = Math.floor(image.height / factor);
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const sums = [0, 0, 0];
      for (let dy = 0; dy < factor; dy++) {
        for (let dx = 0; dx < factor; dx++) {
          const i = ((y * factor + dy) * image.width + x * factor + dx) * 4;
          for (let c = 0; c < 3; c++) sums[c] = (sums[c] ?? 0) + (image.data[i + c] ?? 0);
        }
      }
      const o = (y * width + x) * 4;
      for (let c = 0; c < 3; c++) data[o + c] = (sums[c] ?? 0) / (factor * factor);
      data[o + 3] = 255;
    }
  }
  return { data, width, height };
}
