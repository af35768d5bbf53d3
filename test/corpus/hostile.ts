import { zlibSync } from "fflate";
import { concat, pngChunk } from "./images";

/**
 * Crafted files, each built from a sound seed, that pass the sniff and the header checks but aim at
 * the decoders: a second frame header, impossible components, scans without data, inflation bombs.
 */

/** A JPEG's segments in order; a scan's entropy data stays with its SOS. */
export function jpegSegments(bytes: Uint8Array): Uint8Array[] {
  const segments: Uint8Array[] = [bytes.subarray(0, 2)];
  let pos = 2;
  while (pos < bytes.length) {
    const marker = bytes[pos + 1] ?? 0;
    if (marker === 0xd9) {
      segments.push(bytes.subarray(pos, pos + 2));
      break;
    }
    let end = pos + 2 + (((bytes[pos + 2] ?? 0) << 8) | (bytes[pos + 3] ?? 0));
    if (marker === 0xda) {
      while (end < bytes.length && !(bytes[end] === 0xff && (bytes[end + 1] ?? 0) !== 0 && !isRst(bytes[end + 1])))
        end++;
    }
    segments.push(bytes.subarray(pos, end));
    pos = end;
  }
  return segments;
}

const isRst = (marker: number | undefined) => marker !== undefined && marker >= 0xd0 && marker <= 0xd7;

export const markerOf = (segment: Uint8Array) => segment[1] ?? 0;

export function segment(marker: number, body: number[] | Uint8Array): Uint8Array {
  return new Uint8Array([0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 255, ...body]);
}

/** Replaces the frame header's body (after the length), keeping everything else. */
export function withFrame(bytes: Uint8Array, edit: (body: Uint8Array) => Uint8Array): Uint8Array {
  return concat(
    jpegSegments(bytes).map((s) =>
      [0xc0, 0xc1, 0xc2].includes(markerOf(s)) ? segment(markerOf(s), edit(s.slice(4))) : s,
    ),
  );
}

/** A second SOF, claiming `width`×`height`, right after the first: image-size reads only the first. */
export function withSecondFrame(bytes: Uint8Array, width: number, height: number): Uint8Array {
  return concat(
    jpegSegments(bytes).flatMap((s) => {
      if (![0xc0, 0xc1, 0xc2].includes(markerOf(s))) return [s];
      const body = s.slice(4);
      body.set([height >> 8, height & 255, width >> 8, width & 255], 1);
      return [s, segment(markerOf(s), body)];
    }),
  );
}

/** A frame of `count` components, each 1×1 sampled: 255 used to allocate a plane for every one. */
export function withComponents(bytes: Uint8Array, count: number): Uint8Array {
  return withFrame(bytes, (body) => {
    const out = [...body.subarray(0, 5), count];
    for (let c = 0; c < count; c++) out.push(c + 1, 0x11, 0);
    return new Uint8Array(out);
  });
}

/** Sets component `index`'s sampling byte (h << 4 | v). */
export function withSampling(bytes: Uint8Array, index: number, hv: number): Uint8Array {
  return withFrame(bytes, (body) => {
    const out = body.slice();
    out[7 + 3 * index] = hv;
    return out;
  });
}

/**
 * About 150 bytes: a grey 4096×4096 frame with one table of one code, a scan header and no entropy
 * data at all. A bit reader that returns zeros when starved paints it grey for seconds.
 */
export function jpegWithoutEntropyData(width = 4096, height = 4096): Uint8Array {
  return concat([
    new Uint8Array([0xff, 0xd8]),
    segment(0xdb, [0, ...new Array(64).fill(1)]),
    segment(0xc0, [8, height >> 8, height & 255, width >> 8, width & 255, 1, 1, 0x11, 0]),
    segment(0xc4, [0x00, 1, ...new Array(15).fill(0), 0]),
    segment(0xc4, [0x10, 1, ...new Array(15).fill(0), 0]),
    segment(0xda, [1, 1, 0, 0, 63, 0]),
    new Uint8Array([0xff, 0xd9]),
  ]);
}

/** The same frame with a scan whose data is `length` bytes of one code over and over. */
export function jpegWithShortScan(bytes = 64): Uint8Array {
  const full = jpegWithoutEntropyData();
  const at = full.length - 2;
  return concat([full.subarray(0, at), new Uint8Array(bytes).fill(0x00), full.subarray(at)]);
}

/** A segment whose length field says 0, which a parser that adds the length to its position never leaves. */
export function withZeroLengthSegment(bytes: Uint8Array): Uint8Array {
  return concat([bytes.subarray(0, 2), new Uint8Array([0xff, 0xe5, 0, 0]), bytes.subarray(2)]);
}

