import type { Raster } from "./codecs";
import { DecodeBudget, DecoderError, expectGeometry, type Geometry } from "./decode-limits";

/**
 * A JPEG decoder that works in the DCT domain and never builds more than it is asked for: each 8×8
 * block becomes N×N pixels (N = 1, 2, 4 or 8) through a reduced inverse DCT, and only the blocks of the
 * wanted region are turned into pixels, so a 4096×4096 photo decodes at 1024×1024 in a few megabytes.
 * Baseline and progressive (Huffman, 8-bit) files, every scan read in full. Progressive coefficients
 * are kept for the region's blocks and only the N×N of them the scale uses, with a 64-bit mask per
 * block of which coefficients are non-zero (what refinement scans need). Grayscale, YCbCr, RGB, CMYK
 * and YCCK are understood.
 */
export class JpegError extends DecoderError {}

const ZIGZAG = [
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
  35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47,
  55, 62, 63,
];

/** The largest DC coefficient an 8-bit encoder writes (8 × 128), with room for rounding. */
const DC_LIMIT = 1040;
/** The largest AC coefficient (before quantisation) an 8-bit encoder writes, with room. */
const AC_LIMIT = 2047;
/** Block visits a progressive file may make, in whole passes over its blocks (encoders write 6 to 12 scans). */
const PROGRESSIVE_PASSES = 32;

interface Huffman {
  /** maxCode[l]: the largest code of length l, or -1; valOffset[l]: symbol index minus code at length l. */
  maxCode: Int32Array;
  valOffset: Int32Array;
  symbols: Uint8Array;
  maxLength: number;
  /** For the next LOOKAHEAD bits: (code length << 8 | symbol) of a code that short, else 0. */
  fast: Uint16Array;
}

const LOOKAHEAD = 9;

/** A pixel rectangle in the stored (not yet EXIF-rotated) image. */
export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

interface Component {
  id: number;
  h: number;
  v: number;
  tq: number;
  /** Blocks the frame holds for this component (whole MCUs). */
  blocksW: number;
  blocksH: number;
  /** The region's blocks: [bx0, bx1) × [by0, by1). */
  bx0: number;
  bx1: number;
  by0: number;
  by1: number;
  /** (bx1-bx0)·N × (by1-by0)·N pixels. */
  plane: Uint8ClampedArray;
  /** Progressive only: N×N raw coefficients per region block, and a non-zero mask (2 words) per frame block. */
  coefficients: Int16Array | undefined;
  nonZero: Uint32Array | undefined;
  pred: number;
}

export interface ScaledJpeg {
  /** The region (the whole picture by default) at N/8 of its size, rounded out to whole output pixels. */
  raster: Raster;
  progressive: boolean;
  /** Output pixels per 8 source pixels: 8 is full size. */
  scale: number;
}

export interface JpegScaleOptions {
  /** Decode so that the region's long side is at least this, where the file allows. */
  minLongSide: number;
  /** The geometry the header checks accepted: a frame of any other size is refused. */
  expected?: Geometry;
  /** Only this part of the stored picture becomes pixels (the entropy data is read in full all the same). */
  region?: Region;
}

/**
 * Decodes using as little memory as it can. Work is bounded by the frame's geometry: a baseline file
 * may visit each block once, a progressive one PROGRESSIVE_PASSES times.
 */
