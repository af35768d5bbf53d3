import type { PhotoFormat } from "./ports";

/** The spec's storage layout, key for key: avatars/user_{user_id}/avatar_{avatar_id}/... */
export function avatarPrefix(userId: string, avatarId: string): string {
  return `avatars/user_${userId}/avatar_${avatarId}/`;
}

export function userPrefix(userId: string): string {
  return `avatars/user_${userId}/`;
}

/** The extension a photo's original is stored under. */
export const PHOTO_EXTENSIONS: Record<PhotoFormat, string> = { JPEG: "jpg", PNG: "png", WEBP: "webp" };

/** The three objects of one photo; `sequence` numbers keys and is never reused within an avatar. */
export function photoKeys(userId: string, avatarId: string, sequence: number, extension: string) {
  const n = String(sequence).padStart(3, "0");
  const base = `${avatarPrefix(userId, avatarId)}photos/`;
  return {
    original: `${base}original/photo_${n}.${extension}`,
    thumbnail: `${base}thumbnails/thumb_${n}.jpg`,
    processed: `${base}processed/crop_${n}.jpg`,
  };
}

/** The archive of processed crops handed to fal for training. */
export function trainingZipKey(userId: string, avatarId: string): string {
  return `${avatarPrefix(userId, avatarId)}training_data/training_set.zip`;
}

/** Picture `index` (from 1) of one generation: named by the generation, so storing it again overwrites. */
export function generatedKey(userId: string, avatarId: string, generationId: string, index: number): string {
  return `${avatarPrefix(userId, avatarId)}generated/gen_${generationId}_${index}.jpg`;
}
