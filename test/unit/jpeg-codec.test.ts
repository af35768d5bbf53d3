import { describe, expect, it } from "vitest";
import type { Raster } from "../../src/images/codecs";
import {
  finishNow,
  finishPausing,
  JpegCodec,
  JpegCodecError,
  jpegScaleFor,
  STEP_PIXELS,
  type Steps,
} from "../../src/images/jpeg-codec";
import { orient } from "../../src/images/prepare";
import { decodeJpegReference, jpeg, picture } from "../corpus/images";

/** Mean absolute difference per channel between two rasters of one size. */
function meanDifference(a: Raster, b: Raster): number {
  expect([a.width, a.height]).toEqual([b.width, b.height]);
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) sum += Math.abs((a.data[i] ?? 0) - (b.data[i] ?? 0));
  return sum / a.data.length;
}

function crop(image: Raster, x: number, y: number, width: number, height: number): Raster {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let row = 0; row < height; row++) {
    const from = ((y + row) * image.width + x) * 4;
    data.set(image.data.subarray(from, from + width * 4), row * width * 4);
  }
  return { data, width, height };
}

/** The luma component's sampling factors, h × v, from the file's SOF marker (2 × 2 is 4:2:0, 1 × 1 is 4:4:4). */
function lumaSampling(bytes: Uint8Array): string {
  for (let i = 2; i + 11 < bytes.length; ) {
    const marker = bytes[i + 1] ?? 0;
    if (marker >= 0xc0 && marker <= 0xc2) return `${(bytes[i + 11] ?? 0) >> 4}×${(bytes[i + 11] ?? 0) & 15}`;
    i += 2 + (bytes[i + 2] ?? 0) * 256 + (bytes[i + 3] ?? 0);
  }
  return "none";
}

/** Each factor × factor square of `image` averaged into one pixel. */
function boxReduce(image: Raster, factor: number): Raster {
  const width = Math.floor(image.width / factor);
  const height = Math.floor(image.height / factor);
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < 4; c++) {
        let sum = 0;
        for (let dy = 0; dy < factor; dy++)
          for (let dx = 0; dx < factor; dx++)
            sum += image.data[((y * factor + dy) * image.width + x * factor + dx) * 4 + c] ?? 0;
        data[(y * width + x) * 4 + c] = Math.round(sum / factor ** 2);
      }
  return { data, width, height };
}

describe("jpegScaleFor: the smallest DCT scale that keeps the pixels a crop needs", () => {
  it.each([
    [4096, 1024, 2],
    [4000, 1024, 3],
    [2304, 1024, 4],
    [1152, 1024, 8],
    [1600, 1024, 6],
    [8192, 1024, 1],
    [800, 1024, 8],
    [1024, 1024, 8],
    [2048, 1024, 4],
    [2047, 1024, 4],
    [2040, 1024, 5],
  ])("%i px to at least min(%i, itself): %i/8", (side, want, scale) => {
    expect(jpegScaleFor(side, want)).toBe(scale);
    expect(Math.ceil((side * scale) / 8)).toBeGreaterThanOrEqual(Math.min(side, want));
  });
});

