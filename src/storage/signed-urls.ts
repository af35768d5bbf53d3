/**
 * Time-limited links to objects the Worker serves itself (the training archive fal downloads
 * when the store is R2, which has no presigned URLs through its binding). The HMAC key is
 * derived from TELEGRAM_WEBHOOK_SECRET with HKDF, so no extra secret is needed.
 */
import type { Settings } from "../config/settings";
import type { ObjectStorage } from "../domain/object-storage";

const encoder = new TextEncoder();

/** Where the Worker serves the training archive (src/http/routes/training-data.ts). */
export const TRAINING_DATA_PREFIX = "/training-data/";

/** A link fal can download the archive from: presigned by the store where it can, else signed by us. */
export async function trainingDataLink(
  settings: Settings,
  storage: ObjectStorage,
  key: string,
  ttlSeconds: number,
): Promise<string> {
  const presigned = await storage.presignGet?.(key, ttlSeconds);
  if (presigned) return presigned;
  return signPath(settings.telegramWebhookSecret, settings.publicUrl, `${TRAINING_DATA_PREFIX}${key}`, ttlSeconds);
}

async function key(secret: string): Promise<CryptoKey> {
  const base = await crypto.subtle.importKey("raw", encoder.encode(secret), "HKDF", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(), info: encoder.encode("avatar-studio/signed-url") },
    base,
    { name: "HMAC", hash: "SHA-256", length: 256 },
    false,
    ["sign", "verify"],
  );
}

function toHex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** `${publicUrl}${path}?expires=…&signature=…`, valid for `ttlSeconds`. */
export async function signPath(
  secret: string,
  publicUrl: string,
  path: string,
  ttlSeconds: number,
  now = Date.now(),
): Promise<string> {
  const expires = Math.floor(now / 1000) + ttlSeconds;
  const signature = await crypto.subtle.sign("HMAC", await key(secret), encoder.encode(`${path}\n${expires}`));
  return `${publicUrl}${path}?expires=${expires}&signature=${toHex(signature)}`;
}

export async function verifySignedPath(
  secret: string,
  path: string,
  expires: string | undefined,
  signature: string | undefined,
  now = Date.now(),
): Promise<boolean> {
  if (!expires || !signature || !/^\d+$/.test(expires) || !/^[0-9a-f]{64}$/.test(signature)) return false;
  if (Number(expires) * 1000 < now) return false;
  const bytes = new Uint8Array(signature.match(/../g)?.map((h) => Number.parseInt(h, 16)) ?? []);
  return crypto.subtle.verify("HMAC", await key(secret), bytes, encoder.encode(`${path}\n${expires}`));
}
