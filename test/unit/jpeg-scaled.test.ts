import { describe, expect, it } from "vitest";
import { decodeWithJsquash } from "../../src/images/codecs";
import { decodeJpegScaled } from "../../src/images/jpeg-scaled";
import { jpegWithRestarts } from "../corpus/hostile";
import { jpeg, picture } from "../corpus/images";

/** Mean absolute difference per channel between a scaled decode and a box-averaged full decode. */
async function errorAgainstReference(
  bytes: Uint8Array,
  scale: number,
  scaled: { data: Uint8ClampedArray; width: number; height: number },
) {
  const full = await decodeWithJsquash(bytes.slice().buffer, "JPEG");
  const f = 8 / scale;
  let total = 0;
  let n = 0;
  for (let y = 0; y < Math.floor(full.height / f); y++) {
    for (let x = 0; x < Math.floor(full.width / f); x++) {
      for (let ch = 0; ch < 3; ch++) {
        let sum = 0;
        for (let dy = 0; dy < f; dy++)
          for (let dx = 0; dx < f; dx++) sum += full.data[((y * f + dy) * full.width + x * f + dx) * 4 + ch] ?? 0;
        total += Math.abs(sum / (f * f) - (scaled.data[(y * scaled.width + x) * 4 + ch] ?? 0));
        n++;
      }
    }
  }
  return total / n;
}

describe("the scaled JPEG decoder", () => {
  it.each([
    [2400, 1800, 1024, 4, 1200, 900],
    [4096, 4096, 1024, 2, 1024, 1024],
    [1000, 700, 1024, 8, 1000, 700],
    [3000, 1000, 256, 1, 375, 125],
  ])(
    "decodes a baseline %i×%i for a %i px long side at %i/8, matching a full decode",
    async (w, h, min, scale, ow, oh) => {
      const bytes = await jpeg(picture(w, h));
      const { raster, scale: used } = decodeJpegScaled(bytes, min);
      expect(used).toBe(scale);
      expect([raster.width, raster.height]).toEqual([ow, oh]);
      expect(await errorAgainstReference(bytes, used, raster)).toBeLessThan(6);
    },
  );

  it("reads every scan of a progressive JPEG, at the scale the wanted size needs", async () => {
    const bytes = await jpeg(picture(2048, 1536), { progressive: true });
    const { raster, scale } = decodeJpegScaled(bytes, 1024);
    expect(scale).toBe(4);
    expect([raster.width, raster.height]).toEqual([1024, 768]);
    expect(await errorAgainstReference(bytes, 4, raster)).toBeLessThan(2);
    const full = decodeJpegScaled(bytes, 2048);
    expect(full.scale).toBe(8);
    expect(await errorAgainstReference(bytes, 8, full.raster)).toBeLessThan(1);
  });

  it("turns only the asked region into pixels, matching the same part of a full decode", async () => {
    const bytes = await jpeg(picture(1200, 900), { progressive: true });
    const region = { x: 333, y: 201, width: 300, height: 250 };
    const { raster } = decodeJpegScaled(bytes, { minLongSide: 300, region });
    expect([raster.width, raster.height]).toEqual([300, 250]);
    const full = await decodeWithJsquash(bytes.slice().buffer, "JPEG");
    let diff = 0;
    for (let y = 0; y < 250; y++)
      for (let x = 0; x < 300; x++)
        diff += Math.abs((raster.data[(y * 300 + x) * 4] ?? 0) - (full.data[((y + 201) * 1200 + x + 333) * 4] ?? 0));
    expect(diff / (300 * 250)).toBeLessThan(1);
  });

  it("refuses a truncated file", async () => {
    const bytes = await jpeg(picture(800, 600));
    expect(() => decodeJpegScaled(bytes.subarray(0, bytes.length / 2), 1024)).toThrow(/truncated|corrupt/);
  });

  it("reads restart markers, and refuses an interval that does not end at one", () => {
    const level = (bx: number, by: number) => 40 + ((bx * 7 + by * 13) % 180);
    const bytes = jpegWithRestarts(640, 512, 7, level);
    const { raster } = decodeJpegScaled(bytes, { minLongSide: 640, expected: { width: 640, height: 512 } });
    for (const [x, y] of [
      [0, 0],
      [333, 101],
      [639, 511],
    ] as const)
      expect(raster.data[(y * 640 + x) * 4]).toBe(level(x >> 3, y >> 3));
    const at = bytes.findIndex((b, i) => b === 0xff && bytes[i + 1] === 0xd3);
    const broken = bytes.slice();
    broken[at + 1] = 0xc8; // RST3 becomes a marker no decoder expects there
    expect(() => decodeJpegScaled(broken, 640)).toThrow(/corrupt|ends early/);
  });
});
