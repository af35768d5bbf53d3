// The emscripten factory that wasm/jpeg/build.sh writes next to this file (jpeg-codec.js).
export interface JpegCodecModule {
  HEAPU8: Uint8Array;
  _decode_begin(
    data: number,
    size: number,
    expectWidth: number,
    expectHeight: number,
    scale: number,
    regionX: number,
    regionY: number,
    regionWidth: number,
    regionHeight: number,
    maxMemory: number,
    maxScans: number,
  ): number;
  _decode_rows(rows: number): number;
  _decode_cancel(): void;
  _resize_begin(data: number, width: number, height: number, outWidth: number, outHeight: number): number;
  _resize_rows(rows: number): number;
  _resize_cancel(): void;
  _encode_begin(data: number, width: number, height: number, quality: number): number;
  _encode_rows(rows: number): number;
  _encode_cancel(): void;
  _photo_stats(data: number, width: number, height: number, out: number): number;
  _codec_message(): number;
  _codec_result(): number;
  _codec_result_size(): number;
  _codec_width(): number;
  _codec_height(): number;
  _codec_alloc(size: number): number;
  _codec_free(pointer: number): void;
}

export default function createJpegCodec(options: {
  locateFile(path: string): string;
  instantiateWasm(
    imports: WebAssembly.Imports,
    done: (instance: WebAssembly.Instance, module?: WebAssembly.Module) => void,
  ): object;
}): Promise<JpegCodecModule>;
