import { describe, expect, it } from "vitest";
import { hammingDistance, isNearDuplicate, NEAR_DUPLICATE_DISTANCE } from "../../src/domain/near-duplicate";
import { differenceHash } from "../../src/images/dhash";
import { JpegCodec } from "../../src/images/jpeg-codec";
import { photoImages } from "../../src/images/prepare";
import { boxDownscale, decodeJpegReference, jpeg, picture, png } from "../corpus/images";

/** The hash the photo check stores, from the same decode and thumbnail it uses. */
async function hashOf(bytes: Uint8Array): Promise<string> {
  const format = photoImages.sniff(bytes) as "JPEG" | "PNG";
  const header = photoImages.readHeader(bytes);
  if (!header) throw new Error("no header");
  const upright = await photoImages.decodeUpright(bytes, format, header);
  return (await photoImages.prepare(upright, null)).perceptualHash;
}

describe("the near-duplicate check", () => {
  it("finds the same picture recompressed and downscaled, and tells different pictures apart", async () => {
    const same: number[] = [];
    const different: number[] = [];
    const seeds = [1, 2, 7, 40, 100, 159];
    const hashes: string[] = [];
    for (const seed of seeds) {
      const original = await jpeg(picture(800, 600, seed), { quality: 92 });
      const hash = await hashOf(original);
      hashes.push(hash);
      // What Telegram does to a photo: decoded, scaled down, encoded again at a lower quality.
      const decoded = await decodeJpegReference(original);
      const recompressed = await jpeg(boxDownscale(decoded, 400), { quality: 45 });
      same.push(hammingDistance(hash, await hashOf(recompressed)));
      same.push(hammingDistance(hash, await hashOf(await png(picture(640, 480, seed)))));
    }
    for (let i = 0; i < hashes.length; i++)
      for (let j = i + 1; j < hashes.length; j++) different.push(hammingDistance(hashes[i] ?? "", hashes[j] ?? ""));
    // The threshold sits between the two with room on both sides.
    expect(Math.max(...same)).toBeLessThanOrEqual(NEAR_DUPLICATE_DISTANCE - 3);
    expect(Math.min(...different)).toBeGreaterThanOrEqual(NEAR_DUPLICATE_DISTANCE * 2);
  }, 60_000);

  it("tells apart every picture the test corpus makes (the seeds the suite uses)", async () => {
    const seeds = [...Array.from({ length: 60 }, (_, i) => i + 1), ...Array.from({ length: 100 }, (_, i) => 100 + i)];
    const hashes = await JpegCodec.use((codec) =>
      seeds.map((seed) => {
        const inside = codec.put(picture(256, 240, seed));
        const hash = differenceHash(codec.photoStats(inside));
        codec.free(inside);
        return hash;
      }),
    );
    let closest = 64;
    for (let i = 0; i < hashes.length; i++)
      for (let j = i + 1; j < hashes.length; j++)
        closest = Math.min(closest, hammingDistance(hashes[i] ?? "", hashes[j] ?? ""));
    expect(closest).toBeGreaterThan(NEAR_DUPLICATE_DISTANCE + 2);
  });

  it("counts differing bits, and a missing or malformed hash is never a match", () => {
    expect(hammingDistance("0000000000000000", "000000000000000f")).toBe(4);
    expect(hammingDistance("ffffffffffffffff", "0000000000000000")).toBe(64);
    expect(isNearDuplicate("0000000000000001", ["ffffffffffffffff", "0000000000000003"])).toBe(true);
    expect(isNearDuplicate("0000000000000001", ["not a hash"])).toBe(false);
    expect(isNearDuplicate("0000000000000001", [])).toBe(false);
  });
});