describe("the libjpeg-turbo codec", () => {
  it("decodes at each M/8 to ceil(side × M / 8) pixels, close to a full-size reference", async () => {
    const bytes = await jpeg(picture(640, 480), { quality: 92 });
    const codec = await JpegCodec.create();
    const reference = await decodeJpegReference(bytes);
    expect(meanDifference(codec.decode(bytes, { width: 640, height: 480 }, 8), reference)).toBeLessThan(1.5);
    for (const scale of [1, 2, 3, 4, 5, 6, 7]) {
      const raster = codec.decode(bytes, { width: 640, height: 480 }, scale);
      expect([raster.width, raster.height]).toEqual([Math.ceil((640 * scale) / 8), Math.ceil((480 * scale) / 8)]);
    }
  });

  it("cuts a region that matches the same pixels of the whole decode, at full and reduced scale", async () => {
    const bytes = await jpeg(picture(800, 600, 3), { quality: 92, progressive: true });
    const codec = await JpegCodec.create();
    const geometry = { width: 800, height: 600 };
    // Not on block boundaries: libjpeg widens the cut to whole MCUs, the codec trims it back.
    const region = { x: 123, y: 77, width: 301, height: 250 };
    const part = codec.decode(bytes, geometry, 8, region);
    expect([part.width, part.height]).toEqual([301, 250]);
    const whole = codec.decode(bytes, geometry, 8);
    expect(meanDifference(part, crop(whole, 123, 77, 301, 250))).toBeLessThan(0.5);
    const half = codec.decode(bytes, geometry, 4, region);
    // At 4/8 the region is floor(123/2)…ceil(424/2), floor(77/2)…ceil(327/2).
    expect([half.width, half.height]).toEqual([212 - 61, 164 - 38]);
    const wholeHalf = codec.decode(bytes, geometry, 4);
    expect(meanDifference(half, crop(wholeHalf, 61, 38, half.width, half.height))).toBeLessThan(0.5);
  });

  it("resizes with lanczos3: a flat picture stays flat, and sizes are exact", async () => {
    const codec = await JpegCodec.create();
    const flat = { data: new Uint8ClampedArray(333 * 221 * 4).fill(137), width: 333, height: 221 };
    const small = codec.resize(flat, 100, 67);
    expect([small.width, small.height]).toEqual([100, 67]);
    expect(new Set(small.data)).toEqual(new Set([137]));
  });

  it("encodes a JPEG that decodes back to the picture", async () => {
    const codec = await JpegCodec.create();
    const image = picture(300, 200);
    const encoded = new Uint8Array(codec.encode(image, 90));
    expect([encoded[0], encoded[1]]).toEqual([0xff, 0xd8]);
    expect(meanDifference(await decodeJpegReference(encoded), image)).toBeLessThan(4);
  });

  // A memory cap below what the file's full coefficient buffers need sends the decode through the patch's
  // compact storage (a mask per block, only the coefficients the scale and region read): it must give
  // exactly the pixels of the usual path, and still refuse what does not fit even so.
  it.each(["4:2:0", "4:4:4"] as const)("decodes a progressive %s file compactly, pixel for pixel", async (chroma) => {
    const bytes = await jpeg(picture(800, 600, 5), { quality: 90, progressive: true, chroma });
    expect(lumaSampling(bytes)).toBe(chroma === "4:4:4" ? "1×1" : "2×2");
    const codec = await JpegCodec.create();
    const geometry = { width: 800, height: 600 };
    const cap = chroma === "4:4:4" ? 1.4 * 2 ** 20 : 2 ** 20; // the full buffers take 2.8 / 1.4 MiB
    const region = { x: 123, y: 77, width: 301, height: 250 };
    for (const scale of [1, 2, 3]) {
      const usual = codec.decode(bytes, geometry, scale);
      expect(codec.decode(bytes, geometry, scale, undefined, cap).data).toEqual(usual.data);
    }
    for (const scale of [4, 8]) {
      const usual = codec.decode(bytes, geometry, scale, region);
      expect(codec.decode(bytes, geometry, scale, region, cap).data).toEqual(usual.data);
    }
    expect(() => codec.decode(bytes, geometry, 8, undefined, cap)).toThrow(
      expect.objectContaining({ tooComplex: true }),
    );
  });

  it("reads a 4096×4096 progressive 4:4:4 file: the whole at 2/8 and a face region at full detail", async () => {
    const image = picture(4096, 4096, 9);
    const bytes = await jpeg(image, { quality: 88, progressive: true, chroma: "4:4:4" });
    expect(lumaSampling(bytes)).toBe("1×1");
    const reference = await decodeJpegReference(bytes);
    const geometry = { width: 4096, height: 4096 };
    const whole = (await JpegCodec.create()).decode(bytes, geometry, 2);
    expect([whole.width, whole.height]).toEqual([1024, 1024]);
    const box = boxReduce(reference, 4);
    expect(meanDifference(whole, box)).toBeLessThan(1.5);
    const region = { x: 1500, y: 900, width: 1229, height: 1639 };
    const face = (await JpegCodec.create()).decode(bytes, geometry, 8, region);
    expect(meanDifference(face, crop(reference, 1500, 900, 1229, 1639))).toBeLessThan(1);
  });

  it("refuses bytes that are not a JPEG with its typed error", async () => {
    const codec = await JpegCodec.create();
    expect(() => codec.decode(new Uint8Array([1, 2, 3, 4]), { width: 1, height: 1 }, 8)).toThrow(JpegCodecError);
  });
});

