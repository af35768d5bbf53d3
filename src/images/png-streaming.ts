import { createInflate } from "node:zlib";
import type { Raster } from "./codecs";
import { DecodeBudget, DecoderError, expectGeometry, type Geometry } from "./decode-limits";
import type { Region } from "./jpeg-codec";

/**
 * A PNG decoder that never holds the full image: IDAT is inflated as a stream (node:zlib), each
 * scanline is unfiltered against the previous one and added into box-filter bins of the output
 * size. Handles every colour type, bit depths 1–16, palettes and Adam7 interlacing; transparent
 * pixels are composited over white.
 */
export class PngError extends DecoderError {}

const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

/** IDAT goes into zlib this much at a time, and comes out in pieces of at most this much (fewer, larger pieces cost less). */
const INFLATE_SLICE = 64 * 1024;
const INFLATED_PIECE = 256 * 1024;

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
/** The bit depths each colour type allows (PNG spec, table 11.1). */
const DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

export interface PngStructure {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  interlaced: boolean;
  palette: Uint8Array | undefined;
  transparency: Uint8Array | undefined;
  idat: Uint8Array[];
}

/**
 * Walks the chunks and checks what the pixels will be read by: one IHDR, first, of the accepted
 * geometry and a valid colour type and depth, a palette where one is needed, and image data.
 */
export function readPngStructure(bytes: Uint8Array, expected?: Geometry): PngStructure {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 8;
  let header: Omit<PngStructure, "palette" | "transparency" | "idat"> | undefined;
  let palette: Uint8Array | undefined;
  let transparency: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  let ended = false;
  while (pos + 8 <= bytes.length) {
    const length = view.getUint32(pos);
    const type = String.fromCharCode(...bytes.subarray(pos + 4, pos + 8));
    if (pos + 12 + length > bytes.length) throw new PngError("truncated PNG");
    const data = bytes.subarray(pos + 8, pos + 8 + length);
    if (!header && type !== "IHDR") throw new PngError("the first chunk is not IHDR");
    if (type === "IHDR") {
      if (header) throw new PngError("a second IHDR");
      if (length !== 13) throw new PngError("corrupt IHDR");
      const width = view.getUint32(pos + 8);
      const height = view.getUint32(pos + 12);
      const [depth = 0, colorType = 0, compression, filter, interlace = 0] = data.subarray(8, 13);
      if (!width || !height) throw new PngError("no dimensions");
      expectGeometry({ width, height }, expected, "the PNG's IHDR");
      if (!DEPTHS[colorType]?.includes(depth) || compression !== 0 || filter !== 0 || interlace > 1)
        throw new PngError("unsupported PNG header");
      header = { width, height, depth, colorType, interlaced: interlace === 1 };
    } else if (type === "PLTE") {
      if (palette || idat.length > 0 || length % 3 !== 0 || length === 0 || length > 768)
        throw new PngError("corrupt palette");
      palette = data;
    } else if (type === "tRNS") transparency = data;
    else if (type === "IDAT") idat.push(data);
    else if (type === "IEND") {
      ended = true;
      break;
    }
    pos += 12 + length;
  }
  if (!header) throw new PngError("truncated PNG");
  if (header.colorType === 3 && !palette) throw new PngError("palette missing");
  if (!ended || idat.length === 0) throw new PngError("truncated PNG");
  return { ...header, palette, transparency, idat };
}

/**
 * Decodes `region` (the whole picture by default), averaging whole f×f blocks, with f the largest that
 * keeps its long side at least `minLongSide`. `expected` is the geometry the header checks accepted;
 * the inflated data must be exactly what that geometry holds, never more.
 */
