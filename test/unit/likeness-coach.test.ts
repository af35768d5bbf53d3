import { describe, expect, it } from "vitest";
import type { FaceBox, PhotoAttributes, PhotoQuality } from "../../src/domain/entities";
import {
  type CoachedPhoto,
  leastHelpful,
  photoAdvice,
  SIMILAR_DISTANCE,
  setScore,
  similarGroups,
} from "../../src/domain/likeness-coach";
import { hammingDistance, NEAR_DUPLICATE_DISTANCE } from "../../src/domain/near-duplicate";
import type { Raster } from "../../src/domain/ports";
import { photoImages } from "../../src/images/prepare";
import { jpeg, picture } from "../corpus/images";

/** The hash the photo check stores, from the same decode and thumbnail it uses. */
async function hashOf(bytes: Uint8Array): Promise<string> {
  const header = photoImages.readHeader(bytes);
  if (!header) throw new Error("no header");
  const upright = await photoImages.decodeUpright(bytes, "JPEG", header);
  return (await photoImages.prepare(upright, null)).perceptualHash;
}

function crop(image: Raster, share: number): Raster {
  const dx = Math.round(image.width * share);
  const dy = Math.round(image.height * share);
  const width = image.width - 2 * dx;
  const height = image.height - 2 * dy;
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++)
    data.set(
      image.data.subarray(((y + dy) * image.width + dx) * 4, ((y + dy) * image.width + dx + width) * 4),
      y * width * 4,
    );
  return { data, width, height };
}

const FRONTAL: PhotoAttributes = {
  sunglasses: false,
  headCovering: false,
  heavyFilter: false,
  gaze: "camera",
  pose: "front",
};
const CLOSE_UP: FaceBox = { x: 0.3, y: 0.2, width: 0.4, height: 0.45 };
const MEDIUM: FaceBox = { x: 0.4, y: 0.25, width: 0.2, height: 0.25 };
const SHARP: PhotoQuality = { score: 0.8, sharpness: 0.9, exposure: 0.9, contrast: 0.7, brightness: 0.5 };

/** A made photo: a sharp frontal close-up unless told otherwise; `hash` distinct per `scene`. */
function photo(overrides: Partial<CoachedPhoto> & { scene?: number; light?: number } = {}): CoachedPhoto {
  const scene = overrides.scene ?? 0;
  // Hashes of different scenes differ in about half their bits, as different shots do.
  const hash = Array.from({ length: 8 }, (_, i) =>
    (((scene + 1) * 0x9e3779b1 * (i + 3)) >>> 24).toString(16).padStart(2, "0"),
  ).join("");
  return {
    faceBox: CLOSE_UP,
    quality: { ...SHARP, brightness: overrides.light ?? 0.5 },
    attributes: FRONTAL,
    perceptualHash: hash,
    ...overrides,
  };
}

describe("advice on one photo", () => {
  it("says nothing about a sharp, well-lit frontal close-up", () => {
    expect(photoAdvice(photo())).toEqual([]);
  });

  it("finds each problem, most harmful first", () => {
    expect(photoAdvice(photo({ faceBox: { x: 0.45, y: 0.4, width: 0.1, height: 0.12 } }))).toEqual(["face_small"]);
    expect(photoAdvice(photo({ faceBox: { x: 0, y: 0.2, width: 0.4, height: 0.5 } }))).toEqual(["cut_off"]);
    expect(photoAdvice(photo({ faceBox: { x: 0.3, y: 0.5, width: 0.4, height: 0.5 } }))).toEqual(["cut_off"]);
    expect(photoAdvice(photo({ quality: { ...SHARP, sharpness: 0.3 } }))).toEqual(["blurry"]);
    expect(photoAdvice(photo({ light: 0.1 }))).toEqual(["dark"]);
    expect(photoAdvice(photo({ light: 0.93 }))).toEqual(["bright"]);
    expect(photoAdvice(photo({ attributes: { ...FRONTAL, sunglasses: true } }))).toEqual(["sunglasses"]);
    expect(photoAdvice(photo({ attributes: { ...FRONTAL, headCovering: true } }))).toEqual(["head_covering"]);
    expect(photoAdvice(photo({ attributes: { ...FRONTAL, heavyFilter: true } }))).toEqual(["filter"]);
    expect(photoAdvice(photo({ attributes: { ...FRONTAL, gaze: "away" } }))).toEqual(["looking_away"]);
    expect(
      photoAdvice(
        photo({ light: 0.1, attributes: { ...FRONTAL, gaze: "away", sunglasses: true, headCovering: true } }),
      ),
    ).toEqual(["sunglasses", "head_covering", "dark", "looking_away"]);
  });

  it("wants profiles: eyes away in a profile are not advice, and without fal's attributes only the local checks run", () => {
    expect(photoAdvice(photo({ attributes: { ...FRONTAL, gaze: "away", pose: "profile" } }))).toEqual([]);
    expect(photoAdvice(photo({ attributes: null, faceBox: null, quality: null }))).toEqual([]);
    // A photo stored before brightness was kept is never called dark or bright.
    expect(photoAdvice(photo({ quality: { score: 0.2, sharpness: 0.9, exposure: 0.1, contrast: 0.5 } }))).toEqual([]);
  });
});

