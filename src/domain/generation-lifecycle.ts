import type { GenerationStatus } from "./avatar";

/**
 * A generation's lifecycle as data, each move made by a status-guarded write:
 *
 *   QUEUED → SUBMITTING → RUNNING → DELIVERING → SUCCEEDED
 *      ↓          ↓          ↓           ↓
 *   FAILED ←──────┴──────────┘     (SUCCEEDED: the pictures stay in the gallery even if
 *                                   Telegram would not take them)
 *
 * SUBMITTING is the intent written before fal is called (fal's queue has no idempotency key):
 * a row found SUBMITTING after a restart is never submitted again; fal's webhook, whose URL names
 * the generation, or the deadline settles it. DELIVERING holds fal's output while the pictures are
 * copied into storage (under keys named by the generation, so a retry overwrites, never orphans)
 * and sent.
 */
export const GENERATION_TRANSITIONS: Readonly<Record<GenerationStatus, readonly GenerationStatus[]>> = {
  QUEUED: ["SUBMITTING", "FAILED"],
  SUBMITTING: ["RUNNING", "DELIVERING", "FAILED"],
  RUNNING: ["DELIVERING", "FAILED"],
  DELIVERING: ["SUCCEEDED", "FAILED"],
  SUCCEEDED: [],
  FAILED: [],
};

export const ACTIVE_GENERATION_STATUSES = [
  "QUEUED",
  "SUBMITTING",
  "RUNNING",
  "DELIVERING",
] as const satisfies readonly GenerationStatus[];

export function isActiveGeneration(status: GenerationStatus): boolean {
  return (ACTIVE_GENERATION_STATUSES as readonly GenerationStatus[]).includes(status);
}

export function canMoveGeneration(from: GenerationStatus, to: GenerationStatus): boolean {
  return GENERATION_TRANSITIONS[from].includes(to);
}

/**
 * How long each active state may last before the cron sweep ends it. `generationSeconds` is
 * GENERATION_TIMEOUT: the whole of fal's work. Queued and delivering are ours and short.
 */
export function generationDeadline(status: GenerationStatus, from: Date, generationSeconds: number): Date | null {
  const seconds: Partial<Record<GenerationStatus, number>> = {
    QUEUED: 120,
    SUBMITTING: generationSeconds,
    RUNNING: generationSeconds,
    DELIVERING: 300,
  };
  const s = seconds[status];
  return s === undefined ? null : new Date(from.getTime() + s * 1000);
}
