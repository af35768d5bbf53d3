import type { Settings } from "../config/settings";
import type { AccessRule, JobLimit, LimitedJob } from "../domain/access";
import type { Repository } from "../domain/repository";

/** What the access rules read of the settings. */
export type AccessSettings = Pick<Settings, "access" | "adminUserIds">;

/**
 * Whether a Telegram user may use the bot: an admin always; otherwise the admins' own rule for them
 * (/allow, /deny) if there is one; otherwise ACCESS_MODE, with ALLOWED_USER_IDS in `allowlist`.
 */
export function isAllowed(settings: AccessSettings, telegramId: number, rule: AccessRule | null): boolean {
  if (settings.adminUserIds.has(telegramId)) return true;
  if (rule !== null) return rule === "allow";
  return settings.access.mode === "open" || settings.access.allowedUserIds.has(telegramId);
}

/** Refused users are `known` when the bot keeps data of theirs (they may still read and delete it). */
export type Verdict = { allowed: true } | { allowed: false; known: boolean };

/**
 * What one chat remembers of its user's rule between updates, kept by the chat's own session. The
 * admins' /allow and /deny drop it there (ChatSession.forgetAccess), so a change holds from the next update.
 */
export interface AccessMemory {
  rule?: { telegramId: number; rule: AccessRule | null };
}

/** Who may use the bot, and the admins' /allow and /deny. */
export class AccessService {
  constructor(
    private readonly repo: Repository,
    private readonly settings: AccessSettings,
    private readonly memory: AccessMemory = {},
  ) {}

  async verdict(telegramId: number): Promise<Verdict> {
    // An admin, or an env-allowed user in `allowlist` with no rule against them, needs no lookup.
    if (this.settings.adminUserIds.has(telegramId)) return { allowed: true };
    if (isAllowed(this.settings, telegramId, await this.#rule(telegramId))) return { allowed: true };
    return { allowed: false, known: await this.repo.isKnownUser(telegramId) };
  }

  /** For the payment checks: may this user buy? */
  async isAllowed(telegramId: number): Promise<boolean> {
    return (await this.verdict(telegramId)).allowed;
  }

  /** An admin's /allow or /deny; answers the rule it replaced. */
  async setRule(telegramId: number, rule: AccessRule, actorId: number, now: Date): Promise<AccessRule | null> {
    const before = await this.repo.setAccessRule(telegramId, rule, actorId, now);
    if (this.memory.rule?.telegramId === telegramId) this.memory.rule = undefined;
    return before;
  }

  async #rule(telegramId: number): Promise<AccessRule | null> {
    const known = this.memory.rule;
    if (known?.telegramId === telegramId) return known.rule;
    const rule = await this.repo.getAccessRule(telegramId);
    this.memory.rule = { telegramId, rule };
    return rule;
  }
}

/** The limit a user's job start is held to, or null: admins and a setting of 0 have none. */
export function jobLimitFor(
  settings: Pick<Settings, "limits" | "adminUserIds">,
  telegramId: number,
  kind: LimitedJob,
): JobLimit | null {
  if (settings.adminUserIds.has(telegramId)) return null;
  const max = kind === "training" ? settings.limits.trainingsPerDay : settings.limits.generationsPerHour;
  if (max === 0) return null;
  return { max, windowMs: kind === "training" ? 24 * 3600_000 : 3600_000 };
}
