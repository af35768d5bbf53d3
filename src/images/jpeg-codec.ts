import type { Raster } from "../domain/ports";
import { DecoderError, type Geometry } from "./decode-limits";
import createJpegCodec, { type JpegCodecModule } from "./wasm/jpeg-codec.js";
import JPEG_CODEC from "./wasm/jpeg-codec.wasm";

/**
 * Our libjpeg-turbo build (wasm/jpeg/build.sh): a JPEG decode at a DCT scale of 1/8 to 8/8, cut to a
 * region, bounded in memory and scans; a lanczos3 resize; a baseline JPEG encode. Each `JpegCodec` is
 * one WASM instance, kept between photos while its memory stays small (see `use`).
 *
 * Each of the three runs in steps of about `STEP_PIXELS` pixels (`Steps`): a photo check awaits a pause
 * between them, so that a webhook answer on the same thread waits for one step, never for a whole decode.
 */

/**
 * What libjpeg's coefficient buffers may take. When a progressive file's full buffers would take more
 * than half of it (a 4096² file: 50 MB at 4:2:0, 100 MB at 4:4:4), our patch keeps a nonzero mask per
 * block and only the coefficients the decode's scale and region need (wasm/jpeg/compact-coef.patch),
 * and refuses only what still does not fit.
 */
export const JPEG_MAX_MEMORY = 72 * 2 ** 20;
/** Scans a progressive file may have: encoders write 6 to 12; each is a pass over every block. */
export const JPEG_MAX_SCANS = 32;

const OK = 0;
const TOO_COMPLEX = 2;
const NO_MEMORY = 4;
const MORE = 5;

/** Pixels one step of a decode, resize or encode works on: 2 to 3 ms of a 1 MP photo's decode or encode here. */
export const STEP_PIXELS = 2 ** 17;

/** Work inside the codec in steps: each `next()` runs one band of rows; the last returns the result. */
export type Steps<T> = Generator<void, T, void>;