export function decodeJpegScaled(
  bytes: Uint8Array,
  options: JpegScaleOptions | number,
  expected?: Geometry,
): ScaledJpeg {
  const {
    minLongSide,
    region: wanted,
    expected: geometry,
  } = typeof options === "number" ? { minLongSide: options, region: undefined, expected } : options;
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
  let region: Region = { x: 0, y: 0, width: 0, height: 0 };
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
        expectGeometry({ width, height }, geometry, "the JPEG frame");
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
        region = clampRegion(wanted ?? { x: 0, y: 0, width, height }, width, height);
        N = chooseScale(Math.max(region.width, region.height), minLongSide);
        const mcusX = Math.ceil(width / (8 * hMax));
        const mcusY = Math.ceil(height / (8 * vMax));
        components = raw.map((c) => {
          const blocksW = mcusX * c.h;
          const blocksH = mcusY * c.v;
          const bx0 = Math.floor(Math.floor((region.x * c.h) / hMax) / 8);
          const by0 = Math.floor(Math.floor((region.y * c.v) / vMax) / 8);
          const bx1 = Math.min(blocksW, Math.ceil(Math.ceil(((region.x + region.width) * c.h) / hMax) / 8));
          const by1 = Math.min(blocksH, Math.ceil(Math.ceil(((region.y + region.height) * c.v) / vMax) / 8));
          const regionBlocks = (bx1 - bx0) * (by1 - by0);
          return {
            ...c,
            blocksW,
            blocksH,
            bx0,
            bx1,
            by0,
            by1,
            plane: new Uint8ClampedArray(regionBlocks * N * N),
            coefficients: progressive ? new Int16Array(regionBlocks * N * N) : undefined,
            nonZero: progressive ? new Uint32Array(blocksW * blocksH * 2) : undefined,
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
          return { component, dc: dcTables[tables >> 4], ac: acTables[tables & 15] };
        });
        if (new Set(scan.map((c) => c.component)).size !== count) throw new JpegError("a component twice in a scan");
        const ss = segment[1 + 2 * count] ?? 0;
        const se = segment[2 + 2 * count] ?? 0;
        const ah = (segment[3 + 2 * count] ?? 0) >> 4;
        const al = (segment[3 + 2 * count] ?? 0) & 15;
        if (
          progressive &&
          (ss > se || se > 63 || (ss === 0) !== (se === 0) || (ss > 0 && count !== 1) || al > 13 || ah > 13)
        )
          throw new JpegError("corrupt progressive scan");
        const dataStart = pos + length;
        if (bytes[dataStart] === 0xff && bytes[dataStart + 1] !== 0) throw new JpegError("a scan with no data");
        if (!progressive) {
          for (const c of scan) {
            if (scanned.has(c.component)) throw new JpegError("a component scanned twice");
            scanned.add(c.component);
          }
        } else if (ah === 0 && ss === 0) {
          for (const c of scan) scanned.add(c.component);
        } else if (scan.some((c) => !scanned.has(c.component))) {
          throw new JpegError("a scan before its component's first DC scan");
        }
        const reader = new BitReader(bytes, dataStart);
        const ctx: ScanContext = { hMax, vMax, width, height, N, restartInterval, quant, budget, reader };
        if (!progressive) decodeScan(scan, ctx, baselineBlock(ctx));
        else if (ss === 0) decodeScan(scan, ctx, ah === 0 ? dcFirstBlock(ctx, al) : dcRefineBlock(ctx, al));
        else decodeScan(scan, ctx, ah === 0 ? acFirstBlock(ctx, ss, se, al) : acRefineBlock(ctx, ss, se, al));
        pos = scanEnd(bytes, reader.end());
        continue;
      }
    }
    pos += length;
  }
  if (components.length === 0) throw new JpegError("no image frame");
  if (components.some((c) => !scanned.has(c))) throw new JpegError("a component has no image data");
  if (progressive) for (const c of components) inverseTransformAll(c, quant, N);
  return {
    raster: toRgba(components, region, N, hMax, vMax, adobeTransform),
    scale: N,
    progressive,
  };
}

function clampRegion(region: Region, width: number, height: number): Region {
  const x = Math.max(0, Math.min(width - 1, Math.floor(region.x)));
  const y = Math.max(0, Math.min(height - 1, Math.floor(region.y)));
  return {
    x,
    y,
    width: Math.max(1, Math.min(width - x, Math.ceil(region.width))),
    height: Math.max(1, Math.min(height - y, Math.ceil(region.height))),
  };
}

/** The smallest scale whose output still has the wanted long side: detail is never given up for speed. */
function chooseScale(longSide: number, wantedLongSide: number): number {
  for (const n of [1, 2, 4]) if ((longSide * n) / 8 >= wantedLongSide) return n;
  return 8;
}

