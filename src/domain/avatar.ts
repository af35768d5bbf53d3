/** The spec's enums, kept as const tuples so the DB schema, the bot and the tests share one source. */
export const AVATAR_TYPES = ["CHARACTER", "STYLE", "CUSTOM"] as const;
export type AvatarType = (typeof AVATAR_TYPES)[number];

export const AVATAR_GENDERS = ["MALE", "FEMALE", "OTHER"] as const;
export type AvatarGender = (typeof AVATAR_GENDERS)[number];

export const AVATAR_STATUSES = [
  "DRAFT",
  "PHOTOS_UPLOADING",
  "READY_FOR_TRAINING",
  "TRAINING",
  "COMPLETED",
  "ERROR",
  "CANCELLED",
] as const;
export type AvatarStatus = (typeof AVATAR_STATUSES)[number];

export const PHOTO_VALIDATION_STATUSES = ["PENDING", "VALID", "INVALID"] as const;
export type PhotoValidationStatus = (typeof PHOTO_VALIDATION_STATUSES)[number];

export const FAL_PRIORITIES = ["speed", "balanced", "quality"] as const;
export type FalPriority = (typeof FAL_PRIORITIES)[number];

export const GENERATION_STATUSES = ["QUEUED", "SUBMITTING", "RUNNING", "DELIVERING", "SUCCEEDED", "FAILED"] as const;
export type GenerationStatus = (typeof GENERATION_STATUSES)[number];

/** The spec's `fal_mode` follows the avatar type one to one. */
export function falModeFor(type: AvatarType): "character" | "style" | "custom" {
  return type.toLowerCase() as "character" | "style" | "custom";
}

export function isAvatarType(value: string): value is AvatarType {
  return (AVATAR_TYPES as readonly string[]).includes(value);
}

export function isAvatarGender(value: string): value is AvatarGender {
  return (AVATAR_GENDERS as readonly string[]).includes(value);
}
