/**
 * TELEGRAM_WEBHOOK_SECRET is Telegram's secret token (1-256 characters of A-Z, a-z, 0-9, _ and -) and
 * also the root of the archive links' HMAC key (src/storage/signed-urls.ts), so it must be long enough
 * not to be guessed: 32 characters at least. No imports, so the Node scripts can check it too.
 */
export const WEBHOOK_SECRET_MIN_LENGTH = 32;

/** What is wrong with a webhook secret, as one config_invalid problem; null when it will do. */
export function webhookSecretProblem(secret: string): string | null {
  const fault = webhookSecretFault(secret);
  return fault === null ? null : `TELEGRAM_WEBHOOK_SECRET ${fault}`;
}

/** The same, said without the setting's name ("must be …"); null when the secret will do. */
export function webhookSecretFault(secret: string): string | null {
  if (/^[A-Za-z0-9_-]+$/.test(secret) && secret.length >= WEBHOOK_SECRET_MIN_LENGTH && secret.length <= 256) {
    return null;
  }
  const got = /^[A-Za-z0-9_-]*$/.test(secret) ? `it has ${secret.length}` : "it has other characters";
  return `must be ${WEBHOOK_SECRET_MIN_LENGTH}-256 characters of A-Z, a-z, 0-9, _ and - (${got}); make one with \`openssl rand -hex 32\``;
}