describe("the codec's work in steps", () => {
  /** Runs `steps`, counting them. */
  const counted = <T>(steps: Steps<T>) => {
    let count = 0;
    for (;;) {
      const step = steps.next();
      if (step.done) return { value: step.value, count };
      count += 1;
    }
  };

  it("decodes, resizes and encodes in bands of at most STEP_PIXELS, with the bytes of one go", async () => {
    const bytes = await jpeg(picture(1280, 960, 5), { quality: 90 });
    const geometry = { width: 1280, height: 960 };
    const codec = await JpegCodec.create();
    const whole = codec.decode(bytes, geometry, 8);
    const band = Math.floor(STEP_PIXELS / 1280);
    const decoded = counted(codec.decodeSteps(bytes, geometry, 8));
    expect(decoded.count).toBe(Math.ceil(960 / band));
    expect(codec.take(decoded.value).data).toEqual(whole.data);

    const inside = codec.put(whole);
    const resized = counted(codec.resizeSteps(inside, 1024, 768));
    expect(resized.count).toBeGreaterThanOrEqual(4);
    const small = codec.take(resized.value);
    expect(small.data).toEqual(codec.resize(whole, 1024, 768).data);

    const encoded = counted(codec.encodeSteps(inside, 90));
    // The bands of rows, then the Huffman pass over the picture's 60 rows of 16 × 16 blocks, as many per step.
    expect(encoded.count).toBe(Math.ceil(960 / band) + Math.ceil(960 / 16 / Math.floor(band / 16)));
    expect(new Uint8Array(encoded.value)).toEqual(new Uint8Array(codec.encode(whole, 90)));
    codec.free(inside);
  });

  it("drops work abandoned part-way, and the same instance then works as before", async () => {
    const bytes = await jpeg(picture(1280, 960, 6), { quality: 85 });
    const geometry = { width: 1280, height: 960 };
    const codec = await JpegCodec.create();
    const expected = codec.decode(bytes, geometry, 8);
    const stop = new Error("stop");
    let pauses = 0;
    const stopAtThird = async () => {
      pauses += 1;
      if (pauses === 3) throw stop;
    };
    await expect(finishPausing(codec.decodeSteps(bytes, geometry, 8), stopAtThird)).rejects.toBe(stop);
    const inside = codec.put(expected);
    pauses = 0;
    await expect(finishPausing(codec.resizeSteps(inside, 640, 480), stopAtThird)).rejects.toBe(stop);
    pauses = 0;
    await expect(finishPausing(codec.encodeSteps(inside, 90), stopAtThird)).rejects.toBe(stop);
    // Another decode begun over an unfinished one replaces it.
    codec.decodeSteps(bytes, geometry, 8).next();
    expect(finishNow(codec.decodeSteps(bytes, geometry, 8))).toBeDefined();
    expect(codec.decode(bytes, geometry, 8).data).toEqual(expected.data);
    expect(codec.resize(expected, 640, 480).width).toBe(640);
    const again = new Uint8Array(codec.encode(expected, 90));
    expect(again.subarray(0, 2)).toEqual(new Uint8Array([0xff, 0xd8]));
    codec.free(inside);
  });

  it("reads a progressive file's scans a chunk of input at a time, to the same pixels", async () => {
    const bytes = await jpeg(picture(1600, 1200, 8), { quality: 95, progressive: true });
    const geometry = { width: 1600, height: 1200 };
    const codec = await JpegCodec.create();
    const whole = codec.decode(bytes, geometry, 4);
    const band = Math.floor(STEP_PIXELS / 800);
    const decoded = counted(codec.decodeSteps(bytes, geometry, 4));
    // The rows' bands, and a step per 16 KB of the scans before them (the header's bytes aside).
    expect(decoded.count).toBeGreaterThanOrEqual(Math.ceil(600 / band) + Math.floor(bytes.length / 16384) - 1);
    expect(codec.take(decoded.value).data).toEqual(whole.data);
    // Cut short inside its scans: refused while they are read, as a whole decode refuses it.
    const short = bytes.slice(0, Math.floor(bytes.length / 2));
    expect(() => finishNow(codec.decodeSteps(short, geometry, 4))).toThrow(JpegCodecError);
    expect(codec.decode(bytes, geometry, 4).data).toEqual(whole.data);
  });

  it("refuses corrupt entropy data in a later band, as the whole decode does", async () => {
    const bytes = await jpeg(picture(1280, 960, 7), { quality: 90 });
    const broken = bytes.slice(0, Math.floor(bytes.length * 0.7));
    const codec = await JpegCodec.create();
    const steps = codec.decodeSteps(broken, { width: 1280, height: 960 }, 8);
    let bands = 0;
    expect(() => {
      for (let step = steps.next(); !step.done; step = steps.next()) bands += 1;
    }).toThrow(JpegCodecError);
    expect(bands).toBeGreaterThan(2);
    expect(codec.decode(bytes, { width: 1280, height: 960 }, 8).width).toBe(1280);
  });
});

describe("orient", () => {
  it.each([2, 3, 4, 5, 6, 7, 8])("EXIF %i moves each pixel where the spec says", (orientation) => {
    const w = 3;
    const h = 2;
    const data = new Uint8ClampedArray(w * h * 4);
    for (let i = 0; i < w * h; i++) data[i * 4] = i;
    const out = orient({ data, width: w, height: h }, orientation);
    const swap = orientation >= 5;
    expect([out.width, out.height]).toEqual(swap ? [h, w] : [w, h]);
    // Where source (x, y) goes, per orientation (as the EXIF spec's transforms).
    const to = (x: number, y: number): [number, number] =>
      (
        ({
          2: [w - 1 - x, y],
          3: [w - 1 - x, h - 1 - y],
          4: [x, h - 1 - y],
          5: [y, x],
          6: [h - 1 - y, x],
          7: [h - 1 - y, w - 1 - x],
          8: [y, w - 1 - x],
        }) as Record<number, [number, number]>
      )[orientation] as [number, number];
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const [nx, ny] = to(x, y);
        expect(out.data[(ny * out.width + nx) * 4]).toBe(y * w + x);
      }
    }
  });
});