describe("the set score", () => {
  it("rises as the set improves, and says what would raise it", () => {
    // Ten frames of one selfie, some with sunglasses, all frontal, at middle distance, in one light.
    const burst = Array.from({ length: 10 }, (_, i) =>
      photo({ faceBox: MEDIUM, attributes: { ...FRONTAL, sunglasses: i < 3 } }),
    );
    const first = setScore(burst);
    expect(first.suggestions.map((s) => s.kind)).toEqual(["close_ups", "similar", "profiles", "variety", "sunglasses"]);
    expect(first.suggestions).toContainEqual({ kind: "similar", count: 10 });
    expect(first.suggestions).toContainEqual({ kind: "close_ups", count: 4 });
    expect(first.suggestions).toContainEqual({ kind: "profiles", count: 2 });
    expect(first.suggestions).toContainEqual({ kind: "sunglasses", count: 3 });

    // The user deletes the repeats and sends different shots, still frontal and at middle distance.
    const distinct = burst.map((p, i) => ({
      ...photo({ scene: i, light: 0.3 + (i % 4) * 0.1, faceBox: MEDIUM }),
      attributes: p.attributes,
    }));
    const second = setScore(distinct);
    // Sunglasses weigh as much as the missing profiles; either may come first.
    expect(second.suggestions.map((s) => s.kind).sort()).toEqual(["close_ups", "profiles", "sunglasses"]);

    // Close-ups instead of middle-distance shots, no sunglasses.
    const closer = distinct.map((p, i) => ({ ...p, faceBox: i < 5 ? CLOSE_UP : MEDIUM, attributes: FRONTAL }));
    const third = setScore(closer);
    expect(third.suggestions.map((s) => s.kind)).toEqual(["profiles"]);

    // Two of them turned to profile: nothing left to ask for.
    const best = closer.map((p, i) => (i >= 8 ? { ...p, attributes: { ...FRONTAL, pose: "profile" as const } } : p));
    const last = setScore(best);
    expect(last).toEqual({ score: 10, suggestions: [] });

    const scores = [first, second, third, last].map((s) => s.score);
    expect(scores).toEqual([...scores].sort((a, b) => a - b));
    expect(new Set(scores).size).toBe(4);
    expect(first.score).toBeLessThanOrEqual(5);
  });

  it("leaves the pose part out when fal could not look at any photo, and an empty set scores 0", () => {
    const unseen = Array.from({ length: 6 }, (_, i) =>
      photo({ scene: i, light: 0.3 + (i % 4) * 0.1, attributes: null }),
    );
    expect(setScore(unseen)).toEqual({ score: 10, suggestions: [] });
    expect(setScore([])).toEqual({ score: 0, suggestions: [] });
  });

  it("names the photos that help least, worst first", () => {
    const set = [
      photo({ scene: 1 }),
      photo({ scene: 2, attributes: { ...FRONTAL, sunglasses: true } }),
      photo({ scene: 3, quality: { ...SHARP, sharpness: 0.2, brightness: 0.1 } }),
      photo({ scene: 4 }),
      photo({ scene: 4 }),
    ];
    expect(leastHelpful(set, 3)).toEqual([2, 1, 4]);
    expect(leastHelpful([photo({ scene: 1 }), photo({ scene: 2 })], 3)).toEqual([]);
  });
});

describe("near-duplicates in the set, on made pairs", () => {
  it("groups the same shot re-encoded or slightly cropped, and keeps a different shot apart", async () => {
    const recoded: number[] = [];
    const cropped: number[] = [];
    const different: number[] = [];
    for (const seed of [1, 2, 7, 40, 100, 159]) {
      const shot = picture(800, 600, seed);
      const hash = await hashOf(await jpeg(shot, { quality: 92 }));
      recoded.push(hammingDistance(hash, await hashOf(await jpeg(shot, { quality: 50 }))));
      // 3% off each side: a slight crop, or the next frame of a burst.
      cropped.push(hammingDistance(hash, await hashOf(await jpeg(crop(shot, 0.03), { quality: 90 }))));
      different.push(hammingDistance(hash, await hashOf(await jpeg(picture(800, 600, seed + 1000), { quality: 92 }))));
    }
    // The same picture re-encoded is refused at upload; a slight crop may pass that check but the
    // set advice counts it as "almost the same"; a different shot is neither.
    expect(Math.max(...recoded)).toBeLessThanOrEqual(NEAR_DUPLICATE_DISTANCE - 3);
    expect(Math.max(...cropped)).toBeLessThanOrEqual(SIMILAR_DISTANCE);
    expect(Math.min(...different)).toBeGreaterThanOrEqual(SIMILAR_DISTANCE + 4);
  }, 60_000);

  it("links a chain of similar photos into one group", () => {
    const base = "0000000000000000";
    const step = (bits: number) => BigInt(`0x${base}`) | ((1n << BigInt(bits)) - 1n);
    const hex = (n: bigint) => n.toString(16).padStart(16, "0");
    const chain = [hex(step(0)), hex(step(10)), hex(step(20)), "ffffffffffffffff"].map((perceptualHash) =>
      photo({ perceptualHash }),
    );
    expect(similarGroups(chain)).toEqual([[0, 1, 2]]);
  });
});
