import type { Raster } from "./codecs";
import { DecodeBudget, DecoderError, expectGeometry, type Geometry } from "./decode-limits";

/**
 * A JPEG decoder that works in the DCT domain and never builds the full-size image: each 8×8 block
 * becomes N×N pixels (N = 1, 2, 4 or 8) through a reduced inverse DCT, so a 4096×4096 photo decodes
 * at 1024×1024 in a few megabytes. Baseline (Huffman, 8-bit) files take any N; progressive files are
 * read from their DC scans alone (N = 1). Grayscale, YCbCr, RGB, CMYK and YCCK are understood.
 */
export class JpegError extends DecoderError {}

const ZIGZAG = [
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
  35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47,
  55, 62, 63,
];

/** The largest DC coefficient an 8-bit encoder writes (8 × 128), with room for rounding. */
const DC_LIMIT = 1040;
/** Block visits a progressive file may make, in whole passes over its blocks (encoders write 6 to 12 scans). */
const PROGRESSIVE_PASSES = 32;

interface Huffman {
  lookup: Map<number, number>; // (length << 16 | code) → symbol
  maxLength: number;
}

interface Component {
  id: number;
  h: number;
  v: number;
  tq: number;
  blocksW: number;
  blocksH: number;
  /** blocksW*N × blocksH*N samples: pixels for baseline, raw DC coefficients for progressive. */
  plane: Uint8ClampedArray | Int16Array;
  pred: number;
}

export interface ScaledJpeg {
  raster: Raster;
  progressive: boolean;
  /** Output pixels per 8 source pixels: 8 is full size. */
  scale: number;
}

/**
 * Decodes so that the long side is at least `minLongSide` where the file allows, using as little memory as it can.
 * `expected` is the geometry the header checks accepted: a frame of any other size is refused, and so is the work
 * (block visits) a real picture of that size would not need.
 */