export async function decodePngScaled(
  bytes: Uint8Array,
  minLongSide: number,
  expected?: Geometry,
  region?: Region,
): Promise<Raster> {
  const { width, height, depth, colorType, interlaced, palette, transparency, idat } = readPngStructure(
    bytes,
    expected,
  );
  const channels = CHANNELS[colorType] ?? 1;
  const rx = Math.max(0, Math.min(width - 1, Math.floor(region?.x ?? 0)));
  const ry = Math.max(0, Math.min(height - 1, Math.floor(region?.y ?? 0)));
  const rw = Math.max(1, Math.min(width - rx, Math.ceil(region?.width ?? width)));
  const rh = Math.max(1, Math.min(height - ry, Math.ceil(region?.height ?? height)));
  const factor = Math.max(1, Math.floor(Math.max(rw, rh) / minLongSide));
  const outW = Math.ceil(rw / factor);
  const outH = Math.ceil(rh / factor);
  const data = new Uint8ClampedArray(outW * outH * 4);
  // Rows come in order unless interlaced, so one output row of sums is enough: it is averaged into
  // `data` as soon as its last source row is in. Adam7 passes revisit every output row, so they keep all.
  const sums = new Float32Array((interlaced ? outH : 1) * outW * 4);
  const bitsPerPixel = channels * depth;
  const bpp = Math.max(1, bitsPerPixel >> 3);
  const maxValue = (1 << depth) - 1;
  const eightBit = depth === 8 && colorType !== 3;
  // At full size (factor 1) each source pixel of an in-order row is one output pixel: no sums needed.
  const direct = eightBit && factor === 1 && !interlaced;

  const passes = interlaced
    ? ADAM7.map(([x0, y0, dx, dy]) => ({
        x0,
        y0,
        dx,
        dy,
        w: Math.ceil((width - x0) / dx),
        h: Math.ceil((height - y0) / dy),
      })).filter((p) => p.w > 0 && p.h > 0)
    : [{ x0: 0, y0: 0, dx: 1, dy: 1, w: width, h: height }];

  let passIndex = 0;
  let row = 0;
  let rowBytes = Math.ceil(((passes[0]?.w ?? 0) * bitsPerPixel) / 8);
  let current = rowBuffer(rowBytes);
  let previous = rowBuffer(rowBytes);
  let filled = 0;

  const sampleAt = (line: Uint8Array, i: number, channel: number): number => {
    if (depth === 8) return line[1 + i * channels + channel] ?? 0;
    if (depth === 16)
      return ((line[1 + (i * channels + channel) * 2] ?? 0) << 8) | (line[2 + (i * channels + channel) * 2] ?? 0);
    const bit = (i * channels + channel) * depth;
    return ((line[1 + (bit >> 3)] ?? 0) >> (8 - depth - (bit & 7))) & maxValue;
  };
  const to8 = (value: number) => (depth === 16 ? value / 257 : colorType === 3 ? value : (value * 255) / maxValue);

  /** Per pass: each sample's output column (×4), or -1 outside the region. */
  const columnTables = new Map<number, Int32Array>();
  const columns = (pass: { x0: number; dx: number; w: number }) => {
    let table = columnTables.get(passIndex);
    if (!table) {
      table = Int32Array.from({ length: pass.w }, (_, i) => {
        const x = pass.x0 + i * pass.dx;
        return x < rx || x >= rx + rw ? -1 : Math.floor((x - rx) / factor) * 4;
      });
      columnTables.set(passIndex, table);
    }
    return table;
  };

  const emitRow = () => {
    const pass = passes[passIndex];
    if (!pass) return;
    unfilter(current, previous, bpp);
    const y = pass.y0 + row * pass.dy;
    const oy = Math.floor((y - ry) / factor);
    const inside = y >= ry && y < ry + rh;
    const rowBase = interlaced ? oy * outW * 4 : 0;
    if (inside && direct) copyRow8(current, channels, data, oy * outW * 4, rx, rw);
    else if (inside && eightBit) {
      if (interlaced) addSparseRow8(current, channels, columns(pass), sums, rowBase);
      else addRow8(current, channels, sums, rowBase, rx, rw, factor);
    }
    for (let i = 0; inside && !eightBit && i < pass.w; i++) {
      const x = pass.x0 + i * pass.dx;
      if (x < rx || x >= rx + rw) continue;
      let r: number;
      let g: number;
      let b: number;
      let a = 255;
      if (colorType === 3) {
        const index = sampleAt(current, i, 0);
        r = palette?.[index * 3] ?? 0;
        g = palette?.[index * 3 + 1] ?? 0;
        b = palette?.[index * 3 + 2] ?? 0;
        a = transparency?.[index] ?? 255;
      } else if (channels <= 2) {
        r = g = b = to8(sampleAt(current, i, 0));
        if (channels === 2) a = to8(sampleAt(current, i, 1));
      } else {
        r = to8(sampleAt(current, i, 0));
        g = to8(sampleAt(current, i, 1));
        b = to8(sampleAt(current, i, 2));
        if (channels === 4) a = to8(sampleAt(current, i, 3));
      }
      const alpha = a / 255;
      const o = rowBase + Math.floor((x - rx) / factor) * 4;
      sums[o] = (sums[o] ?? 0) + r * alpha + 255 * (1 - alpha);
      sums[o + 1] = (sums[o + 1] ?? 0) + g * alpha + 255 * (1 - alpha);
      sums[o + 2] = (sums[o + 2] ?? 0) + b * alpha + 255 * (1 - alpha);
      sums[o + 3] = (sums[o + 3] ?? 0) + 1;
    }
    if (inside && !interlaced && !direct && (y - ry + 1 === rh || (y - ry + 1) % factor === 0)) {
      average(sums, data, oy * outW * 4);
      sums.fill(0);
    }
    [previous, current] = [current, previous];
    row += 1;
    if (row === pass.h) {
      passIndex += 1;
      row = 0;
      rowBytes = Math.ceil(((passes[passIndex]?.w ?? 0) * bitsPerPixel) / 8);
      current = rowBuffer(rowBytes);
      previous = rowBuffer(rowBytes);
    }
  };

  const budget = new DecodeBudget(
    passes.reduce((n, p) => n + p.h * (Math.ceil((p.w * bitsPerPixel) / 8) + 1), 0),
    "the PNG",
  );
  await inflate(idat, (chunk) => {
    // Inflating past the geometry's bytes is refused at the first byte too many, before any more is inflated.
    budget.spend(chunk.length);
    let offset = 0;
    while (offset < chunk.length && passIndex < passes.length) {
      const take = Math.min(rowBytes + 1 - filled, chunk.length - offset);
      current.set(chunk.subarray(offset, offset + take), filled);
      filled += take;
      offset += take;
      if (filled === rowBytes + 1) {
        filled = 0;
        emitRow();
      }
    }
  });
  if (passIndex < passes.length) throw new PngError("truncated PNG: the image data ends early");

  if (interlaced) average(sums, data, 0);
  return { data, width: outW, height: outH };
}

