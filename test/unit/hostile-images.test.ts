import { describe, expect, it } from "vitest";
import { ImageRefusal, type PhotoFormat } from "../../src/domain/ports";
import { JpegCodec, JpegCodecError, type Region } from "../../src/images/jpeg-codec";
import { decodePngScaled } from "../../src/images/png-streaming";
import { decodeUpright, readHeader } from "../../src/images/prepare";
import {
  buildPng,
  ihdr,
  jpegWithoutEntropyData,
  jpegWithShortScan,
  pngChunks,
  pngInflatingPast,
  webpClaiming,
  webpCutShort,
  webpWithCanvas,
  withComponents,
  withFillBytes,
  withRepeatedDcScan,
  withRepeatedScans,
  withSampling,
  withSecondFrame,
  withSecondIhdr,
  withZeroLengthSegment,
} from "../corpus/hostile";
import { cutOut, jpeg, picture, png, rawPng, webp } from "../corpus/images";

/** Runs the decode the photo service runs, with the geometry image-size reads, and says how it ended and how fast. */
async function decode(bytes: Uint8Array, format: PhotoFormat) {
  const header = readHeader(bytes);
  expect(header, "the crafted file passes the header checks").not.toBeNull();
  const started = performance.now();
  try {
    const photo = await decodeUpright(bytes, format, header as NonNullable<typeof header>);
    return { outcome: "accepted", photo, ms: performance.now() - started };
  } catch (error) {
    if (!(error instanceof ImageRefusal)) throw error;
    return { outcome: error.reason, message: error.message, ms: performance.now() - started };
  }
}

const seedJpeg = () => jpeg(picture(640, 512));

/** Our libjpeg-turbo decode alone, at full scale, with the seeds' geometry or what image-size reads. */
async function decodeWithCodec(bytes: Uint8Array, region?: Region) {
  const geometry = readHeader(bytes) ?? { width: 640, height: 512 };
  return (await JpegCodec.create()).decode(bytes, geometry, 8, region);
}
const seedProgressive = () => jpeg(picture(640, 512), { progressive: true });