function buildHuffman(counts: Uint8Array, symbols: Uint8Array): Huffman {
  const maxCode = new Int32Array(18).fill(-1);
  const valOffset = new Int32Array(18);
  let code = 0;
  let k = 0;
  let maxLength = 0;
  for (let length = 1; length <= 16; length++) {
    const n = counts[length - 1] ?? 0;
    if (n > 0) {
      valOffset[length] = k - code;
      code += n;
      k += n;
      maxCode[length] = code - 1;
      maxLength = length;
    }
    // More codes of a length than it has room for: the table is not a prefix code.
    if (code > 1 << length) throw new JpegError("corrupt Huffman table");
    code <<= 1;
  }
  const fast = new Uint16Array(1 << LOOKAHEAD);
  code = 0;
  k = 0;
  for (let length = 1; length <= LOOKAHEAD; length++) {
    for (let i = 0; i < (counts[length - 1] ?? 0); i++, code++, k++) {
      const shift = LOOKAHEAD - length;
      fast.fill((length << 8) | (symbols[k] ?? 0), code << shift, (code + 1) << shift);
    }
    code <<= 1;
  }
  return { maxCode, valOffset, symbols: symbols.slice(), maxLength, fast };
}

/**
 * Reads a scan's entropy-coded bits, up to 32 of them buffered. It stops buffering at a marker and
 * never invents bits: asking for more than the scan holds is an error.
 */
class BitReader {
  #acc = 0;
  #count = 0;
  #atMarker = false;
  constructor(
    private readonly bytes: Uint8Array,
    private pos: number,
  ) {}

