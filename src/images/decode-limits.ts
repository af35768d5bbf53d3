/**
 * What a decoder of user bytes may spend. Every decoder here throws `DecoderError` for a file it will
 * not read (the photo is then "unreadable"); anything else it throws is a bug.
 */
export class DecoderError extends Error {}

/** The dimensions `image-size` read from the header, which the decoders must find again. */
export interface Geometry {
  width: number;
  height: number;
}

/**
 * How long one decode may run by the clock, where the clock moves (in workerd it stands still while
 * code runs): the Workers default CPU limit per request, so only a decode that could never finish there
 * is stopped, however loaded the machine.
 */
const WALL_CLOCK_MS = 30_000;
const CLOCK_EVERY = 1 << 14;

/**
 * Counts a decode's units of work (blocks, rows, bytes inflated) against a limit set from the accepted
 * geometry, so a crafted file cannot make a decoder work past what a real picture of that size needs.
 */
export class DecodeBudget {
  #used = 0;
  #nextClock = CLOCK_EVERY;
  readonly #deadline = Date.now() + WALL_CLOCK_MS;

  constructor(
    readonly limit: number,
    readonly what: string,
  ) {}

  spend(units: number): void {
    this.#used += units;
    if (this.#used > this.limit) throw new DecoderError(`${this.what}: more work than the picture's size allows`);
    if (this.#used >= this.#nextClock) {
      this.#nextClock = this.#used + CLOCK_EVERY;
      if (Date.now() > this.#deadline) throw new DecoderError(`${this.what}: decoding took too long`);
    }
  }

  get used(): number {
    return this.#used;
  }
}

/** Refuses a header that names other dimensions than the ones the size checks accepted. */
export function expectGeometry(found: Geometry, expected: Geometry | undefined, what: string): void {
  if (expected && (found.width !== expected.width || found.height !== expected.height)) {
    throw new DecoderError(
      `${what} says ${found.width}×${found.height}, the header checks read ${expected.width}×${expected.height}`,
    );
  }
}