describe("crafted JPEGs are refused as unreadable, quickly", () => {
  it.each([
    ["a second SOF of 4096×4096 that image-size never sees", async () => withSecondFrame(await seedJpeg(), 4096, 4096)],
    ["a second SOF in a progressive file", async () => withSecondFrame(await seedProgressive(), 16_000, 16_000)],
    ["255 components", async () => withComponents(await seedJpeg(), 255)],
    ["5 components", async () => withComponents(await seedJpeg(), 5)],
    ["a zero sampling factor", async () => withSampling(await seedJpeg(), 0, 0x01)],
    ["a sampling factor of 5", async () => withSampling(await seedJpeg(), 1, 0x51)],
    ["sampling factors that need more than 10 blocks an MCU", async () => withSampling(await seedJpeg(), 1, 0x44)],
    ["a 150-byte 4096×4096 JPEG with no entropy data", async () => jpegWithoutEntropyData()],
    ["a scan whose data ends long before its blocks", async () => jpegWithShortScan(64)],
    ["valid AC scans repeated forty times", async () => withRepeatedScans(await seedProgressive(), 40)],
    [
      "entropy data cut short in the middle of the file",
      async () => {
        const bytes = await seedJpeg();
        return bytes.subarray(0, Math.floor(bytes.length * 0.7));
      },
    ],
  ])("%s", async (_name, make) => {
    const bytes = await make();
    const result = await decode(bytes, "JPEG");
    expect(result.outcome).toBe("unreadable");
    expect(result.ms).toBeLessThan(2000);
  });

  it("refuses a frame that disagrees with the geometry the header checks read", async () => {
    const codec = await JpegCodec.create();
    expect(() => codec.decode(jpegWithoutEntropyData(1024, 768), { width: 768, height: 1024 }, 8)).toThrow(
      /says 1024×768/,
    );
  });

  it("a starved bit reader is an error, not zeros", async () => {
    await expect(decodeWithCodec(jpegWithoutEntropyData(64, 64))).rejects.toThrow(/premature end/i);
    await expect(decodeWithCodec(jpegWithShortScan(3))).rejects.toThrow(/premature end/i);
    // The same in a region decode, where libjpeg skips rows: the rows it reads must still be whole.
    await expect(decodeWithCodec(jpegWithShortScan(3), { x: 1024, y: 2048, width: 512, height: 512 })).rejects.toThrow(
      /premature end/i,
    );
  });

  it("a segment whose length is 0: the header checks refuse it, and libjpeg does not loop on it", async () => {
    const bytes = withZeroLengthSegment(await seedJpeg());
    expect(readHeader(bytes)).toBeNull();
    const started = performance.now();
    // libjpeg reads a segment's length by position, so a length of 0 cannot hold it in place.
    expect((await decodeWithCodec(bytes)).width).toBe(640);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it("refuses a libjpeg error with the codec's typed error, and the photo as unreadable", async () => {
    const bytes = withSampling(await seedJpeg(), 0, 0x01);
    await expect(decodeWithCodec(bytes)).rejects.toThrow(JpegCodecError);
    await expect(decodeWithCodec(bytes)).rejects.toThrow(/sampling/i);
  });

  it("still reads what T.81 allows: fill bytes before markers", async () => {
    expect((await decodeWithCodec(withFillBytes(await seedJpeg()))).width).toBe(640);
  });

  it("stops a progressive file at 32 scans, before their work is done", async () => {
    await expect(decodeWithCodec(withRepeatedDcScan(await seedProgressive(), 40))).rejects.toThrow(
      /more than 32 scans/,
    );
  });
});

describe("crafted PNGs are refused as unreadable, quickly", () => {
  const seed = () => png(picture(640, 512));
  it.each([
    ["a second IHDR claiming 100000×100000", async () => withSecondIhdr(await seed(), 100_000, 100_000)],
    ["a second IHDR of a small picture", async () => withSecondIhdr(await seed(), 16, 16)],
    ["IDAT that inflates 24 MB past the geometry", async () => pngInflatingPast(1200, 1100, 24 << 20)],
    ["IDAT that inflates one row past the geometry", async () => pngInflatingPast(640, 512, 641 * 3)],
    [
      "a colour type and depth the spec does not allow (RGB at 4 bits)",
      async () =>
        buildPng(pngChunks(await seed()).map((c) => (c.type === "IHDR" ? { ...c, data: ihdr(640, 512, 4, 2) } : c))),
    ],
    [
      "IDAT before IHDR",
      async () => {
        const chunks = pngChunks(await seed());
        const header = chunks.find((c) => c.type === "IHDR") as { type: string; data: Uint8Array };
        return buildPng([...chunks.filter((c) => c.type === "IDAT"), header, ...chunks.filter((c) => c !== header)]);
      },
    ],
  ])("%s", async (_name, make) => {
    const bytes = await make();
    // image-size may not read an IHDR that comes late; then the header checks refuse it already.
    if (!readHeader(bytes)) return;
    const result = await decode(bytes, "PNG");
    expect(result.outcome).toBe("unreadable");
    expect(result.ms).toBeLessThan(2000);
  });

  it("stops inflating at the first byte past the geometry", async () => {
    const bytes = pngInflatingPast(600, 400, 16 << 20);
    const started = performance.now();
    await expect(decodePngScaled(bytes, 1280, { width: 600, height: 400 })).rejects.toThrow(/more work/);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it("refuses an IHDR that disagrees with the geometry the header checks read", async () => {
    const bytes = rawPng(32, 16, { colorType: 2, depth: 8, pixel: () => [1, 2, 3] });
    await expect(decodePngScaled(bytes, 64, { width: 16, height: 32 })).rejects.toThrow(/says 32×16/);
  });
});

describe("crafted WEBPs are refused as unreadable", () => {
  it("a VP8X canvas that disagrees with its bitstream", async () => {
    const bytes = webpWithCanvas(await webp(picture(640, 512)), 4096, 4096);
    expect(readHeader(bytes)).toMatchObject({ width: 4096, height: 4096 });
    expect((await decode(bytes, "WEBP")).outcome).toBe("unreadable");
  });

  it("an animation", async () => {
    const bytes = webpWithCanvas(await webp(picture(640, 512)), 640, 512, 0x02);
    expect((await decode(bytes, "WEBP")).outcome).toBe("unreadable");
  });

  it("a truncated file", async () => {
    const bytes = await webp(picture(640, 512));
    expect((await decode(bytes.subarray(0, bytes.length >> 1), "WEBP")).outcome).toBe("unreadable");
  });

  it.each([
    ["a lossy", false],
    ["a lossless", true],
  ])("%s bitstream that claims 4096×4096 over a 640×512 picture's data", async (_name, lossless) => {
    const bytes = webpClaiming(await webp(picture(640, 512), lossless), 4096, 4096);
    expect(readHeader(bytes)).toMatchObject({ width: 4096, height: 4096 });
    const result = await decode(bytes, "WEBP");
    expect(result.outcome).toBe("unreadable");
    expect(result.ms).toBeLessThan(2_000);
  });

  it.each([
    ["lossy", false],
    ["lossless", true],
  ])(
    "a 2048×2048 %s file cut short in its pixel data",
    async (_name, lossless) => {
      const bytes = await webp(picture(2048, 2048), lossless);
      const result = await decode(webpCutShort(bytes, Math.floor(bytes.length * 0.8)), "WEBP");
      expect(result).toMatchObject({
        outcome: "unreadable",
        message: expect.stringMatching(/WEBP decoder, decoding: (not enough data|bitstream error)/),
      });
    },
    30_000,
  );

  it("a file with alpha whose ALPH data is noise", async () => {
    const bytes = (await webp(cutOut(picture(640, 512)))).slice();
    const alph = new TextDecoder().decode(bytes).indexOf("ALPH");
    expect(alph).toBeGreaterThan(0);
    for (let i = alph + 9; i < alph + 200; i++) bytes[i] = (i * 151) & 0xff;
    expect((await decode(bytes, "WEBP")).outcome).toBe("unreadable");
  });
});
