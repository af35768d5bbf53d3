/**
 * Two photos whose dHashes (src/images/dhash.ts) differ in at most this many of 64 bits are the
 * same picture. Chosen on the test corpus (test/unit/dhash.test.ts): a JPEG recompressed at
 * quality 45 and halved, or the same picture as a PNG, stays within 3 bits; different pictures,
 * even ones sharing the corpus's face in the middle, are 12 or more apart.
 */
export const NEAR_DUPLICATE_DISTANCE = 6;

/** Bits in which two hashes differ; 64 (as far apart as can be) when either is not a hash. */
export function hammingDistance(a: string, b: string): number {
  if (a.length !== b.length || !/^[0-9a-f]+$/.test(a + b)) return 64;
  let distance = 0;
  for (let i = 0; i < a.length; i += 2) {
    let x = Number.parseInt(a.slice(i, i + 2), 16) ^ Number.parseInt(b.slice(i, i + 2), 16);
    for (; x; x &= x - 1) distance++;
  }
  return distance;
}

/** Whether `hash` is the same picture as any of `stored`. */
export function isNearDuplicate(hash: string, stored: readonly string[]): boolean {
  return stored.some((other) => hammingDistance(hash, other) <= NEAR_DUPLICATE_DISTANCE);
}
