export const AVATAR_NAME_MAX_LENGTH = 40;

export type AvatarNameResult =
  | { ok: true; name: string }
  | { ok: false; reason: "empty" | "too_long" | "control_characters" };

// C0/C1 controls plus the bidi overrides and zero-width marks that make a name render deceptively.
const FORBIDDEN = /[\p{Cc}\u200B-\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/u;

/** Validates a user-typed avatar name: 1–40 characters after trimming, no control characters. */
export function parseAvatarName(input: string): AvatarNameResult {
  const name = input.normalize("NFC").trim();
  if (name.length === 0) return { ok: false, reason: "empty" };
  if (FORBIDDEN.test(name)) return { ok: false, reason: "control_characters" };
  if ([...name].length > AVATAR_NAME_MAX_LENGTH) return { ok: false, reason: "too_long" };
  return { ok: true, name };
}
