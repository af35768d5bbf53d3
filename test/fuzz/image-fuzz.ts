// The image fuzz's worker (started by scripts/fuzz-images.ts, in a Node process of its own): mutates
// JPEG, PNG and WEBP seeds with a fixed seed and runs each case through what the photo service runs on
// a file (sniff, header checks, decode, thumbnail and crop). Reports each case to the parent over IPC.

import { ImageRefusal, type PhotoFormat } from "../../src/domain/ports";
import { DecoderError } from "../../src/images/decode-limits";
import { JpegCodec, jpegScaleFor } from "../../src/images/jpeg-codec";
import { decodePngScaled } from "../../src/images/png-streaming";
import { decodeUpright, preparePhoto, readHeader } from "../../src/images/prepare";
import { sniffFormat } from "../../src/images/sniff";
import { decodeWebp } from "../../src/images/webp-decoder";
import { webpClaiming } from "../corpus/hostile";
import { cmykJpeg, cutOut, grayscaleJpeg, jpeg, picture, png, rawPng, webp } from "../corpus/images";
import { allocations, largestWasmMemory, resetAllocations } from "./allocation-guard.ts";

const [, , casesArg = "1200", seedArg = "15"] = process.argv;
const CASES = Number(casesArg);
const MAX_SIDE = 4096;

/** mulberry32: a small PRNG, so every run mutates the same way. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = random(Number(seedArg));
const int = (n: number) => Math.floor(rand() * n);
const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;

const image = picture(160, 120, 3);
const seeds: Array<[string, PhotoFormat, Uint8Array]> = [
  ["baseline JPEG", "JPEG", await jpeg(image)],
  ["progressive JPEG", "JPEG", await jpeg(image, { progressive: true })],
  ["greyscale JPEG", "JPEG", await grayscaleJpeg(image)],
  ["CMYK JPEG", "JPEG", cmykJpeg(96, 64, [10, 60, 90, 5])],
  ["RGBA PNG", "PNG", await png(image)],
  [
    "palette PNG",
    "PNG",
    rawPng(96, 64, { colorType: 3, depth: 8, pixel: (x, y) => [(x + y) % 3] }, [9, 8, 7, 200, 100, 50, 1, 2, 3]),
  ],
  ["16-bit PNG", "PNG", rawPng(64, 48, { colorType: 6, depth: 16, pixel: (x, y) => [x * 999, y * 999, 4000, 60000] })],
  ["lossy WEBP", "WEBP", await webp(image)],
  ["lossless WEBP", "WEBP", await webp(image, true)],
  ["WEBP with alpha", "WEBP", await webp(cutOut(image))],
  // What libwebp does with the geometry the header checks allow, over far too little data.
  ["lossless WEBP claiming 4096×4096", "WEBP", webpClaiming(await webp(image, true), 4096, 4096)],
];

const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff, 0x10, 0x40];
const mutators: Array<[string, (b: Uint8Array) => Uint8Array]> = [
  [
    "flip bits",
    (b) => {
      const out = b.slice();
      for (let i = 0, n = 1 + int(8); i < n; i++) {
        const at = int(out.length);
        out[at] = (out[at] ?? 0) ^ (1 << int(8));
      }
      return out;
    },
  ],
  [
    "interesting bytes",
    (b) => {
      const out = b.slice();
      for (let i = 0, n = 1 + int(4); i < n; i++) out[int(out.length)] = pick(INTERESTING);
      return out;
    },
  ],
  [
    "header field",
    (b) => {
      // Headers live near the start: a 16-bit field there set to a size-like value.
      const out = b.slice();
      const at = int(Math.min(out.length - 1, 400));
      const value = pick([0, 1, 0xffff, 4096, 4095, 8192, 255, 0x8000]);
      out[at] = value >> 8;
      out[at + 1] = value & 255;
      return out;
    },
  ],
  [
    "duplicate a slice",
    (b) => {
      const from = int(b.length);
      const length = 1 + int(Math.min(600, b.length - from));
      const to = int(b.length);
      const out = new Uint8Array(b.length + length);
      out.set(b.subarray(0, to));
      out.set(b.subarray(from, from + length), to);
      out.set(b.subarray(to), to + length);
      return out;
    },
  ],
  [
    "delete a slice",
    (b) => {
      const from = int(b.length);
      const length = 1 + int(Math.min(200, b.length - from));
      const out = new Uint8Array(b.length - length);
      out.set(b.subarray(0, from));
      out.set(b.subarray(from + length), from);
      return out;
    },
  ],
  ["truncate", (b) => b.slice(0, 8 + int(b.length - 8))],
  [
    "random run",
    (b) => {
      const out = b.slice();
      const from = int(out.length);
      for (let i = from; i < Math.min(out.length, from + 1 + int(64)); i++) out[i] = int(256);
      return out;
    },
  ],
];

const send = (message: unknown) =>
  new Promise<void>((resolve) => (process.send as NonNullable<typeof process.send>)(message, () => resolve()));

for (let index = 0; index < CASES; index++) {
  const [seedName, format, seedBytes] = pick(seeds);
  let bytes = seedBytes;
  const applied: string[] = [];
  for (let i = 0, n = 1 + int(3); i < n; i++) {
    const [name, mutate] = pick(mutators);
    bytes = mutate(bytes);
    applied.push(name);
  }
  const label = `${seedName}: ${applied.join(", ")}`;
  await send({ kind: "start", index, label });
  resetAllocations();
  const wall = performance.now();
  const cpu = process.cpuUsage();
  let outcome: string;
  let failure: string | undefined;
  const header = sniffFormat(bytes) === format ? readHeader(bytes) : null;
  if (!header || Math.max(header.width, header.height) > MAX_SIDE) outcome = "refused by the header checks";
  else {
    try {
      const upright = await decodeUpright(bytes, format, header);
      await preparePhoto(upright, null);
      await preparePhoto(upright, { x: 0.05, y: 0.1, width: 0.1, height: 0.12 });
      outcome = "accepted";
    } catch (error) {
      if (error instanceof ImageRefusal) outcome = `refused (${error.reason})`;
      else {
        outcome = "crashed";
        failure = error instanceof Error ? (error.stack ?? error.message) : String(error);
      }
    }
  }
  if (header && !failure && Math.max(header.width, header.height) <= MAX_SIDE) {
    // The region decode a face crop makes from the source, on the same bytes: a typed refusal or pixels.
    const region = { x: header.width / 3, y: header.height / 4, width: header.width / 3, height: header.height / 3 };
    const geometry = { width: header.width, height: header.height };
    try {
      if (format === "JPEG")
        (await JpegCodec.create()).decode(bytes, geometry, jpegScaleFor(region.height, 64), region);
      else if (format === "PNG") await decodePngScaled(bytes, 64, geometry, region);
      else await decodeWebp(bytes, geometry, { width: 64, height: 64 }, region);
    } catch (error) {
      if (!(error instanceof DecoderError)) {
        outcome = "crashed";
        failure = `region decode: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
      }
    }
  }
  const used = process.cpuUsage(cpu);
  await send({
    kind: "done",
    index,
    label,
    outcome,
    failure,
    ms: performance.now() - wall,
    cpuMs: (used.user + used.system) / 1000,
    largestAllocation: allocations.largest,
    allocationWhere: allocations.where,
    wasmMemory: largestWasmMemory(),
    bytes: failure ? Buffer.from(bytes).toString("base64") : undefined,
  });
}
process.disconnect();
