/** An admin's word on one Telegram user (/allow, /deny); it outranks ACCESS_MODE and ALLOWED_USER_IDS. */
export const ACCESS_RULES = ["allow", "deny"] as const;
export type AccessRule = (typeof ACCESS_RULES)[number];

/** The jobs the abuse limits count, each in its own rolling window. */
export const LIMITED_JOBS = ["training", "generation"] as const;
export type LimitedJob = (typeof LIMITED_JOBS)[number];

/** One job start, recorded when the job is submitted and counted for its rolling window. */
export interface JobStart {
  id: string;
  userId: string;
  kind: LimitedJob;
  startedAt: Date;
}

/** At most `max` starts of a kind within `windowMs` before the start being claimed. */
export interface JobLimit {
  max: number;
  windowMs: number;
}

export type ClaimOutcome =
  /** Recorded (or already recorded under this id): the job may start. */
  | { claimed: true }
  /** The window holds `max` starts already; one more fits at `retryAt`. */
  | { claimed: false; retryAt: Date };

/** When the window next has room: the start that must age out first, plus the window. */
export function windowReopensAt(startsInWindow: readonly Date[], limit: JobLimit): Date {
  const sorted = [...startsInWindow].sort((a, b) => a.getTime() - b.getTime());
  const first = sorted[Math.max(0, sorted.length - limit.max)] ?? new Date(0);
  return new Date(first.getTime() + limit.windowMs);
}