/** Runs every step now, one after another. */
export function finishNow<T>(steps: Steps<T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** Runs the steps, awaiting `pause` between each two; work left unfinished (pause threw) is dropped inside the codec. */
export async function finishPausing<T>(steps: Steps<T>, pause: () => Promise<void>): Promise<T> {
  try {
    for (;;) {
      const step = steps.next();
      if (step.done) return step.value;
      await pause();
    }
  } finally {
    steps.return(undefined as T);
  }
}

/** Rows of `width` pixels in one step. */
function rowsPerStep(width: number): number {
  return Math.max(1, Math.floor(STEP_PIXELS / Math.max(1, width)));
}

/** A decode or encode the codec refused; `tooComplex` when it needed more memory than it may have. */
export class JpegCodecError extends DecoderError {
  constructor(
    message: string,
    readonly tooComplex: boolean,
  ) {
    super(message);
  }
}

/** A pixel rectangle in the stored (not yet EXIF-rotated) picture. */
export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The smallest M (of M/8) at which `side` source pixels become at least min(`want`, `side`) pixels. */
export function jpegScaleFor(side: number, want: number): number {
  const target = Math.min(want, side);
  for (let m = 1; m < 8; m++) if (Math.ceil((side * m) / 8) >= target) return m;
  return 8;
}

/** The sums a photo's quality score and difference hash are made of (see `JpegCodec.photoStats`). */
export interface PhotoStats {
  pixels: number;
  lumaSum: number;
  clipped: number;
  /** The sum of squared deviations of luma from its mean. */
  deviations: number;
  laplacianSum: number;
  laplacianSquares: number;
  laplacianCount: number;
  /** The mean grey of each of the difference hash's 9 × 8 cells, row by row. */
  cells: Float64Array;
}

const STATS_CELLS = 9 * 8;

/** Pixels inside a codec's WASM memory: what passes between its steps without a copy into JS. */
export interface WasmRaster {
  readonly pointer: number;
  readonly width: number;
  readonly height: number;
}

/**
 * A codec kept between photos while its memory stays this small: fresh memory costs a page fault per
 * 4 KiB on first touch, which on the bench machine is more than the decode itself. A decode that grew it
 * past this (a large progressive file) drops it, so the isolate does not keep that peak.
 */
export const JPEG_KEEP_BYTES = 64 * 2 ** 20;
let kept: JpegCodec | undefined;

export class JpegCodec {
  private constructor(private readonly wasm: JpegCodecModule) {}

  /** A fresh instance. */
  static async create(): Promise<JpegCodec> {
    const wasm = await createJpegCodec({
      // The module is compiled already (JPEG_CODEC), so the glue must not work out a URL for the .wasm:
      // without locateFile it calls new URL(…, import.meta.url), which throws in a bundled Worker.
      locateFile: (path) => path,
      instantiateWasm(imports, done) {
        WebAssembly.instantiate(JPEG_CODEC, imports).then((instance) => done(instance));
        return {};
      },
    });
    return new JpegCodec(wasm);
  }

  /**
   * Runs `work` on the kept instance (made when there is none). The instance is taken out while
   * `work` runs, so a photo checked meanwhile (when `work` pauses) gets one of its own; it is dropped
   * after an error or when its memory grew too large.
   */
  static async use<T>(work: (codec: JpegCodec) => T | Promise<T>): Promise<T> {
    const codec = kept ?? (await JpegCodec.create());
    kept = undefined;
    const result = await work(codec);
    if (codec.wasm.HEAPU8.byteLength <= JPEG_KEEP_BYTES) kept = codec;
    return result;
  }

  /**
   * Decodes at `scale`/8, the region only when given; the file must be `expected` in size, and its
   * coefficients fit in `maxMemory` bytes.
   */
  decode(bytes: Uint8Array, expected: Geometry, scale: number, region?: Region, maxMemory = JPEG_MAX_MEMORY): Raster {
    return this.take(finishNow(this.decodeSteps(bytes, expected, scale, region, maxMemory)));
  }

  decodeInside(
    bytes: Uint8Array,
    expected: Geometry,
    scale: number,
    region?: Region,
    maxMemory = JPEG_MAX_MEMORY,
  ): WasmRaster {
    return finishNow(this.decodeSteps(bytes, expected, scale, region, maxMemory));
  }

  /** `decodeInside` in steps: the header, a progressive file's scans 16 KB of input a step, then bands of rows. */
  *decodeSteps(
    bytes: Uint8Array,
    expected: Geometry,
    scale: number,
    region?: Region,
    maxMemory = JPEG_MAX_MEMORY,
  ): Steps<WasmRaster> {
    const input = this.copyIn(bytes);
    try {
      const r = region ?? { x: 0, y: 0, width: 0, height: 0 };
      const begun = this.wasm._decode_begin(
        input,
        bytes.length,
        expected.width,
        expected.height,
        scale,
        Math.round(r.x),
        Math.round(r.y),
        Math.round(r.width),
        Math.round(r.height),
        maxMemory,
        JPEG_MAX_SCANS,
      );
      // The output's width is known only inside; a band is sized on the widest it can be.
      const width = r.width > 0 ? Math.ceil((r.width * scale) / 8) : Math.ceil((expected.width * scale) / 8);
      const rows = rowsPerStep(width);
      yield* this.stepped(
        begun,
        () => this.wasm._decode_rows(rows),
        () => this.wasm._decode_cancel(),
        "JPEG decoder",
      );
      return this.resultRaster();
    } finally {
      this.wasm._codec_free(input);
    }
  }

  /** Lanczos3 to exactly width × height, as libvips' reduce does. */
  resize(image: Raster, width: number, height: number): Raster {
    const inside = this.put(image);
    try {
      return this.take(this.resizeInside(inside, width, height));
    } finally {
      this.free(inside);
    }
  }

  resizeInside(image: WasmRaster, width: number, height: number): WasmRaster {
    return finishNow(this.resizeSteps(image, width, height));
  }

  /** `resizeInside` in bands of output rows; `image` must not be freed before the last step. */
  *resizeSteps(image: WasmRaster, width: number, height: number): Steps<WasmRaster> {
    const begun = this.wasm._resize_begin(image.pointer, image.width, image.height, width, height);
    // A band's cost is its output rows and the source rows they reach: sized on the wider of the two.
    const rows = rowsPerStep(Math.max(width, (image.width * image.height) / Math.max(1, height)));
    yield* this.stepped(
      begun,
      () => this.wasm._resize_rows(rows),
      () => this.wasm._resize_cancel(),
      "resize",
    );
    return this.resultRaster();
  }

  /** A baseline 4:2:0 JPEG with optimised Huffman tables. */
  encode(image: Raster, quality: number): ArrayBuffer {
    const inside = this.put(image);
    try {
      return this.encodeInside(inside, quality);
    } finally {
      this.free(inside);
    }
  }

  encodeInside(image: WasmRaster, quality: number): ArrayBuffer {
    return finishNow(this.encodeSteps(image, quality));
  }

  /** `encodeInside` in bands of rows, then the Huffman pass that writes the file, as many steps; `image` must not be freed before the last. */
  *encodeSteps(image: WasmRaster, quality: number): Steps<ArrayBuffer> {
    const begun = this.wasm._encode_begin(image.pointer, image.width, image.height, quality);
    const rows = rowsPerStep(image.width);
    yield* this.stepped(
      begun,
      () => this.wasm._encode_rows(rows),
      () => this.wasm._encode_cancel(),
      "JPEG encoder",
    );
    const result = this.wasm._codec_result();
    const out = this.wasm.HEAPU8.slice(result, result + this.wasm._codec_result_size()).buffer;
    this.wasm._codec_free(result);
    return out;
  }

  /**
   * A picture's luma statistics and the difference hash's cell means, read inside the codec: compiled
   * code from the first photo of an isolate on, where the same loops in JS ran mostly interpreted.
   */
  photoStats(image: WasmRaster): PhotoStats {
    const out = this.alloc((6 + STATS_CELLS) * 8);
    try {
      this.check(this.wasm._photo_stats(image.pointer, image.width, image.height, out), "statistics");
      const values = new Float64Array(this.wasm.HEAPU8.buffer.slice(out, out + (6 + STATS_CELLS) * 8));
      const [lumaSum = 0, clipped = 0, deviations = 0, laplacianSum = 0, laplacianSquares = 0, laplacianCount = 0] =
        values;
      return {
        pixels: image.width * image.height,
        lumaSum,
        clipped,
        deviations,
        laplacianSum,
        laplacianSquares,
        laplacianCount,
        cells: values.subarray(6),
      };
    } finally {
      this.wasm._codec_free(out);
    }
  }

  /** A copy of a JS raster inside; free it with `free`. */
  put(image: Raster): WasmRaster {
    return { pointer: this.copyIn(image.data), width: image.width, height: image.height };
  }

  /** A copy of pixels inside as a JS raster; the inside copy is freed. */
  take(image: WasmRaster): Raster {
    const bytes = image.width * image.height * 4;
    const data = new Uint8ClampedArray(this.wasm.HEAPU8.buffer.slice(image.pointer, image.pointer + bytes));
    this.free(image);
    return { data, width: image.width, height: image.height };
  }

  free(image: WasmRaster): void {
    this.wasm._codec_free(image.pointer);
  }

  private copyIn(bytes: Uint8Array | Uint8ClampedArray): number {
    const pointer = this.alloc(bytes.length);
    this.wasm.HEAPU8.set(bytes, pointer);
    return pointer;
  }

  private alloc(size: number): number {
    const pointer = this.wasm._codec_alloc(size);
    if (pointer === 0) throw new JpegCodecError(`no memory for ${size} bytes`, true);
    return pointer;
  }

  /**
   * Drives work the codec has begun (`begun`: its first status) one `step` per `next()` until it stops
   * answering MORE; work abandoned part-way is cancelled inside. Its result is then in codec_result().
   */
  private *stepped(begun: number, step: () => number, cancel: () => void, what: string): Steps<void> {
    let status = begun;
    try {
      while (status === MORE) {
        yield;
        status = step();
      }
    } finally {
      if (status === MORE) cancel();
    }
    this.check(status, what);
  }

  /** The picture the last decode or resize made. */
  private resultRaster(): WasmRaster {
    return { pointer: this.wasm._codec_result(), width: this.wasm._codec_width(), height: this.wasm._codec_height() };
  }

  private check(status: number, what: string): void {
    if (status === OK) return;
    const at = this.wasm._codec_message();
    const end = this.wasm.HEAPU8.indexOf(0, at);
    const message = new TextDecoder().decode(this.wasm.HEAPU8.subarray(at, end));
    throw new JpegCodecError(`${what}: ${message}`, status === TOO_COMPLEX || status === NO_MEMORY);
  }
}
