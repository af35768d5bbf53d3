/**
 * Why a training or a generation could not be done, in the few plain reasons a user is told (each
 * with what to do next, in the locale files). The provider's own words go to the logs only.
 */
export const FAILURE_REASONS = [
  /** The provider was unreachable, overloaded or too slow to answer: try again in a few minutes. */
  "busy",
  /** The provider refused the input (a 4xx other than 429): try again, or with other photos. */
  "rejected",
  /** It ran far longer than it ever should, so we stopped waiting. */
  "timed_out",
  /** It finished without what it should have produced (a model file, pictures). */
  "no_result",
  /** The provider no longer knows the job. */
  "lost",
  /** The operator has not set the bot up for it (no provider key, a key refused). */
  "not_configured",
  /** The avatar has no trained model to draw with. */
  "no_model",
  /** The finished pictures could not be fetched and stored. */
  "delivery",
  "unknown",
] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

/** A failed job as the adapters report it: the plain reason, and the provider's words for the logs. */
export interface Failure {
  kind: "failed";
  reason: FailureReason;
  detail: string;
}

/** The plain reason behind an HTTP answer of the provider; `null` when no answer came at all. */
export function reasonForStatus(status: number | null): FailureReason {
  if (status === null || status === 408 || status === 429 || status >= 500) return "busy";
  if (status === 401 || status === 403) return "not_configured";
  if (status === 404) return "lost";
  if (status >= 400) return "rejected";
  return "unknown";
}

/** A stored reason read back: a code as it is; text stored before the codes is mapped where it is known. */
export function storedReason(stored: string | null | undefined): FailureReason {
  if (!stored) return "unknown";
  if ((FAILURE_REASONS as readonly string[]).includes(stored)) return stored as FailureReason;
  if (stored === "stuck" || stored === "timeout") return "timed_out";
  if (stored.includes("without a LoRA file") || stored.includes("no images")) return "no_result";
  if (stored === "download") return "delivery";
  return "unknown";
}