/** Each pixel's sums divided by its count, written opaque into `data` from `at`. */
function average(sums: Float32Array, data: Uint8ClampedArray, at: number): void {
  for (let o = 0; o < sums.length; o += 4) {
    const count = (sums[o + 3] as number) || 1;
    data[at + o] = (sums[o] as number) / count;
    data[at + o + 1] = (sums[o + 1] as number) / count;
    data[at + o + 2] = (sums[o + 2] as number) / count;
    data[at + o + 3] = 255;
  }
}

/**
 * Inflates the zlib stream split over `parts` with the platform's zlib (node:zlib, native in workerd
 * and Node), handing each inflated piece to `take` as it comes; when `take` throws, inflating stops
 * there. The stream must end exactly where the data does.
 */
async function inflate(parts: Uint8Array[], take: (piece: Uint8Array) => void): Promise<void> {
  const zlib = createInflate({ chunkSize: INFLATED_PIECE });
  let failure: { error: unknown } | undefined;
  const fail = (error: unknown) => {
    failure ??= { error };
    zlib.destroy();
  };
  const settled = new Promise<void>((resolve) => {
    zlib.on("data", (piece: Uint8Array) => {
      if (failure) return;
      try {
        take(piece);
      } catch (error) {
        fail(error);
        resolve();
      }
    });
    zlib.on("error", (error: Error) => {
      failure ??= { error };
      resolve();
    });
    zlib.on("end", () => resolve());
    zlib.on("close", () => resolve());
  });
  let written = 0;
  try {
    // The slices are queued (views of the file, not copies); zlib works through them one output piece
    // at a time, in workerd as in Node, so destroying the stream stops it at the next piece.
    for (const part of parts) {
      for (let at = 0; at < part.length && !failure; at += INFLATE_SLICE) {
        const slice = part.subarray(at, at + INFLATE_SLICE);
        written += slice.length;
        zlib.write(slice);
      }
    }
    if (!failure) zlib.end();
  } catch (error) {
    fail(error);
  }
  await settled;
  if (!failure && zlib.bytesWritten !== written) failure = { error: new Error("data after the end of the stream") };
  if (!failure) return;
  if (failure.error instanceof DecoderError) throw failure.error;
  throw new PngError(`corrupt image data: ${zlibReason(failure.error)}`);
}

