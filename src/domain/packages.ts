/** A package of credits sold for Telegram Stars (the PACKAGES setting). */
export interface CreditPackage {
  credits: number;
  stars: number;
}

/** What an invoice's payload says: the package as it was offered, and whom it was offered to. */
export interface InvoiceOrder {
  credits: number;
  stars: number;
  /** The Telegram id of the user the invoice was made for. */
  userId: number;
}

const PAYLOAD = /^pkg:(\d{1,7}):(\d{1,6}):(\d{1,15})$/;

/**
 * The invoice payload (1–128 bytes, never shown to the user): `pkg:<credits>:<stars>:<user id>`.
 * It names the package by its credits and price, so a package changed or withdrawn since the invoice
 * was sent is recognised, and the user, so an invoice forwarded to someone else is too.
 */
export function invoicePayload(pkg: CreditPackage, userId: number): string {
  return `pkg:${pkg.credits}:${pkg.stars}:${userId}`;
}

/** The order an invoice payload names, or null when it is not one this bot wrote. */
export function readInvoicePayload(payload: string): InvoiceOrder | null {
  const match = PAYLOAD.exec(payload);
  if (!match) return null;
  return { credits: Number(match[1]), stars: Number(match[2]), userId: Number(match[3]) };
}

export type PreCheckoutVerdict =
  | { ok: true; order: InvoiceOrder }
  /** The payload is not one of ours, or the amount or currency differs from what it names. */
  | { ok: false; reason: "invalid" }
  /** The package is no longer sold at that price. */
  | { ok: false; reason: "stale" }
  /** The invoice was made for another user (a forwarded invoice can be paid by anyone). */
  | { ok: false; reason: "not_yours" };

/** Whether a payment the user is about to confirm is for a package still sold, at its price, by them. */
export function judgePreCheckout(
  query: { payerId: number; currency: string; totalAmount: number; payload: string },
  packages: readonly CreditPackage[],
): PreCheckoutVerdict {
  const order = readInvoicePayload(query.payload);
  if (!order || query.currency !== "XTR" || query.totalAmount !== order.stars) return { ok: false, reason: "invalid" };
  if (order.userId !== query.payerId) return { ok: false, reason: "not_yours" };
  if (!packages.some((p) => p.credits === order.credits && p.stars === order.stars)) {
    return { ok: false, reason: "stale" };
  }
  return { ok: true, order };
}
