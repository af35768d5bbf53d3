import { describe, expect, it } from "vitest";
import type { Raster } from "../../src/domain/ports";
import { differenceHash } from "../../src/images/dhash";
import { JpegCodec, type PhotoStats } from "../../src/images/jpeg-codec";
import { qualityScore } from "../../src/images/quality";
import { picture } from "../corpus/images";

/** The statistics as the project read them in JS before they moved into the codec: the oracle. */
function referenceStats({ data, width, height }: Raster): PhotoStats {
  const luma = new Float32Array(width * height);
  let lumaSum = 0;
  let clipped = 0;
  for (let i = 0; i < luma.length; i++) {
    const y = 0.299 * (data[i * 4] ?? 0) + 0.587 * (data[i * 4 + 1] ?? 0) + 0.114 * (data[i * 4 + 2] ?? 0);
    luma[i] = y;
    lumaSum += y;
    if (y < 5 || y > 250) clipped += 1;
  }
  const mean = lumaSum / luma.length;
  let deviations = 0;
  for (const y of luma) deviations += (y - mean) ** 2;
  let laplacianSum = 0;
  let laplacianSquares = 0;
  let laplacianCount = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const lap =
        4 * (luma[i] ?? 0) - (luma[i - 1] ?? 0) - (luma[i + 1] ?? 0) - (luma[i - width] ?? 0) - (luma[i + width] ?? 0);
      laplacianSum += lap;
      laplacianSquares += lap * lap;
      laplacianCount += 1;
    }
  }
  const sums = new Float64Array(72);
  const counts = new Uint32Array(72);
  for (let y = 0; y < height; y++) {
    const row = Math.min(7, Math.floor((y * 8) / height));
    for (let x = 0; x < width; x++) {
      const cell = row * 9 + Math.min(8, Math.floor((x * 9) / width));
      const i = (y * width + x) * 4;
      sums[cell] = (sums[cell] ?? 0) + 0.299 * (data[i] ?? 0) + 0.587 * (data[i + 1] ?? 0) + 0.114 * (data[i + 2] ?? 0);
      counts[cell] = (counts[cell] ?? 0) + 1;
    }
  }
  const cells = Float64Array.from(sums, (sum, cell) => sum / Math.max(1, counts[cell] ?? 0));
  return {
    pixels: width * height,
    lumaSum,
    clipped,
    deviations,
    laplacianSum,
    laplacianSquares,
    laplacianCount,
    cells,
  };
}

function statsInCodec(raster: Raster): Promise<PhotoStats> {
  return JpegCodec.use((codec) => {
    const inside = codec.put(raster);
    try {
      return codec.photoStats(inside);
    } finally {
      codec.free(inside);
    }
  });
}

/** Noise, flat colour and clipped extremes, the shapes a thumbnail comes in, and the degenerate ones. */
function samples(): Raster[] {
  const noise = (width: number, height: number, seed: number): Raster => {
    const data = new Uint8ClampedArray(width * height * 4);
    let s = seed;
    for (let i = 0; i < data.length; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      data[i] = s >>> 24;
    }
    return { data, width, height };
  };
  const flat = (width: number, height: number, value: number): Raster => ({
    data: new Uint8ClampedArray(width * height * 4).fill(value),
    width,
    height,
  });
  return [
    picture(256, 192, 3),
    picture(192, 256, 8),
    picture(256, 256, 41),
    noise(256, 171, 5),
    noise(17, 9, 6),
    flat(64, 48, 0),
    flat(64, 48, 255),
    flat(1, 1, 128),
    noise(2, 2, 7),
    noise(9, 8, 9),
    noise(256, 1, 10),
  ];
}

describe("a photo's statistics, read in the codec", () => {
  it("are exactly what the JS reference reads, so stored hashes and scores keep their meaning", async () => {
    for (const raster of samples()) {
      const ours = await statsInCodec(raster);
      const reference = referenceStats(raster);
      expect({ ...ours, cells: [...ours.cells] }).toEqual({ ...reference, cells: [...reference.cells] });
      expect(differenceHash(ours)).toBe(differenceHash(reference));
      expect(qualityScore(ours)).toEqual(qualityScore(reference));
    }
  });

  it("tell a sharp picture from the same picture blurred, and a dark one from a bright one", async () => {
    const sharp = picture(256, 192, 12);
    const blurred = { ...sharp, data: sharp.data.slice() };
    for (let y = 1; y < 191; y++)
      for (let x = 1; x < 255; x++)
        for (let c = 0; c < 3; c++) {
          const i = (y * 256 + x) * 4 + c;
          blurred.data[i] =
            ((sharp.data[i - 4] ?? 0) +
              (sharp.data[i + 4] ?? 0) +
              (sharp.data[i - 1024] ?? 0) +
              (sharp.data[i + 1024] ?? 0)) /
            4;
        }
    const crisp = qualityScore(await statsInCodec(sharp));
    const soft = qualityScore(await statsInCodec(blurred));
    expect(crisp.sharpness).toBeGreaterThan(soft.sharpness);
    const dark = qualityScore(
      await statsInCodec({ ...sharp, data: sharp.data.map((v, i) => (i % 4 === 3 ? v : v / 4)) }),
    );
    expect(dark.brightness).toBeLessThan(crisp.brightness);
  });
});