/** zlib's own words for corrupt, cut-short or trailing data; Node puts them in the error's cause. */
function zlibReason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.message) return error.message;
  return error.cause instanceof Error && error.cause.message ? error.cause.message : String(error);
}

/**
 * Adds one 8-bit grey or RGB row, with or without alpha, of a non-interlaced picture into the sums,
 * one output pixel at a time; each sum is rounded to float32 at every step, as a Float32Array holds it.
 */
function addRow8(
  line: Uint8Array,
  channels: number,
  sums: Float32Array,
  rowBase: number,
  rx: number,
  rw: number,
  factor: number,
): void {
  const end = rx + rw;
  for (let x = rx, o = rowBase; x < end; o += 4) {
    const stop = Math.min(x + factor, end);
    let r = sums[o] as number;
    let g = sums[o + 1] as number;
    let b = sums[o + 2] as number;
    sums[o + 3] = (sums[o + 3] as number) + (stop - x);
    for (let p = 1 + x * channels; x < stop; x++, p += channels) {
      let vr = line[p] as number;
      let vg = vr;
      let vb = vr;
      let a = 255;
      if (channels >= 3) {
        vg = line[p + 1] as number;
        vb = line[p + 2] as number;
        if (channels === 4) a = line[p + 3] as number;
      } else if (channels === 2) a = line[p + 1] as number;
      if (a !== 255) {
        const alpha = a / 255;
        const white = 255 - a;
        vr = vr * alpha + white;
        vg = vg * alpha + white;
        vb = vb * alpha + white;
      }
      r = Math.fround(r + vr);
      g = Math.fround(g + vg);
      b = Math.fround(b + vb);
    }
    sums[o] = r;
    sums[o + 1] = g;
    sums[o + 2] = b;
  }
}

/** `addRow8` at factor 1, straight into the output; a composited value is rounded to float32 as a sum would be. */
function copyRow8(line: Uint8Array, channels: number, data: Uint8ClampedArray, at: number, rx: number, rw: number) {
  if (channels === 4) {
    // RGBA is the output's own layout: copied whole, then only pixels that are not opaque are composited.
    data.set(line.subarray(1 + rx * 4, 1 + (rx + rw) * 4), at);
    for (let o = at + 3, end = at + rw * 4; o < end; o += 4) {
      const a = data[o] as number;
      if (a === 255) continue;
      const alpha = a / 255;
      const white = 255 - a;
      data[o - 3] = Math.fround((data[o - 3] as number) * alpha + white);
      data[o - 2] = Math.fround((data[o - 2] as number) * alpha + white);
      data[o - 1] = Math.fround((data[o - 1] as number) * alpha + white);
      data[o] = 255;
    }
    return;
  }
  // Grey, grey with alpha and RGB spread out to RGBA.
  for (let p = 1 + rx * channels, o = at, end = at + rw * 4; o < end; p += channels, o += 4) {
    const r = line[p] as number;
    let g = r;
    let b = r;
    let a = 255;
    if (channels === 3) {
      g = line[p + 1] as number;
      b = line[p + 2] as number;
    } else if (channels === 2) a = line[p + 1] as number;
    if (a === 255) {
      data[o] = r;
      data[o + 1] = g;
      data[o + 2] = b;
    } else {
      const alpha = a / 255;
      const white = 255 - a;
      data[o] = Math.fround(r * alpha + white);
      data[o + 1] = Math.fround(g * alpha + white);
      data[o + 2] = Math.fround(b * alpha + white);
    }
    data[o + 3] = 255;
  }
}