export function decodeJpegScaled(bytes: Uint8Array, minLongSide: number, expected?: Geometry): ScaledJpeg {
  const quant: Int32Array[] = [];
  const dcTables: Huffman[] = [];
  const acTables: Huffman[] = [];
  let width = 0;
  let height = 0;
  let progressive = false;
  let components: Component[] = [];
  let hMax = 1;
  let vMax = 1;
  let restartInterval = 0;
  let adobeTransform: number | undefined;
  let N = 8;
  let pos = 2;
  let budget: DecodeBudget | undefined;
  const scanned = new Set<Component>();

  const u16 = (at: number) => ((bytes[at] ?? 0) << 8) | (bytes[at + 1] ?? 0);
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) throw new JpegError("not a JPEG");

  while (pos < bytes.length) {
    if (bytes[pos] !== 0xff) throw new JpegError("marker expected");
    const marker = bytes[pos + 1] ?? 0;
    pos += 2;
    if (marker === 0xd9) break;
    if (marker === 0xff) {
      pos -= 1; // a fill byte: the marker starts at the next 0xFF
      continue;
    }
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) continue;
    const length = u16(pos);
    if (length < 2) throw new JpegError("corrupt segment length");
    const segment = bytes.subarray(pos + 2, pos + length);
    if (pos + length > bytes.length) throw new JpegError("truncated segment");
    switch (marker) {
      case 0xdb: {
        let i = 0;
        while (i < segment.length) {
          const pq = (segment[i] ?? 0) >> 4;
          const tq = (segment[i] ?? 0) & 15;
          if (pq > 1 || tq > 3 || i + 1 + (pq ? 128 : 64) > segment.length) throw new JpegError("corrupt DQT");
          const table = new Int32Array(64);
          for (let k = 0; k < 64; k++) {
            table[ZIGZAG[k] ?? 0] = pq
              ? ((segment[i + 1 + 2 * k] ?? 0) << 8) | (segment[i + 2 + 2 * k] ?? 0)
              : (segment[i + 1 + k] ?? 0);
          }
          quant[tq] = table;
          i += 1 + (pq ? 128 : 64);
        }
        break;
      }
      case 0xc4: {
        let i = 0;
        while (i < segment.length) {
          const tc = (segment[i] ?? 0) >> 4;
          const th = (segment[i] ?? 0) & 15;
          const counts = segment.subarray(i + 1, i + 17);
          let total = 0;
          for (const c of counts) total += c;
          if (tc > 1 || th > 3 || total > 256 || i + 17 + total > segment.length) throw new JpegError("corrupt DHT");
          const symbols = segment.subarray(i + 17, i + 17 + total);
          (tc === 0 ? dcTables : acTables)[th] = buildHuffman(counts, symbols);
          i += 17 + total;
        }
        break;
      }
      case 0xc0:
      case 0xc1:
      case 0xc2: {
        if (components.length > 0) throw new JpegError("a second frame header");
        if (segment[0] !== 8) throw new JpegError("only 8-bit JPEG is supported");
        progressive = marker === 0xc2;
        height = u16(pos + 3);
        width = u16(pos + 5);
        if (width === 0 || height === 0) throw new JpegError("no dimensions");
        expectGeometry({ width, height }, expected, "the JPEG frame");
        const count = segment[5] ?? 0;
        if (count !== 1 && count !== 3 && count !== 4) throw new JpegError(`${count} components`);
        if (segment.length < 6 + 3 * count) throw new JpegError("truncated frame header");
        const raw = Array.from({ length: count }, (_, c) => ({
          id: segment[6 + 3 * c] ?? 0,
          h: (segment[7 + 3 * c] ?? 0) >> 4,
          v: (segment[7 + 3 * c] ?? 0) & 15,
          tq: segment[8 + 3 * c] ?? 0,
        }));
        if (raw.some((c) => c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4 || c.tq > 3))
          throw new JpegError("impossible sampling factors");
        if (new Set(raw.map((c) => c.id)).size !== count) throw new JpegError("two components share an id");
        // An MCU holds at most 10 blocks (T.81 B.2.3), so no frame needs more than that.
        if (count > 1 && raw.reduce((n, c) => n + c.h * c.v, 0) > 10)
          throw new JpegError("impossible sampling factors");
        hMax = Math.max(...raw.map((c) => c.h));
        vMax = Math.max(...raw.map((c) => c.v));
        N = progressive ? 1 : chooseScale(Math.max(width, height), minLongSide);
        const mcusX = Math.ceil(width / (8 * hMax));
        const mcusY = Math.ceil(height / (8 * vMax));
        components = raw.map((c) => {
          const blocksW = mcusX * c.h;
          const blocksH = mcusY * c.v;
          const size = blocksW * N * blocksH * N;
          return {
            ...c,
            blocksW,
            blocksH,
            plane: progressive ? new Int16Array(size) : new Uint8ClampedArray(size),
            pred: 0,
          };
        });
        const blocks = components.reduce((n, c) => n + c.blocksW * c.blocksH, 0);
        budget = new DecodeBudget(blocks * (progressive ? PROGRESSIVE_PASSES : 1), "the JPEG");
        break;
      }
      case 0xc3:
      case 0xc5:
      case 0xc6:
      case 0xc7:
      case 0xc9:
      case 0xca:
      case 0xcb:
      case 0xcd:
      case 0xce:
      case 0xcf:
        throw new JpegError("lossless, hierarchical and arithmetic-coded JPEGs are not supported");
      case 0xdd:
        if (length !== 4) throw new JpegError("corrupt DRI");
        restartInterval = u16(pos + 2);
        break;
      case 0xee:
        if (segment.length >= 12 && String.fromCharCode(...segment.subarray(0, 5)) === "Adobe") {
          adobeTransform = segment[11];
        }
        break;
      case 0xda: {
        if (components.length === 0 || !budget) throw new JpegError("scan before frame");
        const count = segment[0] ?? 0;
        if (count < 1 || count > components.length || segment.length !== 4 + 2 * count)
          throw new JpegError("corrupt scan header");
        const scan = Array.from({ length: count }, (_, c) => {
          const id = segment[1 + 2 * c];
          const tables = segment[2 + 2 * c] ?? 0;
          const component = components.find((k) => k.id === id);
          if (!component) throw new JpegError("scan names an unknown component");
          if (tables >> 4 > 3 || (tables & 15) > 3) throw new JpegError("corrupt scan header");
          return { component, dc: tables >> 4, ac: tables & 15 };
        });
        if (new Set(scan.map((c) => c.component)).size !== count) throw new JpegError("a component twice in a scan");
        const ss = segment[1 + 2 * count] ?? 0;
        const se = segment[2 + 2 * count] ?? 0;
        const approx = segment[3 + 2 * count] ?? 0;
        if (
          progressive &&
          (ss > se || se > 63 || (ss === 0) !== (se === 0) || (ss > 0 && count !== 1) || (approx & 15) > 13)
        )
          throw new JpegError("corrupt progressive scan");
        const dataStart = pos + length;
        if (bytes[dataStart] === 0xff && bytes[dataStart + 1] !== 0) throw new JpegError("a scan with no data");
        const reader = new BitReader(bytes, dataStart);
        const context = { hMax, vMax, width, height, N, restartInterval, quant, dcTables, acTables, budget };
        if (!progressive) {
          for (const c of scan) {
            if (scanned.has(c.component)) throw new JpegError("a component scanned twice");
            scanned.add(c.component);
          }
          decodeBaselineScan(reader, scan, context);
          pos = scanEnd(bytes, reader.end());
        } else if (ss === 0) {
          if (approx >> 4 === 0) for (const c of scan) scanned.add(c.component);
          else if (scan.some((c) => !scanned.has(c.component)))
            throw new JpegError("a refinement before its first scan");
          decodeDcScan(reader, scan, approx >> 4, approx & 15, context);
          pos = scanEnd(bytes, reader.end());
        } else {
          // AC scans are not read at this scale; they still count against the budget.
          for (const c of scan) budget.spend(c.component.blocksW * c.component.blocksH);
          pos = nextMarker(bytes, dataStart);
        }
        continue;
      }
    }
    pos += length;
  }
  if (components.length === 0) throw new JpegError("no image frame");
  if (components.some((c) => !scanned.has(c))) throw new JpegError("a component has no image data");
  return {
    raster: toRgba(components, width, height, N, hMax, vMax, adobeTransform, progressive),
    scale: N,
    progressive,
  };
}

