/**
 * Credits: an append-only ledger of entries, each with an idempotency key, and a balance per user kept
 * beside it in the same atomic write. `userId` is the user's Telegram id, so an admin can grant credits
 * to someone by the id Telegram shows, and purchases and refunds name the same person Telegram does.
 */

export const LEDGER_KINDS = ["grant", "purchase", "reserve", "charge", "release", "refund"] as const;
export type LedgerKind = (typeof LEDGER_KINDS)[number];

export interface Balance {
  userId: number;
  available: number;
  reserved: number;
}

export interface LedgerEntryInput {
  userId: number;
  kind: LedgerKind;
  /** > 0 always; the kind says which way it moves. */
  credits: number;
  /** Idempotency key, unique across the ledger, e.g. `purchase:${telegramChargeId}`, `training:${trainingId}:reserve`. */
  key: string;
  /** The job or payment it belongs to (training id, generation id, charge id). */
  ref?: string;
  /** For purchase and refund: the Stars paid / given back. */
  stars?: number;
  /** For grant and refund: the admin who did it. */
  actorId?: number;
}

export interface LedgerEntry extends LedgerEntryInput {
  id: string;
  createdAt: Date;
}

export type LedgerOutcome =
  | { applied: true; balance: Balance }
  /** The key was already used: a no-op. */
  | { applied: false; reason: "duplicate"; balance: Balance }
  /** Reserve or refund beyond `available` (or charge or release beyond `reserved`). */
  | { applied: false; reason: "insufficient"; balance: Balance };

/** How an entry of each kind moves the balance, and which part of it must cover the entry first. */
export const LEDGER_RULES: Record<
  LedgerKind,
  { available: -1 | 0 | 1; reserved: -1 | 0 | 1; needs: "available" | "reserved" | null }
> = {
  grant: { available: 1, reserved: 0, needs: null },
  purchase: { available: 1, reserved: 0, needs: null },
  reserve: { available: -1, reserved: 1, needs: "available" },
  charge: { available: 0, reserved: -1, needs: "reserved" },
  release: { available: 1, reserved: -1, needs: "reserved" },
  refund: { available: -1, reserved: 0, needs: "available" },
};

/** The balance of a user the ledger has never seen. */
export function emptyBalance(userId: number): Balance {
  return { userId, available: 0, reserved: 0 };
}

/** Refuses an entry no rule allows (a programming error, not a user's): credits must be a positive whole number. */
export function checkLedgerEntry(entry: LedgerEntryInput): void {
  if (!Number.isSafeInteger(entry.credits) || entry.credits <= 0) {
    throw new RangeError(`ledger entry ${entry.key}: credits must be a positive integer, got ${entry.credits}`);
  }
  if (entry.key.length === 0) throw new RangeError("ledger entry without a key");
}
