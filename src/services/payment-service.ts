import type { User } from "../domain/entities";
import type { Balance } from "../domain/ledger";
import { type CreditPackage, readInvoicePayload } from "../domain/packages";
import type { Repository } from "../domain/repository";
import { log } from "../log";

/** What Telegram said to refundStarPayment, as the refund needs to know it. */
export type StarsRefundAnswer =
  | { kind: "refunded" }
  /** CHARGE_ALREADY_REFUNDED: the Stars are back with the user already. */
  | { kind: "already_refunded" }
  /** Any other 4xx: Telegram will not refund this charge. */
  | { kind: "refused"; description: string }
  /** No answer, or a 5xx: whether the Stars went back is not known. */
  | { kind: "unreachable" };

export type PurchaseOutcome =
  | { kind: "credited"; credits: number; stars: number; balance: Balance }
  /** This charge was credited before (a replayed or redelivered successful_payment). */
  | { kind: "duplicate" }
  /** The payload is not one this bot wrote; the Stars arrived but no package is known. */
  | { kind: "unreadable" };

export type RefundOutcome =
  | {
      kind: "refunded";
      userId: number;
      credits: number;
      stars: number;
      balance: Balance;
      /** Telegram answered CHARGE_ALREADY_REFUNDED: the Stars had gone back before this /refund. */
      alreadyAtTelegram: boolean;
    }
  | { kind: "unknown_charge" }
  | { kind: "already_refunded" }
  /** The user has fewer credits available than the purchase added; Telegram was not asked. */
  | { kind: "spent"; credits: number; available: number }
  /** Telegram refused; the credits were put back, so nothing changed. */
  | { kind: "refused"; description: string }
  /** Telegram refused this refund before; the credits were put back then. */
  | { kind: "refused_before" }
  /** Telegram did not answer; the credits stay off until a repeated /refund settles it. */
  | { kind: "unsettled" };

/** Purchases of credits with Telegram Stars and their refunds, on the credits ledger. */
export class PaymentService {
  constructor(
    private readonly repo: Repository,
    readonly packages: readonly CreditPackage[],
  ) {}

  /** The user's credits (the packages screen shows them). */
  balance(userId: number): Promise<Balance> {
    return this.repo.getBalance(userId);
  }

  /** The user behind a Telegram id, to tell them of a refund in their language. */
  customer(userId: number): Promise<User | undefined> {
    return this.repo.findUserByTelegramId(userId);
  }

  /**
   * Credits a successful payment once per telegram_payment_charge_id: its ledger key is
   * `purchase:<charge id>`, so a replayed or redelivered update changes nothing.
   */
  async recordPurchase(payment: {
    payerId: number;
    chargeId: string;
    payload: string;
    stars: number;
  }): Promise<PurchaseOutcome> {
    // The payload was checked at pre-checkout; what the user saw and paid for is what they get,
    // even if the packages changed in the seconds since.
    const order = readInvoicePayload(payment.payload);
    if (!order) {
      log("error", "payment_unreadable", { chargeId: payment.chargeId, payerId: payment.payerId });
      return { kind: "unreadable" };
    }
    const outcome = await this.repo.applyLedgerEntry({
      userId: payment.payerId,
      kind: "purchase",
      credits: order.credits,
      key: purchaseKey(payment.chargeId),
      ref: payment.chargeId,
      stars: payment.stars,
    });
    if (!outcome.applied) {
      log("info", "payment_duplicate", { chargeId: payment.chargeId });
      return { kind: "duplicate" };
    }
    return { kind: "credited", credits: order.credits, stars: payment.stars, balance: outcome.balance };
  }

  /**
   * Refunds a purchase: the credits come off first (ledger key `refund:<charge id>`, refused when
   * fewer are available than were bought), then Telegram returns the Stars. In that order no failure
   * leaves Stars returned with the credits kept: a refusal from Telegram puts the credits back, and
   * a lost answer leaves them off until the same /refund is sent again (Telegram answers a repeat
   * of a refund it made with CHARGE_ALREADY_REFUNDED, which settles it).
   */
  async refund(
    chargeId: string,
    actorId: number,
    refundStars: (userId: number, chargeId: string) => Promise<StarsRefundAnswer>,
  ): Promise<RefundOutcome> {
    const purchase = await this.repo.findLedgerEntry(purchaseKey(chargeId));
    if (!purchase) return { kind: "unknown_charge" };
    if (await this.repo.findLedgerEntry(restoredKey(chargeId))) return { kind: "refused_before" };
    const earlier = await this.repo.findLedgerEntry(refundKey(chargeId));
    if (earlier && (await this.repo.getCached(settledKey(chargeId)))) return { kind: "already_refunded" };
    if (!earlier) {
      const taken = await this.repo.applyLedgerEntry({
        userId: purchase.userId,
        kind: "refund",
        credits: purchase.credits,
        key: refundKey(chargeId),
        ref: chargeId,
        stars: purchase.stars,
        actorId,
      });
      if (!taken.applied && taken.reason === "insufficient") {
        return { kind: "spent", credits: purchase.credits, available: taken.balance.available };
      }
    }
    const answer = await refundStars(purchase.userId, chargeId);
    log("info", "stars_refund", { chargeId, actorId, answer: answer.kind });
    switch (answer.kind) {
      case "refunded":
      case "already_refunded":
        // "Already" means the Stars are back: refunded elsewhere, or by an attempt whose answer was lost.
        await this.repo.putCached(settledKey(chargeId), { actorId }, new Date());
        return {
          kind: "refunded",
          userId: purchase.userId,
          credits: purchase.credits,
          stars: purchase.stars ?? 0,
          balance: await this.repo.getBalance(purchase.userId),
          alreadyAtTelegram: answer.kind === "already_refunded",
        };
      case "refused":
        await this.repo.applyLedgerEntry({
          userId: purchase.userId,
          kind: "grant",
          credits: purchase.credits,
          key: restoredKey(chargeId),
          ref: chargeId,
          actorId,
        });
        return { kind: "refused", description: answer.description };
      case "unreachable":
        return { kind: "unsettled" };
    }
  }
}

function purchaseKey(chargeId: string): string {
  return `purchase:${chargeId}`;
}

function refundKey(chargeId: string): string {
  return `refund:${chargeId}`;
}

/** Marks a refund Telegram confirmed, so a repeated /refund is answered without asking again. */
function settledKey(chargeId: string): string {
  return `stars-refund-settled:${chargeId}`;
}

/** The credits put back after Telegram refused a refund whose credits had come off. */
function restoredKey(chargeId: string): string {
  return `refund:${chargeId}:restored`;
}
