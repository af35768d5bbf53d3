/**
 * fal signs webhook deliveries with ED25519: the message is
 *   request_id \n user_id \n timestamp \n hex(sha256(body))
 * from the X-Fal-Webhook-{Request-Id,User-Id,Timestamp} headers, the signature is hex in
 * X-Fal-Webhook-Signature, the public keys come from fal's JWKS, and the timestamp must be
 * within five minutes. The key set is cached for at most 24 hours, as fal allows.
 */
export const JWKS_PATH = "/.well-known/jwks.json";
export const DEFAULT_JWKS_ORIGIN = "https://rest.fal.ai";
const MAX_SKEW_SECONDS = 300;
const JWKS_TTL_MS = 24 * 3600 * 1000;

let cache: { url: string; keys: CryptoKey[]; at: number } | undefined;

export type WebhookVerdict = { ok: true; requestId: string } | { ok: false; reason: string };

export async function verifyFalWebhook(
  headers: Headers,
  body: Uint8Array,
  jwksOrigin: string,
  now = Date.now(),
): Promise<WebhookVerdict> {
  const requestId = headers.get("x-fal-webhook-request-id");
  const userId = headers.get("x-fal-webhook-user-id");
  const timestamp = headers.get("x-fal-webhook-timestamp");
  const signature = headers.get("x-fal-webhook-signature");
  if (!requestId || !userId || !timestamp || !signature) return { ok: false, reason: "unsigned" };
  if (!/^\d+$/.test(timestamp) || Math.abs(now / 1000 - Number(timestamp)) > MAX_SKEW_SECONDS) {
    return { ok: false, reason: "stale" };
  }
  if (!/^[0-9a-fA-F]+$/.test(signature) || signature.length % 2 !== 0) return { ok: false, reason: "malformed" };
  const digest = Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", body)), (b) =>
    b.toString(16).padStart(2, "0"),
  ).join("");
  const message = new TextEncoder().encode(`${requestId}\n${userId}\n${timestamp}\n${digest}`);
  const signatureBytes = new Uint8Array(signature.match(/../g)?.map((h) => Number.parseInt(h, 16)) ?? []);
  for (const key of await publicKeys(`${jwksOrigin}${JWKS_PATH}`, now)) {
    if (await crypto.subtle.verify("Ed25519", key, signatureBytes, message)) return { ok: true, requestId };
  }
  return { ok: false, reason: "bad_signature" };
}

async function publicKeys(url: string, now: number): Promise<CryptoKey[]> {
  if (cache && cache.url === url && now - cache.at < JWKS_TTL_MS) return cache.keys;
  const response = await fetch(url);
  if (!response.ok) throw new Error(`JWKS answered ${response.status}`);
  const { keys } = (await response.json()) as { keys?: Array<{ kty?: string; crv?: string; x?: string }> };
  const imported: CryptoKey[] = [];
  for (const jwk of keys ?? []) {
    if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || !jwk.x) continue;
    const x = jwk.x.replace(/=+$/, "");
    imported.push(
      await crypto.subtle.importKey("jwk", { kty: "OKP", crv: "Ed25519", x }, { name: "Ed25519" }, false, ["verify"]),
    );
  }
  cache = { url, keys: imported, at: now };
  return imported;
}

/** For tests: forget the cached key set. */
export function forgetJwks(): void {
  cache = undefined;
}
