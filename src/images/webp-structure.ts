import { DecoderError, expectGeometry, type Geometry } from "./decode-limits";

export class WebpError extends DecoderError {}

/**
 * Walks a WEBP's RIFF chunks before libwebp sees it: a still image whose bitstream (VP8 or VP8L, after
 * an optional VP8X) has the geometry the header checks accepted. Animations are refused.
 */
export function checkWebpStructure(bytes: Uint8Array, expected?: Geometry): Geometry {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fourcc = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));
  if (bytes.length < 30 || fourcc(0) !== "RIFF" || fourcc(8) !== "WEBP") throw new WebpError("not a WEBP");
  const end = view.getUint32(4, true) + 8;
  if (end > bytes.length) throw new WebpError("truncated WEBP");
  let canvas: Geometry | undefined;
  for (let pos = 12; pos + 8 <= end; ) {
    const type = fourcc(pos);
    const size = view.getUint32(pos + 4, true);
    const body = pos + 8;
    if (body + size > end) throw new WebpError("truncated WEBP chunk");
    if (type === "VP8X") {
      if (pos !== 12 || size < 10) throw new WebpError("corrupt VP8X");
      if ((bytes[body] ?? 0) & 0x02) throw new WebpError("animated WEBP");
      canvas = { width: u24(bytes, body + 4) + 1, height: u24(bytes, body + 7) + 1 };
      expectGeometry(canvas, expected, "the WEBP canvas");
    } else if (type === "VP8 " || type === "VP8L") {
      const frame = type === "VP8 " ? vp8Geometry(bytes, view, body, size) : vp8lGeometry(bytes, view, body, size);
      expectGeometry(frame, canvas ?? expected, "the WEBP bitstream");
      return frame;
    } else if (type === "ANIM" || type === "ANMF") throw new WebpError("animated WEBP");
    else if (pos === 12) throw new WebpError(`unknown first chunk ${type}`);
    pos = body + size + (size & 1);
  }
  throw new WebpError("no image data");
}

function u24(bytes: Uint8Array, at: number): number {
  return (bytes[at] ?? 0) | ((bytes[at + 1] ?? 0) << 8) | ((bytes[at + 2] ?? 0) << 16);
}

function vp8Geometry(bytes: Uint8Array, view: DataView, at: number, size: number): Geometry {
  if (size < 10 || (bytes[at] ?? 1) & 1) throw new WebpError("corrupt VP8 frame");
  if (bytes[at + 3] !== 0x9d || bytes[at + 4] !== 0x01 || bytes[at + 5] !== 0x2a)
    throw new WebpError("corrupt VP8 frame");
  return { width: view.getUint16(at + 6, true) & 0x3fff, height: view.getUint16(at + 8, true) & 0x3fff };
}

function vp8lGeometry(bytes: Uint8Array, view: DataView, at: number, size: number): Geometry {
  if (size < 5 || bytes[at] !== 0x2f) throw new WebpError("corrupt VP8L bitstream");
  const bits = view.getUint32(at + 1, true);
  if (bits >>> 29 !== 0) throw new WebpError("unknown VP8L version");
  return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
}