/** Every AC scan of a progressive file repeated `times` times: a CPU bomb of valid scans. */
export function withRepeatedScans(bytes: Uint8Array, times: number): Uint8Array {
  const segments = jpegSegments(bytes);
  const eoi = segments.pop() as Uint8Array;
  const acScans = segments.filter((s) => markerOf(s) === 0xda && (s[5 + 2 * (s[4] ?? 0)] ?? 0) > 0);
  return concat([...segments, ...Array.from({ length: times }, () => acScans).flat(), eoi]);
}

/**
 * The first DC scan of a progressive file repeated `times` times. With a successive-approximation
 * shift of 0 each repeat is a valid scan to libjpeg (no progression warning), so only a scan limit stops it.
 */
export function withRepeatedDcScan(bytes: Uint8Array, times: number): Uint8Array {
  const segments = jpegSegments(bytes);
  const eoi = segments.pop() as Uint8Array;
  const dc = segments.find((s) => markerOf(s) === 0xda && (s[5 + 2 * (s[4] ?? 0)] ?? 1) === 0) as Uint8Array;
  return concat([...segments, ...Array.from({ length: times }, () => dc), eoi]);
}

/** Fill bytes (0xFF) before every marker after SOI, which T.81 allows. */
export function withFillBytes(bytes: Uint8Array): Uint8Array {
  const [soi, ...rest] = jpegSegments(bytes);
  return concat([soi as Uint8Array, ...rest.flatMap((s) => [new Uint8Array([0xff, 0xff]), s])]);
}

// PNG

export function pngChunks(bytes: Uint8Array): Array<{ type: string; data: Uint8Array }> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: Array<{ type: string; data: Uint8Array }> = [];
  for (let pos = 8; pos + 12 <= bytes.length; ) {
    const length = view.getUint32(pos);
    chunks.push({
      type: String.fromCharCode(...bytes.subarray(pos + 4, pos + 8)),
      data: bytes.subarray(pos + 8, pos + 8 + length),
    });
    pos += 12 + length;
  }
  return chunks;
}

export function buildPng(chunks: Array<{ type: string; data: Uint8Array }>): Uint8Array {
  return concat([
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    ...chunks.map((c) => pngChunk(c.type, c.data)),
  ]);
}

