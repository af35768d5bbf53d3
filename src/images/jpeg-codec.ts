import type { Raster } from "../domain/ports";
import { DecoderError, type Geometry } from "./decode-limits";
import createJpegCodec, { type JpegCodecModule } from "./wasm/jpeg-codec.js";
import JPEG_CODEC from "./wasm/jpeg-codec.wasm";

/**
 * Our libjpeg-turbo build (wasm/jpeg/build.sh): a JPEG decode at a DCT scale of 1/8 to 8/8, cut to a
 * region, bounded in memory and scans; a lanczos3 resize; a baseline JPEG encode. Each `JpegCodec` is
 * a fresh WASM instance: its memory only grows, so it is used for one photo and dropped.
 */

/** What libjpeg's coefficient buffers may take (a 4096² progressive 4:2:0 file needs about 50 MiB). */
export const JPEG_MAX_MEMORY = 72 * 2 ** 20;
/** Scans a progressive file may have: encoders write 6 to 12; each is a pass over every block. */
export const JPEG_MAX_SCANS = 32;

const OK = 0;
const TOO_COMPLEX = 2;
const NO_MEMORY = 4;

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

export class JpegCodec {
  private constructor(private readonly wasm: JpegCodecModule) {}

  static async create(): Promise<JpegCodec> {
    const wasm = await createJpegCodec({
      instantiateWasm(imports, done) {
        WebAssembly.instantiate(JPEG_CODEC, imports).then((instance) => done(instance));
        return {};
      },
    });
    return new JpegCodec(wasm);
  }

  /** Decodes at `scale`/8, the region only when given; the file must be `expected` in size. */
  decode(bytes: Uint8Array, expected: Geometry, scale: number, region?: Region): Raster {
    const input = this.copyIn(bytes);
    try {
      const r = region ?? { x: 0, y: 0, width: 0, height: 0 };
      const status = this.wasm._decode_jpeg(
        input,
        bytes.length,
        expected.width,
        expected.height,
        scale,
        Math.round(r.x),
        Math.round(r.y),
        Math.round(r.width),
        Math.round(r.height),
        JPEG_MAX_MEMORY,
        JPEG_MAX_SCANS,
      );
      return this.rasterOut(status, "JPEG decoder");
    } finally {
      this.wasm._codec_free(input);
    }
  }

  /** Lanczos3 to exactly width × height, as libvips' reduce does. */
  resize(image: Raster, width: number, height: number): Raster {
    const input = this.copyIn(image.data);
    try {
      return this.rasterOut(this.wasm._resize_rgba(input, image.width, image.height, width, height), "resize");
    } finally {
      this.wasm._codec_free(input);
    }
  }

  /** A baseline 4:2:0 JPEG with optimised Huffman tables. */
  encode(image: Raster, quality: number): ArrayBuffer {
    const input = this.copyIn(image.data);
    try {
      this.check(this.wasm._encode_jpeg(input, image.width, image.height, quality), "JPEG encoder");
      const result = this.wasm._codec_result();
      const out = this.wasm.HEAPU8.slice(result, result + this.wasm._codec_result_size()).buffer;
      this.wasm._codec_free(result);
      return out;
    } finally {
      this.wasm._codec_free(input);
    }
  }

  private copyIn(bytes: Uint8Array | Uint8ClampedArray): number {
    const pointer = this.wasm._codec_alloc(bytes.length);
    if (pointer === 0) throw new JpegCodecError(`no memory for ${bytes.length} bytes`, true);
    this.wasm.HEAPU8.set(bytes, pointer);
    return pointer;
  }

  private rasterOut(status: number, what: string): Raster {
    this.check(status, what);
    const result = this.wasm._codec_result();
    const data = new Uint8ClampedArray(this.wasm.HEAPU8.buffer.slice(result, result + this.wasm._codec_result_size()));
    this.wasm._codec_free(result);
    return { data, width: this.wasm._codec_width(), height: this.wasm._codec_height() };
  }

  private check(status: number, what: string): void {
    if (status === OK) return;
    const at = this.wasm._codec_message();
    const end = this.wasm.HEAPU8.indexOf(0, at);
    const message = new TextDecoder().decode(this.wasm.HEAPU8.subarray(at, end));
    throw new JpegCodecError(`${what}: ${message}`, status === TOO_COMPLEX || status === NO_MEMORY);
  }
}
