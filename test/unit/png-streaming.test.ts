import { describe, expect, it } from "vitest";
import { decodeWithJsquash } from "../../src/images/codecs";
import { decodePngScaled } from "../../src/images/png-streaming";
import { interlacedPng } from "../corpus/hostile";
import { picture, png, rawPng } from "../corpus/images";

describe("the streaming PNG decoder", () => {
  it("shrinks an RGBA PNG by box filtering and matches the library's decode", async () => {
    const image = picture(1200, 900);
    const bytes = await png(image);
    const scaled = decodePngScaled(bytes, 300);
    expect([scaled.width, scaled.height]).toEqual([300, 225]);
    const full = await decodeWithJsquash(bytes.slice().buffer, "PNG");
    let diff = 0;
    for (let y = 0; y < 225; y++) {
      for (let x = 0; x < 300; x++) {
        let sum = 0;
        for (let dy = 0; dy < 4; dy++)
          for (let dx = 0; dx < 4; dx++) sum += full.data[((y * 4 + dy) * 1200 + x * 4 + dx) * 4] ?? 0;
        diff += Math.abs(sum / 16 - (scaled.data[(y * 300 + x) * 4] ?? 0));
      }
    }
    expect(diff / (300 * 225)).toBeLessThan(1);
  });

  it("reads 16-bit RGB, grey with alpha over white, and palettes", () => {
    const rgb16 = decodePngScaled(rawPng(64, 32, { colorType: 2, depth: 16, pixel: () => [65535, 32896, 0] }), 64);
    expect(Array.from(rgb16.data.subarray(0, 4))).toEqual([255, 128, 0, 255]);
    const greyAlpha = decodePngScaled(rawPng(16, 16, { colorType: 4, depth: 8, pixel: () => [0, 0] }), 16);
    expect(Array.from(greyAlpha.data.subarray(0, 3))).toEqual([255, 255, 255]);
    const paletted = decodePngScaled(
      rawPng(8, 8, { colorType: 3, depth: 8, pixel: (x) => [x % 2] }, [10, 20, 30, 200, 100, 50]),
      8,
    );
    expect(Array.from(paletted.data.subarray(0, 8))).toEqual([10, 20, 30, 255, 200, 100, 50, 255]);
  });

  it("refuses truncated data", async () => {
    const bytes = await png(picture(300, 200));
    expect(() => decodePngScaled(bytes.subarray(0, bytes.length - 40), 100)).toThrow(/truncated|corrupt/);
  });

  it("reads Adam7-interlaced rows into the same picture, and a region of it", () => {
    const pixel = (x: number, y: number) => [(x * 3) & 255, (y * 5) & 255, (x ^ y) & 255];
    const interlaced = decodePngScaled(interlacedPng(61, 37, pixel), 61, { width: 61, height: 37 });
    const plain = decodePngScaled(rawPng(61, 37, { colorType: 2, depth: 8, pixel }), 61);
    expect(Array.from(interlaced.data)).toEqual(Array.from(plain.data));
    const region = decodePngScaled(interlacedPng(61, 37, pixel), 20, undefined, { x: 10, y: 5, width: 20, height: 12 });
    expect([region.width, region.height]).toEqual([20, 12]);
    expect(Array.from(region.data.subarray(0, 3))).toEqual(pixel(10, 5));
  });
});