export function ihdr(width: number, height: number, depth = 8, colorType = 2, interlace = 0): Uint8Array {
  const data = new Uint8Array(13);
  const view = new DataView(data.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  data.set([depth, colorType, 0, 0, interlace], 8);
  return data;
}

/** A second IHDR, claiming `width`×`height`, right after the first. */
export function withSecondIhdr(bytes: Uint8Array, width: number, height: number): Uint8Array {
  return buildPng(
    pngChunks(bytes).flatMap((c) => (c.type === "IHDR" ? [c, { type: "IHDR", data: ihdr(width, height) }] : [c])),
  );
}

/**
 * An 8-bit RGB PNG of `width`×`height` whose IDAT inflates to its rows and then `extraBytes` more zeros:
 * a small file that inflates far past the geometry.
 */
export function pngInflatingPast(width: number, height: number, extraBytes: number): Uint8Array {
  const raw = new Uint8Array((width * 3 + 1) * height + extraBytes);
  return buildPng([
    { type: "IHDR", data: ihdr(width, height) },
    { type: "IDAT", data: zlibSync(raw, { level: 9 }) },
    { type: "IEND", data: new Uint8Array() },
  ]);
}

// WEBP

/** A VP8X header whose canvas says `width`×`height`, before the seed's own bitstream. */
export function webpWithCanvas(bytes: Uint8Array, width: number, height: number, flags = 0): Uint8Array {
  const body = bytes.subarray(12);
  const vp8x = new Uint8Array(18);
  const view = new DataView(vp8x.buffer);
  vp8x.set(new TextEncoder().encode("VP8X"), 0);
  view.setUint32(4, 10, true);
  vp8x[8] = flags;
  vp8x.set([(width - 1) & 255, ((width - 1) >> 8) & 255, (width - 1) >> 16], 12);
  vp8x.set([(height - 1) & 255, ((height - 1) >> 8) & 255, (height - 1) >> 16], 15);
  const out = concat([
    new TextEncoder().encode("RIFF"),
    new Uint8Array(4),
    new TextEncoder().encode("WEBP"),
    vp8x,
    body,
  ]);
  new DataView(out.buffer).setUint32(4, out.length - 8, true);
  return out;
}

/**
 * A simple WEBP (no VP8X) whose bitstream header is rewritten to say `width`×`height`: the file keeps
 * the seed's data, far too little for that geometry, and passes the header and structure checks.
 */
export function webpClaiming(bytes: Uint8Array, width: number, height: number): Uint8Array {
  const out = bytes.slice();
  const view = new DataView(out.buffer);
  const type = new TextDecoder().decode(out.subarray(12, 16));
  if (type === "VP8L") {
    const bits = view.getUint32(21, true);
    view.setUint32(21, (bits & ~0xfffffff) | (width - 1) | ((height - 1) << 14), true);
  } else if (type === "VP8 ") {
    view.setUint16(26, (view.getUint16(26, true) & 0xc000) | width, true);
    view.setUint16(28, (view.getUint16(28, true) & 0xc000) | height, true);
  } else throw new Error(`not a simple WEBP: ${type}`);
  return out;
}

/** A simple WEBP cut to `length` bytes, its RIFF and chunk sizes rewritten to match: only the bitstream is short. */
export function webpCutShort(bytes: Uint8Array, length: number): Uint8Array {
  const out = bytes.slice(0, length + (length & 1));
  const view = new DataView(out.buffer);
  view.setUint32(4, out.length - 8, true);
  view.setUint32(16, length - 20, true);
  return out;
}

/**
 * A baseline greyscale JPEG with a restart marker every `interval` blocks (the codec library writes
 * none): each 8×8 block is flat, `level(bx, by)`, so it is one DC difference and an end-of-block.
 */
export function jpegWithRestarts(
  width: number,
  height: number,
  interval: number,
  level: (bx: number, by: number) => number,
): Uint8Array {
  const dcCounts = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
  const dcCodes: Array<[number, number]> = [];
  let code = 0;
  let symbol = 0;
  for (let length = 1; length <= 16; length++) {
    for (let i = 0; i < (dcCounts[length - 1] ?? 0); i++) dcCodes[symbol++] = [code++, length];
    code <<= 1;
  }
  const out: number[] = [];
  let bits: number[] = [];
  const put = (value: number, length: number) => {
    for (let i = length - 1; i >= 0; i--) bits.push((value >> i) & 1);
  };
  const flush = () => {
    while (bits.length % 8) bits.push(1);
    for (let i = 0; i < bits.length; i += 8) {
      const byte = bits.slice(i, i + 8).reduce((a, bit) => (a << 1) | bit, 0);
      out.push(byte);
      if (byte === 0xff) out.push(0);
    }
    bits = [];
  };
  const blocksW = Math.ceil(width / 8);
  const blocksH = Math.ceil(height / 8);
  let pred = 0;
  let restarts = 0;
  for (let b = 0; b < blocksW * blocksH; b++) {
    if (b > 0 && b % interval === 0) {
      flush();
      out.push(0xff, 0xd0 + (restarts++ % 8));
      pred = 0;
    }
    const dc = (level(b % blocksW, Math.floor(b / blocksW)) - 128) * 8;
    const diff = dc - pred;
    pred = dc;
    const size = diff === 0 ? 0 : Math.floor(Math.log2(Math.abs(diff))) + 1;
    const [dcCode, dcLength] = dcCodes[size] ?? [0, 0];
    put(dcCode, dcLength);
    if (size > 0) put(diff > 0 ? diff : diff + (1 << size) - 1, size);
    put(0, 1); // EOB
  }
  flush();
  return concat([
    new Uint8Array([0xff, 0xd8]),
    segment(0xdb, [0, ...new Array(64).fill(1)]),
    segment(0xc0, [8, height >> 8, height & 255, width >> 8, width & 255, 1, 1, 0x11, 0]),
    segment(0xc4, [0x00, ...dcCounts, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
    segment(0xc4, [0x10, 1, ...new Array(15).fill(0), 0]),
    segment(0xdd, [interval >> 8, interval & 255]),
    segment(0xda, [1, 1, 0, 0, 63, 0]),
    new Uint8Array(out),
    new Uint8Array([0xff, 0xd9]),
  ]);
}

/** An Adam7-interlaced 8-bit RGB PNG (the codec library writes none), every row unfiltered. */
export function interlacedPng(width: number, height: number, pixel: (x: number, y: number) => number[]): Uint8Array {
  const passes = [
    [0, 0, 8, 8],
    [4, 0, 8, 8],
    [0, 4, 4, 8],
    [2, 0, 4, 4],
    [0, 2, 2, 4],
    [1, 0, 2, 2],
    [0, 1, 1, 2],
  ];
  const raw: number[] = [];
  for (const [x0 = 0, y0 = 0, dx = 1, dy = 1] of passes) {
    if (x0 >= width || y0 >= height) continue;
    for (let y = y0; y < height; y += dy) {
      raw.push(0);
      for (let x = x0; x < width; x += dx) raw.push(...pixel(x, y));
    }
  }
  return buildPng([
    { type: "IHDR", data: ihdr(width, height, 8, 2, 1) },
    { type: "IDAT", data: zlibSync(new Uint8Array(raw)) },
    { type: "IEND", data: new Uint8Array() },
  ]);
}
