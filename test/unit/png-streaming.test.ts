import { zlibSync } from "fflate";
import { describe, expect, it } from "vitest";
import { decodeWithJsquash } from "../../src/images/codecs";
import { decodePngScaled, PngError } from "../../src/images/png-streaming";
import { buildPng, ihdr, interlacedPng } from "../corpus/hostile";
import { picture, png, rawPng } from "../corpus/images";

describe("the streaming PNG decoder", () => {
  it("shrinks an RGBA PNG by box filtering and matches the library's decode", async () => {
    const image = picture(1200, 900);
    const bytes = await png(image);
    const scaled = await decodePngScaled(bytes, 300);
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

  it("reads 16-bit RGB, grey with alpha over white, and palettes", async () => {
    const rgb16 = await decodePngScaled(
      rawPng(64, 32, { colorType: 2, depth: 16, pixel: () => [65535, 32896, 0] }),
      64,
    );
    expect(Array.from(rgb16.data.subarray(0, 4))).toEqual([255, 128, 0, 255]);
    const greyAlpha = await decodePngScaled(rawPng(16, 16, { colorType: 4, depth: 8, pixel: () => [0, 0] }), 16);
    expect(Array.from(greyAlpha.data.subarray(0, 3))).toEqual([255, 255, 255]);
    const paletted = await decodePngScaled(
      rawPng(8, 8, { colorType: 3, depth: 8, pixel: (x) => [x % 2] }, [10, 20, 30, 200, 100, 50]),
      8,
    );
    expect(Array.from(paletted.data.subarray(0, 8))).toEqual([10, 20, 30, 255, 200, 100, 50, 255]);
  });

  it("composites RGBA over white alike at full size and shrunk", async () => {
    const bytes = rawPng(32, 16, {
      colorType: 6,
      depth: 8,
      pixel: (x) => (x < 16 ? [200, 100, 0, 128] : [10, 20, 30, 255]),
    });
    const full = await decodePngScaled(bytes, 32);
    const half = await decodePngScaled(bytes, 16);
    expect([full.width, half.width]).toEqual([32, 16]);
    // 200 × 128/255 + 127 = 227.4, 100 × 128/255 + 127 = 177.2, 0 + 127.
    expect(Array.from(full.data.subarray(0, 4))).toEqual([227, 177, 127, 255]);
    expect(Array.from(full.data.subarray(16 * 4, 17 * 4))).toEqual([10, 20, 30, 255]);
    expect(Array.from(half.data.subarray(0, 4))).toEqual([227, 177, 127, 255]);
    expect(Array.from(half.data.subarray(8 * 4, 9 * 4))).toEqual([10, 20, 30, 255]);
  });

  it("refuses truncated data", async () => {
    const bytes = await png(picture(300, 200));
    await expect(decodePngScaled(bytes.subarray(0, bytes.length - 40), 100)).rejects.toThrow(/truncated|corrupt/);
  });

  /** A 40×30 RGB picture (no filters) whose zlib stream `damage` has changed. */
  const withZlib = (damage: (stream: Uint8Array) => Uint8Array) => {
    const rows = new Uint8Array((40 * 3 + 1) * 30).map((_, i) => (i % 121 === 0 ? 0 : (i * 7) & 255));
    return buildPng([
      { type: "IHDR", data: ihdr(40, 30) },
      { type: "IDAT", data: damage(zlibSync(rows)) },
      { type: "IEND", data: new Uint8Array() },
    ]);
  };

  it("reads the undamaged zlib stream of those cases", async () => {
    const decoded = await decodePngScaled(
      withZlib((stream) => stream),
      40,
    );
    expect(Array.from(decoded.data.subarray(0, 8))).toEqual([7, 14, 21, 255, 28, 35, 42, 255]);
  });

  it.each([
    ["cut short", (stream: Uint8Array) => stream.subarray(0, stream.length >> 1)],
    ["whose rows are all there but whose checksum is missing", (stream: Uint8Array) => stream.subarray(0, -4)],
    ["with a wrong checksum", (stream: Uint8Array) => stream.map((b, i) => (i === stream.length - 1 ? b ^ 1 : b))],
    ["with a corrupt block", (stream: Uint8Array) => stream.map((b, i) => (i >= 2 && i < 8 ? 0xff : b))],
    ["followed by more data", (stream: Uint8Array) => new Uint8Array([...stream, 0, 0, 0])],
  ])("refuses a zlib stream %s, in zlib's words", async (_name, damage) => {
    const error = await decodePngScaled(withZlib(damage), 40).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PngError);
    expect((error as Error).message).toMatch(/^corrupt image data: \S/);
  });

  it("reads Adam7-interlaced rows into the same picture, and a region of it", async () => {
    const pixel = (x: number, y: number) => [(x * 3) & 255, (y * 5) & 255, (x ^ y) & 255];
    const interlaced = await decodePngScaled(interlacedPng(61, 37, pixel), 61, { width: 61, height: 37 });
    const plain = await decodePngScaled(rawPng(61, 37, { colorType: 2, depth: 8, pixel }), 61);
    expect(Array.from(interlaced.data)).toEqual(Array.from(plain.data));
    const region = await decodePngScaled(interlacedPng(61, 37, pixel), 20, undefined, {
      x: 10,
      y: 5,
      width: 20,
      height: 12,
    });
    expect([region.width, region.height]).toEqual([20, 12]);
    expect(Array.from(region.data.subarray(0, 3))).toEqual(pixel(10, 5));
  });
});
