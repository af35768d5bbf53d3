/** Compares secrets in constant time (through digests, so lengths do not leak either). */
export async function constantTimeEqual(given: string | undefined, expected: string): Promise<boolean> {
  if (given === undefined) return false;
  const encoder = new TextEncoder();
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(given)),
    crypto.subtle.digest("SHA-256", encoder.encode(expected)),
  ]);
  return crypto.subtle.timingSafeEqual(a, b);
}