/** `addRow8` for an Adam7 pass's row, whose samples land in the output columns of `cols` (×4, -1 outside). */
function addSparseRow8(line: Uint8Array, channels: number, cols: Int32Array, sums: Float32Array, rowBase: number) {
  for (let i = 0, p = 1; i < cols.length; i++, p += channels) {
    const col = cols[i] as number;
    if (col < 0) continue;
    let r = line[p] as number;
    let g = r;
    let b = r;
    let a = 255;
    if (channels >= 3) {
      g = line[p + 1] as number;
      b = line[p + 2] as number;
      if (channels === 4) a = line[p + 3] as number;
    } else if (channels === 2) a = line[p + 1] as number;
    if (a !== 255) {
      const alpha = a / 255;
      const white = 255 - a;
      r = r * alpha + white;
      g = g * alpha + white;
      b = b * alpha + white;
    }
    const o = rowBase + col;
    sums[o] = (sums[o] as number) + r;
    sums[o + 1] = (sums[o + 1] as number) + g;
    sums[o + 2] = (sums[o + 2] as number) + b;
    sums[o + 3] = (sums[o + 3] as number) + 1;
  }
}

/** A row's filter byte and `rowBytes` samples, placed so that the samples start on a 4-byte boundary. */
function rowBuffer(rowBytes: number): Uint8Array {
  return new Uint8Array(new ArrayBuffer(rowBytes + 4), 3, rowBytes + 1);
}

/** The four bytes of `a` and `b` added pairwise modulo 256, with no carry from one byte into the next. */
function addBytes(a: number, b: number): number {
  return (((a & 0x7f7f7f7f) + (b & 0x7f7f7f7f)) ^ ((a ^ b) & 0x80808080)) >>> 0;
}

/** Undoes the row's PNG filter in place; the bytes left of the first pixel and above the first row are 0. */
function unfilter(line: Uint8Array, prior: Uint8Array, bpp: number): void {
  const filter = line[0];
  const n = line.length;
  const head = Math.min(n, 1 + bpp);
  // Whole 32-bit words of the row (its samples start word-aligned, see rowBuffer), for Sub at 4 bytes a pixel and Up.
  const words = (filter === 1 && bpp === 4) || filter === 2 ? (n - 1) >> 2 : 0;
  switch (filter) {
    case 0:
      return;
    case 1:
      if (words > 0) {
        const w = new Uint32Array(line.buffer, line.byteOffset + 1, words);
        for (let i = 1, left = w[0] as number; i < words; i++) left = w[i] = addBytes(w[i] as number, left);
      }
      for (let i = Math.max(head, 1 + words * 4); i < n; i++) line[i] = (line[i] as number) + (line[i - bpp] as number);
      return;
    case 2:
      if (words > 0) {
        const w = new Uint32Array(line.buffer, line.byteOffset + 1, words);
        const up = new Uint32Array(prior.buffer, prior.byteOffset + 1, words);
        for (let i = 0; i < words; i++) w[i] = addBytes(w[i] as number, up[i] as number);
      }
      for (let i = 1 + words * 4; i < n; i++) line[i] = (line[i] as number) + (prior[i] as number);
      return;
    case 3:
      for (let i = 1; i < head; i++) line[i] = (line[i] as number) + ((prior[i] as number) >> 1);
      for (let i = head; i < n; i++)
        line[i] = (line[i] as number) + (((line[i - bpp] as number) + (prior[i] as number)) >> 1);
      return;
    case 4:
      // With no left neighbours the predictor is the byte above.
      for (let i = 1; i < head; i++) line[i] = (line[i] as number) + (prior[i] as number);
      for (let i = head; i < n; i++) {
        const left = line[i - bpp] as number;
        const up = prior[i] as number;
        const upLeft = prior[i - bpp] as number;
        const pa = Math.abs(up - upLeft);
        const pb = Math.abs(left - upLeft);
        const pc = Math.abs(left + up - 2 * upLeft);
        line[i] = (line[i] as number) + (pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft);
      }
      return;
    default:
      throw new PngError(`unknown filter ${filter}`);
  }
}