  #fill(): void {
    while (this.#count <= 24 && !this.#atMarker) {
      if (this.pos >= this.bytes.length) {
        this.#atMarker = true;
        return;
      }
      const value = this.bytes[this.pos] ?? 0;
      if (value === 0xff) {
        if ((this.bytes[this.pos + 1] ?? 0) !== 0) {
          this.#atMarker = true;
          return;
        }
        this.pos += 2;
      } else this.pos += 1;
      this.#acc = ((this.#acc << 8) | value) >>> 0;
      this.#count += 8;
    }
  }

  #starved(): never {
    // A scan that asks for bits past its data is truncated or corrupt; padding it with zeros would paint a picture.
    throw new JpegError("corrupt image data: the scan ends early");
  }

  bit(): number {
    if (this.#count === 0) {
      this.#fill();
      if (this.#count === 0) this.#starved();
    }
    this.#count -= 1;
    return (this.#acc >>> this.#count) & 1;
  }

  bits(n: number): number {
    if (n === 0) return 0;
    if (this.#count < n) {
      this.#fill();
      if (this.#count < n) this.#starved();
    }
    this.#count -= n;
    return (this.#acc >>> this.#count) & ((1 << n) - 1);
  }

  decode(table: Huffman | undefined): number {
    if (!table) throw new JpegError("missing Huffman table");
    if (this.#count < 16) this.#fill();
    if (this.#count >= LOOKAHEAD) {
      const entry = table.fast[(this.#acc >>> (this.#count - LOOKAHEAD)) & ((1 << LOOKAHEAD) - 1)] ?? 0;
      if (entry !== 0) {
        this.#count -= entry >> 8;
        return entry & 255;
      }
    }
    let code = 0;
    for (let length = 1; length <= table.maxLength; length++) {
      code = (code << 1) | this.bit();
      if (code <= (table.maxCode[length] ?? -1)) return table.symbols[code + (table.valOffset[length] ?? 0)] ?? 0;
    }
    throw new JpegError("corrupt Huffman data");
  }

  receiveExtend(size: number): number {
    if (size === 0) return 0;
    const value = this.bits(size);
    return value < 1 << (size - 1) ? value - (1 << size) + 1 : value;
  }

  /** At a restart marker: drop the padding bits and step over RSTn, which must come right after the data. */
  restart(): void {
    if (this.#count >= 8) throw new JpegError("corrupt image data: data left over before a restart marker");
    this.#count = 0;
    this.#acc = 0;
    this.#atMarker = false;
    const marker = this.bytes[this.pos + 1] ?? 0;
    if (this.bytes[this.pos] !== 0xff || marker < 0xd0 || marker > 0xd7)
      throw new JpegError("corrupt image data: a restart interval does not end at its marker");
    this.pos += 2;
  }

  /** Just past the last byte a bit was taken from: whole buffered bytes are given back (0xFF 0x00 as one). */
  end(): number {
    let pos = this.pos;
    for (let i = 0; i < this.#count >> 3; i++) {
      pos -= 1;
      if (this.bytes[pos] === 0 && this.bytes[pos - 1] === 0xff) pos -= 1;
    }
    return pos;
  }
}

/** Where a fully read scan ends: its last byte is padding, so a marker must follow at once. */
function scanEnd(bytes: Uint8Array, at: number): number {
  if (at + 1 >= bytes.length) throw new JpegError("truncated JPEG: the image data ends early");
  if (bytes[at] !== 0xff || bytes[at + 1] === 0) throw new JpegError("corrupt image data: data left over after a scan");
  return at;
}

interface ScanComponent {
  component: Component;
  dc: Huffman | undefined;
  ac: Huffman | undefined;
}

interface ScanContext {
  reader: BitReader;
  budget: DecodeBudget;
  hMax: number;
  vMax: number;
  width: number;
  height: number;
  N: number;
  restartInterval: number;
  quant: Int32Array[];
  /** The end-of-band run a progressive AC scan carries from block to block. */
  eobrun?: number;
}

type BlockDecoder = (c: ScanComponent, bx: number, by: number) => void;

/** Visits a scan's blocks in order (one component: its own grid; several: MCU by MCU), with restarts. */
function decodeScan(scan: ScanComponent[], ctx: ScanContext, visit: BlockDecoder): void {
  for (const c of scan) c.component.pred = 0;
  ctx.eobrun = 0;
  let done = 0;
  const restart = () => {
    if (ctx.restartInterval && done > 0 && done % ctx.restartInterval === 0) {
      ctx.reader.restart();
      for (const c of scan) c.component.pred = 0;
      ctx.eobrun = 0;
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

/** Index of a block's N×N in the region's store, or -1 outside the region. */
function regionIndex(comp: Component, bx: number, by: number): number {
  if (bx < comp.bx0 || bx >= comp.bx1 || by < comp.by0 || by >= comp.by1) return -1;
  return (by - comp.by0) * (comp.bx1 - comp.bx0) + (bx - comp.bx0);
}

/** For zig-zag index k, the slot in an N×N store, or -1 when the scale does not use it. */
const slotTables = new Map<number, Int8Array>();
function slots(N: number): Int8Array {
  let table = slotTables.get(N);
  if (!table) {
    table = new Int8Array(64);
    for (let k = 0; k < 64; k++) {
      const z = ZIGZAG[k] ?? 0;
      table[k] = z >> 3 < N && (z & 7) < N ? (z >> 3) * N + (z & 7) : -1;
    }
    slotTables.set(N, table);
  }
  return table;
}

function baselineBlock(ctx: ScanContext): BlockDecoder {
  const { N, reader } = ctx;
  const block = new Float64Array(N * N);
  const slot = slots(N);
  return (c, bx, by) => {
    const comp = c.component;
    const q = ctx.quant[comp.tq];
    if (!q) throw new JpegError("missing quantization table");
    block.fill(0);
    comp.pred += reader.receiveExtend(dcSize(reader.decode(c.dc)));
    block[0] = comp.pred * (q[0] ?? 1);
    // An 8-bit encoder cannot write a DC outside ±1024: past that the entropy data is corrupt.
    if (Math.abs(block[0] ?? 0) > DC_LIMIT) throw new JpegError("corrupt image data");
    let acs = false;
    for (let k = 1; k < 64; ) {
      const rs = reader.decode(c.ac);
      const r = rs >> 4;
      const s = rs & 15;
      if (s === 0) {
        if (r !== 15) break;
        k += 16;
        continue;
      }
      k += r;
      if (k > 63 || s > 10) throw new JpegError("corrupt block");
      const value = reader.receiveExtend(s);
      const at = slot[k] ?? -1;
      if (at >= 0) {
        block[at] = value * (q[ZIGZAG[k] ?? 0] ?? 1);
        acs = true;
      }
      k++;
    }
    const index = regionIndex(comp, bx, by);
    if (index >= 0) inverseTransform(block, acs, comp, index, N);
  };
}

function dcSize(t: number): number {
  if (t > 11) throw new JpegError("corrupt DC code");
  return t;
}

function dcFirstBlock(ctx: ScanContext, al: number): BlockDecoder {
  const { reader } = ctx;
  return (c, bx, by) => {
    const comp = c.component;
    comp.pred += reader.receiveExtend(dcSize(reader.decode(c.dc)));
    const value = comp.pred * 2 ** al;
    if (Math.abs(value * (ctx.quant[comp.tq]?.[0] ?? 1)) > DC_LIMIT) throw new JpegError("corrupt image data");
    const index = regionIndex(comp, bx, by);
    if (index >= 0 && comp.coefficients) comp.coefficients[index * ctx.N * ctx.N] = value;
  };
}

function dcRefineBlock(ctx: ScanContext, al: number): BlockDecoder {
  const { reader } = ctx;
  return (c, bx, by) => {
    const comp = c.component;
    if (!reader.bit()) return;
    const index = regionIndex(comp, bx, by);
    const store = comp.coefficients;
    if (index >= 0 && store) store[index * ctx.N * ctx.N] = (store[index * ctx.N * ctx.N] ?? 0) | (1 << al);
  };
}

function setNonZero(mask: Uint32Array, block: number, k: number): void {
  const word = block * 2 + (k >> 5);
  mask[word] = (mask[word] ?? 0) | (1 << (k & 31));
}

function isNonZero(mask: Uint32Array, block: number, k: number): boolean {
  return (((mask[block * 2 + (k >> 5)] ?? 0) >>> (k & 31)) & 1) === 1;
}

function acFirstBlock(ctx: ScanContext, ss: number, se: number, al: number): BlockDecoder {
  const { reader, N } = ctx;
  const slot = slots(N);
  return (c, bx, by) => {
    if ((ctx.eobrun ?? 0) > 0) {
      ctx.eobrun = (ctx.eobrun ?? 0) - 1;
      return;
    }
    const comp = c.component;
    const mask = comp.nonZero as Uint32Array;
    const block = by * comp.blocksW + bx;
    const index = regionIndex(comp, bx, by);
    for (let k = ss; k <= se; ) {
      const rs = reader.decode(c.ac);
      const r = rs >> 4;
      const s = rs & 15;
      if (s === 0) {
        if (r < 15) {
          ctx.eobrun = (1 << r) - 1 + (r ? reader.bits(r) : 0);
          break;
        }
        k += 16;
        continue;
      }
      k += r;
      if (k > se || s > 10) throw new JpegError("corrupt block");
      const value = reader.receiveExtend(s) * 2 ** al;
      if (Math.abs(value) > AC_LIMIT) throw new JpegError("corrupt image data");
      setNonZero(mask, block, k);
      const at = slot[k] ?? -1;
      if (index >= 0 && at >= 0 && comp.coefficients) comp.coefficients[index * N * N + at] = value;
      k++;
    }
  };
}

function acRefineBlock(ctx: ScanContext, ss: number, se: number, al: number): BlockDecoder {
  const { reader, N } = ctx;
  const slot = slots(N);
  const p1 = 1 << al;
  return (c, bx, by) => {
    const comp = c.component;
    const mask = comp.nonZero as Uint32Array;
    const store = comp.coefficients as Int16Array;
    const block = by * comp.blocksW + bx;
    const index = regionIndex(comp, bx, by);
    const base = index * N * N;
    /** A correction bit for an already non-zero coefficient: it gains p1 in magnitude. */
    const refine = (k: number) => {
      if (!reader.bit()) return;
      const at = slot[k] ?? -1;
      if (index < 0 || at < 0) return;
      const value = store[base + at] ?? 0;
      if ((value & p1) === 0) store[base + at] = value >= 0 ? value + p1 : value - p1;
    };
    let k = ss;
    if ((ctx.eobrun ?? 0) === 0) {
      for (; k <= se; k++) {
        const rs = reader.decode(c.ac);
        let r = rs >> 4;
        const s = rs & 15;
        let value = 0;
        if (s) {
          if (s !== 1) throw new JpegError("corrupt refinement scan");
          value = reader.bit() ? p1 : -p1;
        } else if (r !== 15) {
          ctx.eobrun = (1 << r) + (r ? reader.bits(r) : 0);
          break;
        }
        // Step over non-zero coefficients (each takes a correction bit) and r zero ones.
        while (k <= se) {
          if (isNonZero(mask, block, k)) refine(k);
          else if (--r < 0) break;
          k++;
        }
        if (value) {
          if (k > se) throw new JpegError("corrupt refinement scan");
          setNonZero(mask, block, k);
          const at = slot[k] ?? -1;
          if (index >= 0 && at >= 0) store[base + at] = value;
        }
      }
    }
    if ((ctx.eobrun ?? 0) > 0) {
      for (; k <= se; k++) if (isNonZero(mask, block, k)) refine(k);
      ctx.eobrun = (ctx.eobrun ?? 0) - 1;
    }
  };
}

const cosTables = new Map<number, Float64Array>();
/** cos[x·N + u]: the N-point inverse DCT's basis, scaled as the 8-point one so block means stay. */
function cosTable(n: number): Float64Array {
  let table = cosTables.get(n);
  if (!table) {
    table = new Float64Array(n * n);
    for (let x = 0; x < n; x++) {
      for (let u = 0; u < n; u++) {
        table[x * n + u] = ((u === 0 ? Math.SQRT1_2 : 1) / 2) * Math.cos(((2 * x + 1) * u * Math.PI) / (2 * n));
      }
    }
    cosTables.set(n, table);
  }
  return table;
}

const rowScratch = new Float64Array(64);
/**
 * Dequantised N×N coefficients → N×N pixels of the component's plane, separably (rows, then columns),
 * skipping the coefficient rows that are all zero (most of a photo's blocks end after two or three).
 */
function inverseTransform(block: Float64Array, acs: boolean, comp: Component, index: number, N: number): void {
  const regionW = comp.bx1 - comp.bx0;
  const stride = regionW * N;
  const ox = (index % regionW) * N;
  const oy = Math.floor(index / regionW) * N;
  const plane = comp.plane;
  if (!acs) {
    const value = Math.round((block[0] ?? 0) / 8 + 128);
    for (let y = 0; y < N; y++) plane.fill(value, (oy + y) * stride + ox, (oy + y) * stride + ox + N);
    return;
  }
  const cos = cosTable(N);
  let rows = 0;
  for (let v = 0; v < N; v++) {
    let any = false;
    for (let u = 0; u < N; u++) if ((block[v * N + u] ?? 0) !== 0) any = true;
    if (!any) continue;
    rows = v + 1;
    for (let x = 0; x < N; x++) {
      let sum = 0;
      for (let u = 0; u < N; u++) sum += (cos[x * N + u] ?? 0) * (block[v * N + u] ?? 0);
      rowScratch[v * N + x] = sum;
    }
  }
  for (let v = 0; v < rows; v++) {
    let any = false;
    for (let u = 0; u < N; u++) if ((block[v * N + u] ?? 0) !== 0) any = true;
    if (!any) rowScratch.fill(0, v * N, v * N + N);
  }
  for (let y = 0; y < N; y++) {
    const row = (oy + y) * stride + ox;
    for (let x = 0; x < N; x++) {
      let sum = 128;
      for (let v = 0; v < rows; v++) sum += (cos[y * N + v] ?? 0) * (rowScratch[v * N + x] ?? 0);
      plane[row + x] = Math.round(sum);
    }
  }
}

function inverseTransformAll(comp: Component, quant: Int32Array[], N: number): void {
  const q = quant[comp.tq];
  if (!q || !comp.coefficients) throw new JpegError("missing quantization table");
  const block = new Float64Array(N * N);
  const naturalOf = new Int32Array(N * N);
  for (let y = 0; y < N; y++) for (let x = 0; x < N; x++) naturalOf[y * N + x] = y * 8 + x;
  const count = (comp.bx1 - comp.bx0) * (comp.by1 - comp.by0);
  for (let index = 0; index < count; index++) {
    let acs = false;
    for (let i = 0; i < N * N; i++) {
      const value = comp.coefficients[index * N * N + i] ?? 0;
      block[i] = value * (q[naturalOf[i] ?? 0] ?? 1);
      if (i > 0 && value !== 0) acs = true;
    }
    inverseTransform(block, acs, comp, index, N);
  }
}

function toRgba(
  components: Component[],
  region: Region,
  N: number,
  hMax: number,
  vMax: number,
  adobeTransform: number | undefined,
): Raster {
  const x0 = Math.floor((region.x * N) / 8);
  const y0 = Math.floor((region.y * N) / 8);
  const outW = Math.max(1, Math.ceil(((region.x + region.width) * N) / 8) - x0);
  const outH = Math.max(1, Math.ceil(((region.y + region.height) * N) / 8) - y0);
  const data = new Uint8ClampedArray(outW * outH * 4);
  const planes = components.map((comp) => {
    const stride = (comp.bx1 - comp.bx0) * N;
    const rows = (comp.by1 - comp.by0) * N;
    // Each output column and row's sample in this component's plane (chroma is upsampled by repetition).
    const xs = Int32Array.from({ length: outW }, (_, x) =>
      Math.min(stride - 1, Math.floor(((x0 + x) * comp.h) / hMax) - comp.bx0 * N),
    );
    const ys = Int32Array.from({ length: outH }, (_, y) =>
      Math.min(rows - 1, Math.floor(((y0 + y) * comp.v) / vMax) - comp.by0 * N),
    );
    return { plane: comp.plane, stride, xs, ys };
  });
  const [p0, p1, p2, p3] = planes;
  const transform = adobeTransform ?? (components.length === 3 ? 1 : 0);
  for (let y = 0; y < outH; y++) {
    const r0 = p0 ? (p0.ys[y] ?? 0) * p0.stride : 0;
    const r1 = p1 ? (p1.ys[y] ?? 0) * p1.stride : 0;
    const r2 = p2 ? (p2.ys[y] ?? 0) * p2.stride : 0;
    const r3 = p3 ? (p3.ys[y] ?? 0) * p3.stride : 0;
    for (let x = 0; x < outW; x++) {
      const o = (y * outW + x) * 4;
      let a = p0 ? (p0.plane[r0 + (p0.xs[x] ?? 0)] ?? 0) : 0;
      if (!p1 || !p2) {
        data[o] = data[o + 1] = data[o + 2] = a;
        data[o + 3] = 255;
        continue;
      }
      let m = p1.plane[r1 + (p1.xs[x] ?? 0)] ?? 0;
      let n = p2.plane[r2 + (p2.xs[x] ?? 0)] ?? 0;
      if (transform !== 0) {
        // YCbCr → RGB (JFIF), inline: this loop runs once per output pixel.
        const cb = m - 128;
        const cr = n - 128;
        const luma = a;
        a = luma + 1.402 * cr;
        m = luma - 0.344136 * cb - 0.714136 * cr;
        n = luma + 1.772 * cb;
      }
      if (p3) {
        const k = p3.plane[r3 + (p3.xs[x] ?? 0)] ?? 0;
        // Adobe writes CMYK inverted; other encoders write it straight.
        if (adobeTransform !== undefined) {
          a = (a * k) / 255;
          m = (m * k) / 255;
          n = (n * k) / 255;
        } else {
          a = ((255 - a) * (255 - k)) / 255;
          m = ((255 - m) * (255 - k)) / 255;
          n = ((255 - n) * (255 - k)) / 255;
        }
      }
      data[o] = a;
      data[o + 1] = m;
      data[o + 2] = n;
      data[o + 3] = 255;
    }
  }
  return { data, width: outW, height: outH };
}