/** The smallest scale that still gives at least three quarters of the wanted long side. */
function chooseScale(longSide: number, wantedLongSide: number): number {
  for (const n of [1, 2, 4]) if ((longSide * n) / 8 >= wantedLongSide * 0.75) return n;
  return 8;
}

function buildHuffman(counts: Uint8Array, symbols: Uint8Array): Huffman {
  const lookup = new Map<number, number>();
  let code = 0;
  let k = 0;
  let maxLength = 0;
  for (let length = 1; length <= 16; length++) {
    for (let i = 0; i < (counts[length - 1] ?? 0); i++) {
      lookup.set((length << 16) | code, symbols[k++] ?? 0);
      code++;
      maxLength = length;
    }
    // More codes of a length than it has room for: the table is not a prefix code.
    if (code > 1 << length) throw new JpegError("corrupt Huffman table");
    code <<= 1;
  }
  return { lookup, maxLength };
}

class BitReader {
  #byte = 0;
  #bits = 0;
  #hitMarker = false;
  constructor(
    private readonly bytes: Uint8Array,
    private pos: number,
  ) {}

  bit(): number {
    if (this.#bits === 0) {
      // A scan that asks for bits past its data is truncated or corrupt; padding it with zeros would paint a picture.
      if (this.#hitMarker || this.pos >= this.bytes.length)
        throw new JpegError("corrupt image data: the scan ends early");
      let value = this.bytes[this.pos] ?? 0;
      if (value === 0xff) {
        const next = this.bytes[this.pos + 1] ?? 0;
        if (next === 0) this.pos += 1;
        else {
          this.#hitMarker = true;
          throw new JpegError("corrupt image data: the scan ends early");
        }
      }
      this.pos += 1;
      this.#byte = value;
      this.#bits = 8;
      value = 0;
    }
    this.#bits -= 1;
    return (this.#byte >> this.#bits) & 1;
  }

  bits(n: number): number {
    let value = 0;
    for (let i = 0; i < n; i++) value = (value << 1) | this.bit();
    return value;
  }

  decode(table: Huffman | undefined): number {
    if (!table) throw new JpegError("missing Huffman table");
    let code = 0;
    for (let length = 1; length <= table.maxLength; length++) {
      code = (code << 1) | this.bit();
      const symbol = table.lookup.get((length << 16) | code);
      if (symbol !== undefined) return symbol;
    }
    throw new JpegError("corrupt Huffman data");
  }

  receiveExtend(size: number): number {
    if (size === 0) return 0;
    const value = this.bits(size);
    return value < 1 << (size - 1) ? value - (1 << size) + 1 : value;
  }

  /** At a restart marker: drop the partial byte and step over RSTn, which must come right after the data. */
  restart(): void {
    this.#bits = 0;
    this.#hitMarker = false;
    const marker = this.bytes[this.pos + 1] ?? 0;
    if (this.bytes[this.pos] !== 0xff || marker < 0xd0 || marker > 0xd7)
      throw new JpegError("corrupt image data: a restart interval does not end at its marker");
    this.pos += 2;
  }

  end(): number {
    return this.pos;
  }
}

/** Where a fully read scan ends: its last byte is padding, so a marker must follow at once. */
function scanEnd(bytes: Uint8Array, at: number): number {
  if (at + 1 >= bytes.length) throw new JpegError("truncated JPEG: the image data ends early");
  if (bytes[at] !== 0xff || bytes[at + 1] === 0) throw new JpegError("corrupt image data: data left over after a scan");
  return at;
}

function nextMarker(bytes: Uint8Array, from: number): number {
  let pos = from;
  while (pos < bytes.length - 1) {
    if (bytes[pos] === 0xff) {
      const next = bytes[pos + 1] ?? 0;
      if (next !== 0 && next !== 0xff && !(next >= 0xd0 && next <= 0xd7)) return pos;
    }
    pos++;
  }
  throw new JpegError("truncated JPEG: the image data ends early");
}

interface ScanComponent {
  component: Component;
  dc: number;
  ac: number;
}

interface ScanContext {
  budget: DecodeBudget;
  hMax: number;
  vMax: number;
  width: number;
  height: number;
  restartInterval: number;
  quant: Int32Array[];
  dcTables: Huffman[];
}

function forEachBlock(
  reader: BitReader,
  scan: ScanComponent[],
  ctx: ScanContext,
  visit: (c: ScanComponent, bx: number, by: number) => void,
): void {
  for (const c of scan) c.component.pred = 0;
  let done = 0;
  const restart = () => {
    if (ctx.restartInterval && done > 0 && done % ctx.restartInterval === 0) {
      reader.restart();
      for (const c of scan) c.component.pred = 0;
    }
  };
  const only = scan.length === 1 ? scan[0] : undefined;
  if (only) {
    const comp = only.component;
    const w = Math.ceil(Math.ceil((ctx.width * comp.h) / ctx.hMax) / 8);
    const h = Math.ceil(Math.ceil((ctx.height * comp.v) / ctx.vMax) / 8);
    ctx.budget.spend(w * h);
    for (let by = 0; by < h; by++) {
      for (let bx = 0; bx < w; bx++) {
        restart();
        visit(only, bx, by);
        done++;
      }
    }
    return;
  }
  const mcusX = Math.ceil(ctx.width / (8 * ctx.hMax));
  const mcusY = Math.ceil(ctx.height / (8 * ctx.vMax));
  ctx.budget.spend(mcusX * mcusY * scan.reduce((n, c) => n + c.component.h * c.component.v, 0));
  for (let my = 0; my < mcusY; my++) {
    for (let mx = 0; mx < mcusX; mx++) {
      restart();
      for (const c of scan) {
        for (let v = 0; v < c.component.v; v++) {
          for (let h = 0; h < c.component.h; h++) visit(c, mx * c.component.h + h, my * c.component.v + v);
        }
      }
      done++;
    }
  }
}

const cosTables = new Map<number, Float32Array>();
function cosTable(n: number): Float32Array {
  let table = cosTables.get(n);
  if (!table) {
    table = new Float32Array(n * n);
    for (let x = 0; x < n; x++) {
      for (let u = 0; u < n; u++) {
        table[x * n + u] = ((u === 0 ? Math.SQRT1_2 : 1) / 2) * Math.cos(((2 * x + 1) * u * Math.PI) / (2 * n));
      }
    }
    cosTables.set(n, table);
  }
  return table;
}

function decodeBaselineScan(
  reader: BitReader,
  scan: ScanComponent[],
  ctx: ScanContext & { N: number; acTables: Huffman[] },
): void {
  const N = ctx.N;
  const coefficients = new Float32Array(64);
  const cos = cosTable(N);
  forEachBlock(reader, scan, ctx, (c, bx, by) => {
    const comp = c.component;
    const q = ctx.quant[comp.tq];
    if (!q) throw new JpegError("missing quantization table");
    coefficients.fill(0);
    const t = reader.decode(ctx.dcTables[c.dc]);
    comp.pred += reader.receiveExtend(t);
    coefficients[0] = comp.pred * (q[0] ?? 1);
    // An 8-bit encoder cannot write a DC outside ±1024: past that the entropy data is corrupt.
    if (Math.abs(coefficients[0]) > DC_LIMIT) throw new JpegError("corrupt image data");
    for (let k = 1; k < 64; ) {
      const rs = reader.decode(ctx.acTables[c.ac]);
      const r = rs >> 4;
      const s = rs & 15;
      if (s === 0) {
        if (r !== 15) break;
        k += 16;
        continue;
      }
      k += r;
      if (k > 63) throw new JpegError("corrupt block");
      const z = ZIGZAG[k] ?? 0;
      const value = reader.receiveExtend(s);
      if (z % 8 < N && z >> 3 < N) coefficients[z] = value * (q[z] ?? 1);
      k++;
    }
    if (bx >= comp.blocksW || by >= comp.blocksH) return;
    const stride = comp.blocksW * N;
    for (let y = 0; y < N; y++) {
      for (let x = 0; x < N; x++) {
        let sum = 0;
        for (let v = 0; v < N; v++) {
          const cy = cos[y * N + v] ?? 0;
          for (let u = 0; u < N; u++) sum += (cos[x * N + u] ?? 0) * cy * (coefficients[v * 8 + u] ?? 0);
        }
        comp.plane[(by * N + y) * stride + bx * N + x] = Math.round(sum + 128);
      }
    }
  });
}

function decodeDcScan(reader: BitReader, scan: ScanComponent[], ah: number, al: number, ctx: ScanContext): void {
  forEachBlock(reader, scan, ctx, (c, bx, by) => {
    const comp = c.component;
    if (bx >= comp.blocksW || by >= comp.blocksH) {
      if (ah === 0) reader.receiveExtend(reader.decode(ctx.dcTables[c.dc]));
      else reader.bit();
      return;
    }
    const q = ctx.quant[comp.tq]?.[0] ?? 1;
    const index = by * comp.blocksW + bx;
    if (ah === 0) {
      comp.pred += reader.receiveExtend(reader.decode(ctx.dcTables[c.dc]));
      comp.plane[index] = (comp.pred << al) * q;
      if (Math.abs(comp.plane[index] ?? 0) > DC_LIMIT) throw new JpegError("corrupt image data");
    } else if (reader.bit()) {
      comp.plane[index] = (comp.plane[index] ?? 0) + (1 << al) * q;
    }
  });
  for (const c of scan) c.component.pred = 0;
}

function toRgba(
  components: Component[],
  width: number,
  height: number,
  N: number,
  hMax: number,
  vMax: number,
  adobeTransform: number | undefined,
  progressive: boolean,
): Raster {
  const outW = Math.max(1, Math.ceil((width * N) / 8));
  const outH = Math.max(1, Math.ceil((height * N) / 8));
  const data = new Uint8ClampedArray(outW * outH * 4);
  // Progressive planes hold raw DC coefficients: the block mean is DC / 8, level-shifted by 128.
  const dcOnly = progressive;
  const sample = (comp: Component, x: number, y: number): number => {
    const sx = Math.floor((x * comp.h) / hMax);
    const sy = Math.floor((y * comp.v) / vMax);
    const value = comp.plane[sy * comp.blocksW * N + sx] ?? 0;
    return dcOnly && !Number.isNaN(value) ? value / 8 + 128 : value;
  };
  const [c0, c1, c2, c3] = components;
  const transform = adobeTransform ?? (components.length === 3 ? 1 : 0);
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      const o = (y * outW + x) * 4;
      let r: number;
      let g: number;
      let b: number;
      if (!c1 || !c2) {
        r = g = b = c0 ? sample(c0, x, y) : 0;
      } else {
        let a = c0 ? sample(c0, x, y) : 0;
        let m = sample(c1, x, y);
        let n = sample(c2, x, y);
        if (transform !== 0) [a, m, n] = ycc(a, m, n);
        if (c3) {
          const k = sample(c3, x, y);
          // Adobe writes CMYK inverted; other encoders write it straight.
          if (adobeTransform !== undefined) [a, m, n] = [(a * k) / 255, (m * k) / 255, (n * k) / 255];
          else
            [a, m, n] = [((255 - a) * (255 - k)) / 255, ((255 - m) * (255 - k)) / 255, ((255 - n) * (255 - k)) / 255];
        }
        [r, g, b] = [a, m, n];
      }
      data[o] = r;
      data[o + 1] = g;
      data[o + 2] = b;
      data[o + 3] = 255;
    }
  }
  return { data, width: outW, height: outH };
}

function ycc(y: number, cb: number, cr: number): [number, number, number] {
  return [y + 1.402 * (cr - 128), y - 0.344136 * (cb - 128) - 0.714136 * (cr - 128), y + 1.772 * (cb - 128)];
}
