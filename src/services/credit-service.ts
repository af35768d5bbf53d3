import type { Balance, LedgerEntry, LedgerOutcome } from "../domain/ledger";
import type { Prices } from "../domain/prices";
import type { Repository } from "../domain/repository";
import { log } from "../log";

/** The paid jobs whose credits follow their lifecycle; their keys are `<job>:<id>:reserve|charge|release`. */
export type PaidJob = "training" | "generation" | "preview";

/** How a finished job's reservation was settled: what it cost and what went back to the user. */
export interface Settlement {
  charged: number;
  released: number;
}

const NOTHING: Settlement = { charged: 0, released: 0 };

/** A ledger entry as the user sees it: what moved, and for a job, the avatar it was for and how it ended. */
export type Movement =
  | { kind: "welcome" | "granted" | "bought" | "refunded"; credits: number }
  | { kind: "training" | "pictures"; credits: number; name: string | null }
  | { kind: "trainingReturned"; credits: number; name: string | null; how: "failed" | "cancelled" | "notStarted" }
  | { kind: "picturesReturned"; credits: number; name: string | null; how: "failed" | "heldBack" }
  | { kind: "preview"; credits: number; name: string | null }
  | { kind: "previewReturned"; credits: number; name: string | null; how: "failed" | "heldBack" };

/**
 * Credits as the services use them: the free allowance, admin grants, and the reserve → charge |
 * release of each paid job. Every write goes through the ledger with a key, so running any step again
 * (a restart, a redelivered update, a cron sweep after the alarm) changes nothing.
 */
export class CreditService {
  constructor(
    private readonly repo: Repository,
    private readonly prices: Prices,
  ) {}

  async balance(telegramId: number): Promise<Balance> {
    return this.repo.getBalance(telegramId);
  }

  async recent(telegramId: number, limit: number): Promise<LedgerEntry[]> {
    return this.repo.listLedgerEntries(telegramId, limit);
  }

  /**
   * The user's latest movements, newest first. A charge is not one: the credits left the balance when
   * they were held, and that hold is the line the user sees.
   */
  async movements(telegramId: number, limit: number): Promise<Movement[]> {
    const entries = (await this.repo.listLedgerEntries(telegramId, limit * 2)).filter((e) => e.kind !== "charge");
    return Promise.all(entries.slice(0, limit).map((entry) => this.#movement(entry)));
  }

  async #movement(entry: LedgerEntry): Promise<Movement> {
    const credits = entry.credits;
    const job = entry.key.split(":")[0];
    if (entry.kind === "grant") return { kind: job === "free" ? "welcome" : "granted", credits };
    if (entry.kind === "purchase") return { kind: "bought", credits };
    if (entry.kind === "refund") return { kind: "refunded", credits };
    if (job === "training") {
      const avatar = entry.ref ? await this.repo.findAvatar(entry.ref) : null;
      const name = avatar ? (avatar.name ?? "") : null;
      if (entry.kind !== "release") return { kind: "training", credits, name };
      const thisRun = avatar?.trainingConfig.trainingId === entry.key.split(":")[1];
      const how =
        thisRun && avatar?.status === "CANCELLED"
          ? "cancelled"
          : thisRun && avatar?.status === "READY_FOR_TRAINING"
            ? "notStarted"
            : "failed";
      return { kind: "trainingReturned", credits, name, how };
    }
    const generation = entry.ref ? await this.repo.findGeneration(entry.ref) : null;
    const avatar = generation ? await this.repo.findAvatar(generation.avatarId) : null;
    const name = avatar ? (avatar.name ?? "") : null;
    if (job === "preview") {
      if (entry.kind !== "release") return { kind: "preview", credits, name };
      return { kind: "previewReturned", credits, name, how: generation?.error === "nsfw" ? "heldBack" : "failed" };
    }
    if (entry.kind !== "release") return { kind: "pictures", credits, name };
    return { kind: "picturesReturned", credits, name, how: generation?.status === "SUCCEEDED" ? "heldBack" : "failed" };
  }

  /** The free allowance (FREE_CREDITS), once per user whenever it is asked for. */
  async welcome(telegramId: number): Promise<void> {
    if (this.prices.free <= 0) return;
    const outcome = await this.repo.applyLedgerEntry({
      userId: telegramId,
      kind: "grant",
      credits: this.prices.free,
      key: `free:${telegramId}`,
    });
    if (outcome.applied) log("info", "credits_welcome", { telegramId, credits: this.prices.free });
  }

  /** An admin's grant; `updateId` makes a redelivered command a no-op. */
  async grant(adminId: number, telegramId: number, credits: number, updateId: number): Promise<LedgerOutcome> {
    const outcome = await this.repo.applyLedgerEntry({
      userId: telegramId,
      kind: "grant",
      credits,
      key: `grant:${updateId}`,
      actorId: adminId,
    });
    if (outcome.applied) log("info", "credits_granted", { adminId, telegramId, credits });
    return outcome;
  }

  /**
   * Holds a job's price before the job is sent anywhere. A second call for the same job is a no-op that
   * still counts as held; a price of 0 needs no hold.
   */
  async reserve(payer: number, job: PaidJob, id: string, credits: number, ref: string): Promise<LedgerOutcome> {
    if (credits <= 0) return { applied: true, balance: await this.repo.getBalance(payer) };
    const outcome = await this.repo.applyLedgerEntry({
      userId: payer,
      kind: "reserve",
      credits,
      key: `${job}:${id}:reserve`,
      ref,
    });
    if (!outcome.applied && outcome.reason === "duplicate") return { applied: true, balance: outcome.balance };
    return outcome;
  }

  /**
   * Ends a job's hold: `used` of `of` units are charged (pictures delivered, or 1 of 1 for a training that
   * finished), the rest goes back. A job that holds nothing, or was settled before, settles to nothing.
   */
  async settle(job: PaidJob, id: string, used: number, of: number): Promise<Settlement> {
    const reserve = await this.repo.findLedgerEntry(`${job}:${id}:reserve`);
    if (!reserve) return NOTHING;
    // A settlement already (partly) made stands: its split decides, whatever this call would say.
    const [chargedBefore, releasedBefore] = await Promise.all([
      this.repo.findLedgerEntry(`${job}:${id}:charge`),
      this.repo.findLedgerEntry(`${job}:${id}:release`),
    ]);
    const asked = of <= 0 ? 0 : Math.min(reserve.credits, Math.round((reserve.credits * Math.max(0, used)) / of));
    const charged = chargedBefore
      ? chargedBefore.credits
      : releasedBefore
        ? reserve.credits - releasedBefore.credits
        : asked;
    const released = reserve.credits - charged;
    const base = { userId: reserve.userId, ...(reserve.ref === undefined ? {} : { ref: reserve.ref }) };
    const charge =
      charged > 0
        ? await this.repo.applyLedgerEntry({ ...base, kind: "charge", credits: charged, key: `${job}:${id}:charge` })
        : null;
    const release =
      released > 0
        ? await this.repo.applyLedgerEntry({ ...base, kind: "release", credits: released, key: `${job}:${id}:release` })
        : null;
    // Only what this call moved counts: a settlement run again tells nobody anything twice.
    const settled = {
      charged: charge?.applied ? charged : 0,
      released: release?.applied ? released : 0,
    };
    if (settled.charged || settled.released) log("info", "credits_settled", { job, id, ...settled });
    return settled;
  }
}
