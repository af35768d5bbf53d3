import { Unzlib } from "fflate";
import type { Raster } from "./codecs";
import { DecodeBudget, DecoderError, expectGeometry, type Geometry } from "./decode-limits";
import type { Region } from "./jpeg-codec";

/**
 * A PNG decoder that never holds the full image: IDAT is inflated as a stream (fflate), each
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

const INFLATE_SLICE = 4096;

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
export function decodePngScaled(bytes: Uint8Array, minLongSide: number, expected?: Geometry, region?: Region): Raster {
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
  const sums = new Float32Array(outW * outH * 4);
  const bitsPerPixel = channels * depth;
  const bpp = Math.max(1, bitsPerPixel >> 3);
  const maxValue = (1 << depth) - 1;

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
  let current = new Uint8Array(rowBytes + 1);
  let previous = new Uint8Array(rowBytes + 1);
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
  /** The common case, 8-bit grey or RGB with or without alpha, without the general path's per-sample calls. */
  const addRow8 = (line: Uint8Array, cols: Int32Array, rowBase: number) => {
    for (let i = 0, p = 1; i < cols.length; i++, p += channels) {
      const col = cols[i] ?? -1;
      if (col < 0) continue;
      let r = line[p] ?? 0;
      let g = r;
      let b = r;
      let a = 255;
      if (channels >= 3) {
        g = line[p + 1] ?? 0;
        b = line[p + 2] ?? 0;
        if (channels === 4) a = line[p + 3] ?? 0;
      } else if (channels === 2) a = line[p + 1] ?? 0;
      if (a !== 255) {
        const alpha = a / 255;
        const white = 255 - a;
        r = r * alpha + white;
        g = g * alpha + white;
        b = b * alpha + white;
      }
      const o = rowBase + col;
      sums[o] = (sums[o] ?? 0) + r;
      sums[o + 1] = (sums[o + 1] ?? 0) + g;
      sums[o + 2] = (sums[o + 2] ?? 0) + b;
      sums[o + 3] = (sums[o + 3] ?? 0) + 1;
    }
  };

  const emitRow = () => {
    const pass = passes[passIndex];
    if (!pass) return;
    unfilter(current, previous, bpp);
    const y = pass.y0 + row * pass.dy;
    const oy = Math.floor((y - ry) / factor);
    const inside = y >= ry && y < ry + rh;
    if (inside && depth === 8 && colorType !== 3) addRow8(current, columns(pass), oy * outW * 4);
    for (let i = 0; inside && !(depth === 8 && colorType !== 3) && i < pass.w; i++) {
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
      const o = (oy * outW + Math.floor((x - rx) / factor)) * 4;
      sums[o] = (sums[o] ?? 0) + r * alpha + 255 * (1 - alpha);
      sums[o + 1] = (sums[o + 1] ?? 0) + g * alpha + 255 * (1 - alpha);
      sums[o + 2] = (sums[o + 2] ?? 0) + b * alpha + 255 * (1 - alpha);
      sums[o + 3] = (sums[o + 3] ?? 0) + 1;
    }
    [previous, current] = [current, previous];
    row += 1;
    if (row === pass.h) {
      passIndex += 1;
      row = 0;
      rowBytes = Math.ceil(((passes[passIndex]?.w ?? 0) * bitsPerPixel) / 8);
      current = new Uint8Array(rowBytes + 1);
      previous = new Uint8Array(rowBytes + 1);
    }
  };

  const budget = new DecodeBudget(
    passes.reduce((n, p) => n + p.h * (Math.ceil((p.w * bitsPerPixel) / 8) + 1), 0),
    "the PNG",
  );
  const inflate = new Unzlib((chunk) => {
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
  try {
    // Small slices keep each inflated piece small: fflate emits everything a push decodes at once.
    idat.forEach((chunk, i) => {
      for (let at = 0; at < chunk.length; at += INFLATE_SLICE) {
        const end = Math.min(at + INFLATE_SLICE, chunk.length);
        inflate.push(chunk.subarray(at, end), i === idat.length - 1 && end === chunk.length);
      }
    });
  } catch (error) {
    if (error instanceof DecoderError) throw error;
    throw new PngError(`corrupt image data: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (passIndex < passes.length) throw new PngError("truncated PNG: the image data ends early");

  const data = new Uint8ClampedArray(outW * outH * 4);
  for (let i = 0; i < outW * outH; i++) {
    const count = sums[i * 4 + 3] || 1;
    data[i * 4] = (sums[i * 4] ?? 0) / count;
    data[i * 4 + 1] = (sums[i * 4 + 1] ?? 0) / count;
    data[i * 4 + 2] = (sums[i * 4 + 2] ?? 0) / count;
    data[i * 4 + 3] = 255;
  }
  return { data, width: outW, height: outH };
}

function unfilter(line: Uint8Array, prior: Uint8Array, bpp: number): void {
  const filter = line[0];
  const n = line.length;
  switch (filter) {
    case 0:
      return;
    case 1:
      for (let i = 1 + bpp; i < n; i++) line[i] = (line[i] ?? 0) + (line[i - bpp] ?? 0);
      return;
    case 2:
      for (let i = 1; i < n; i++) line[i] = (line[i] ?? 0) + (prior[i] ?? 0);
      return;
    case 3:
      for (let i = 1; i < n; i++) {
        const left = i > bpp ? (line[i - bpp] ?? 0) : 0;
        line[i] = (line[i] ?? 0) + ((left + (prior[i] ?? 0)) >> 1);
      }
      return;
    case 4:
      for (let i = 1; i < n; i++) {
        const left = i > bpp ? (line[i - bpp] ?? 0) : 0;
        const up = prior[i] ?? 0;
        const upLeft = i > bpp ? (prior[i - bpp] ?? 0) : 0;
        const p = left + up - upLeft;
        const pa = Math.abs(p - left);
        const pb = Math.abs(p - up);
        const pc = Math.abs(p - upLeft);
        line[i] = (line[i] ?? 0) + (pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft);
      }
      return;
    default:
      throw new PngError(`unknown filter ${filter}`);
  }
}
