import type { AvatarPhoto, FaceBox, PhotoAttributes, PhotoQuality } from "./entities";
import { hammingDistance } from "./near-duplicate";

/*
 * The likeness coach: what hurts likeness on one photo, and how good the whole set is, from what the
 * photo check already keeps (the face box, the quality score, the dHash) and what fal's vision model
 * saw (PhotoAttributes). Pure functions; README's "The likeness coach" documents every number here.
 */

/** Advice on one photo, most harmful first: the first one is the line the user reads. */
export const PHOTO_ADVICE = [
  "sunglasses",
  "head_covering",
  "face_small",
  "cut_off",
  // Before blurry: a dark or washed-out photo loses its edges too, and the light is what to fix.
  "dark",
  "bright",
  "blurry",
  "filter",
  "looking_away",
] as const;
export type PhotoAdvice = (typeof PHOTO_ADVICE)[number];

/** The face box's share of the frame under which the face is too small to learn from ("move closer"). */
export const FACE_SMALL_SHARE = 0.02;
/** The share at and above which a photo counts as a close-up. */
export const CLOSE_UP_SHARE = 0.08;
/** A face box this close to an edge of the frame (0–1) is cut off by it. */
export const CUT_OFF_MARGIN = 0.01;
/** Sharpness (src/images/quality.ts) under which a photo is blurred: a Laplacian variance near 20. */
export const BLURRY_SHARPNESS = 0.5;
/** Mean brightness (0–1) under which a photo is too dark, and over which it is too bright. */
export const DARK_BRIGHTNESS = 0.22;
export const BRIGHT_BRIGHTNESS = 0.82;
/**
 * dHash distance at or under which two photos "look almost the same" for the set advice. Looser
 * than NEAR_DUPLICATE_DISTANCE (which refuses the same picture): a slight crop or a second frame
 * of the same burst lands here (test/unit/likeness-coach.test.ts measures made pairs).
 */
export const SIMILAR_DISTANCE = 12;

/** What one photo's check left behind that the coach reads. */
export interface CoachedPhoto {
  faceBox: FaceBox | null;
  quality: PhotoQuality | null;
  attributes: PhotoAttributes | null;
  perceptualHash: string | null;
}

export function coachedPhoto(photo: AvatarPhoto): CoachedPhoto {
  const meta = photo.photoMetadata;
  return {
    faceBox: meta.faceBox ?? null,
    quality: meta.quality ?? null,
    attributes: meta.attributes ?? null,
    perceptualHash: photo.perceptualHash,
  };
}

/** Every piece of advice that applies to one photo, most harmful first; empty for a good photo. */
export function photoAdvice(photo: CoachedPhoto): PhotoAdvice[] {
  const found = new Set<PhotoAdvice>();
  const box = photo.faceBox;
  if (box) {
    if (box.width * box.height < FACE_SMALL_SHARE) found.add("face_small");
    if (
      box.x <= CUT_OFF_MARGIN ||
      box.y <= CUT_OFF_MARGIN ||
      box.x + box.width >= 1 - CUT_OFF_MARGIN ||
      box.y + box.height >= 1 - CUT_OFF_MARGIN
    )
      found.add("cut_off");
  }
  const quality = photo.quality;
  if (quality) {
    if (quality.sharpness < BLURRY_SHARPNESS) found.add("blurry");
    if (quality.brightness !== undefined && quality.brightness < DARK_BRIGHTNESS) found.add("dark");
    if (quality.brightness !== undefined && quality.brightness > BRIGHT_BRIGHTNESS) found.add("bright");
  }
  const seen = photo.attributes;
  if (seen) {
    if (seen.sunglasses) found.add("sunglasses");
    if (seen.headCovering) found.add("head_covering");
    if (seen.heavyFilter) found.add("filter");
    // A profile is wanted for variety; eyes turned far off in a frontal shot are not.
    if (seen.gaze === "away" && seen.pose !== "profile") found.add("looking_away");
  }
  return PHOTO_ADVICE.filter((advice) => found.has(advice));
}

export type SetSuggestion =
  | { kind: "similar"; count: number }
  | { kind: "close_ups"; count: number }
  | { kind: "profiles"; count: number }
  | { kind: "variety" }
  | { kind: "sunglasses"; count: number }
  | { kind: "marked"; count: number };

export interface SetScore {
  /** 0–10, whole points. */
  score: number;
  /** What would raise it, the largest gain first. */
  suggestions: SetSuggestion[];
}

/** The weights of the set score's parts; they add up to 10. */
export const SET_WEIGHTS = { clean: 3, distinct: 2, closeUps: 2, poses: 1.5, variety: 1.5 } as const;
/** Shares of the set the score asks for: close-ups, and faces turned (three-quarter or profile). */
export const CLOSE_UP_TARGET = 0.4;
export const TURNED_TARGET = 0.2;
/** Spread of brightness (standard deviation, 0–1) and mean pairwise dHash distance that count as full variety. */
export const LIGHT_SPREAD_FULL = 0.12;
export const SCENE_DISTANCE_FULL = 24;
/** Variety under this share of full asks for "different light and places". */
const VARIETY_ENOUGH = 0.6;

/**
 * The set's score out of 10: the weighted sum of five parts, each 0–1 (README, "The likeness coach"):
 * clean (share of photos without advice), distinct (share left after near-duplicates), close-ups and
 * turned faces (against their targets), and variety of light and places. Without any vision
 * attributes (fal out of reach) the pose part is left out and the rest scaled up to 10.
 */
export function setScore(photos: readonly CoachedPhoto[]): SetScore {
  const n = photos.length;
  if (n === 0) return { score: 0, suggestions: [] };
  const advice = photos.map(photoAdvice);
  const clean = advice.filter((list) => list.length === 0).length / n;

  const similar = similarGroups(photos);
  const repeats = similar.reduce((sum, group) => sum + group.length - 1, 0);
  const inSimilar = similar.reduce((sum, group) => sum + group.length, 0);
  const distinct = 1 - repeats / n;

  const closeUps = photos.filter((p) => p.faceBox && p.faceBox.width * p.faceBox.height >= CLOSE_UP_SHARE).length;
  const closeUpTarget = Math.ceil(n * CLOSE_UP_TARGET);
  const closeUpPart = Math.min(1, closeUps / closeUpTarget);

  const seen = photos.filter((p) => p.attributes !== null);
  const turned = seen.filter((p) => p.attributes?.pose !== "front").length;
  const turnedTarget = Math.max(1, Math.ceil(n * TURNED_TARGET));
  const posePart = Math.min(1, turned / turnedTarget);

  const variety = varietyOf(photos);
  const sunglasses = photos.filter((p) => p.attributes?.sunglasses).length;

  const parts: Array<[number, number]> = [
    [SET_WEIGHTS.clean, clean],
    [SET_WEIGHTS.distinct, distinct],
    [SET_WEIGHTS.closeUps, closeUpPart],
    [SET_WEIGHTS.variety, variety],
  ];
  if (seen.length > 0) parts.push([SET_WEIGHTS.poses, posePart]);
  const weight = parts.reduce((sum, [w]) => sum + w, 0);
  const raw = parts.reduce((sum, [w, part]) => sum + w * part, 0);
  const score = Math.max(0, Math.min(10, Math.round((raw / weight) * 10)));

  const gains: Array<[number, SetSuggestion]> = [];
  if (repeats > 0) gains.push([SET_WEIGHTS.distinct * (1 - distinct), { kind: "similar", count: inSimilar }]);
  if (closeUps < closeUpTarget)
    gains.push([SET_WEIGHTS.closeUps * (1 - closeUpPart), { kind: "close_ups", count: closeUpTarget - closeUps }]);
  if (seen.length > 0 && turned < turnedTarget)
    gains.push([SET_WEIGHTS.poses * (1 - posePart), { kind: "profiles", count: turnedTarget - turned }]);
  if (variety < VARIETY_ENOUGH) gains.push([SET_WEIGHTS.variety * (1 - variety), { kind: "variety" }]);
  if (sunglasses > 0) gains.push([(SET_WEIGHTS.clean * sunglasses) / n, { kind: "sunglasses", count: sunglasses }]);
  const otherMarked = advice.filter((list) => list.length > 0 && !list.includes("sunglasses")).length;
  if (otherMarked > 0) gains.push([(SET_WEIGHTS.clean * otherMarked) / n, { kind: "marked", count: otherMarked }]);
  const suggestions = gains.sort((a, b) => b[0] - a[0]).map(([, suggestion]) => suggestion);
  return { score, suggestions };
}

/**
 * The photos that help the likeness least, worst first, as indexes into `photos`: those with advice
 * (more and worse advice first) and the repeats of a near-duplicate group; at most `limit`.
 */
export function leastHelpful(photos: readonly CoachedPhoto[], limit: number): number[] {
  const repeats = new Set(similarGroups(photos).flatMap((group) => group.slice(1)));
  const penalty = photos.map((photo, i) => {
    const advice = photoAdvice(photo);
    const worst = advice[0] === undefined ? 0 : PHOTO_ADVICE.length - PHOTO_ADVICE.indexOf(advice[0]);
    return advice.length * 100 + worst + (repeats.has(i) ? 50 : 0);
  });
  return penalty
    .map((value, i) => [value, i] as const)
    .filter(([value]) => value > 0)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
    .slice(0, limit)
    .map(([, i]) => i);
}

/** Groups of two or more photos within SIMILAR_DISTANCE of each other (single linkage), as indexes. */
export function similarGroups(photos: readonly CoachedPhoto[]): number[][] {
  const parent = photos.map((_, i) => i);
  const root = (i: number): number => {
    let r = i;
    while (parent[r] !== r) r = parent[r] ?? r;
    return r;
  };
  for (let i = 0; i < photos.length; i++) {
    for (let j = i + 1; j < photos.length; j++) {
      const a = photos[i]?.perceptualHash;
      const b = photos[j]?.perceptualHash;
      if (a && b && hammingDistance(a, b) <= SIMILAR_DISTANCE) parent[root(j)] = root(i);
    }
  }
  const groups = new Map<number, number[]>();
  for (let i = 0; i < photos.length; i++) groups.set(root(i), [...(groups.get(root(i)) ?? []), i]);
  return [...groups.values()].filter((group) => group.length > 1);
}

/** Variety of light (spread of brightness) and places (mean pairwise dHash distance), 0–1. */
function varietyOf(photos: readonly CoachedPhoto[]): number {
  if (photos.length < 2) return 0;
  const light = photos.flatMap((p) => (p.quality?.brightness === undefined ? [] : [p.quality.brightness]));
  const mean = light.reduce((a, b) => a + b, 0) / Math.max(1, light.length);
  const spread = Math.sqrt(light.reduce((sum, b) => sum + (b - mean) ** 2, 0) / Math.max(1, light.length));
  const hashes = photos.flatMap((p) => (p.perceptualHash ? [p.perceptualHash] : []));
  let total = 0;
  let pairs = 0;
  for (let i = 0; i < hashes.length; i++)
    for (let j = i + 1; j < hashes.length; j++) {
      total += hammingDistance(hashes[i] ?? "", hashes[j] ?? "");
      pairs++;
    }
  const scenes = pairs > 0 ? total / pairs : 0;
  return (Math.min(1, spread / LIGHT_SPREAD_FULL) + Math.min(1, scenes / SCENE_DISTANCE_FULL)) / 2;
}
