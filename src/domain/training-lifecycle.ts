/**
 * A training as the workspace runs it. The avatar's status is its state (avatar-lifecycle.ts); the
 * start before it has one of its own:
 *
 *   READY_FOR_TRAINING ─tap Start→ starting ─archive, link→ TRAINING without a request id (the intent)
 *        ↑         ↑                   │                         │ fal answers
 *        │         └── tries used up ──┘                         ↓
 *        └──────── fal refused ──────────────────────── TRAINING with a request id → COMPLETED | ERROR | CANCELLED
 *
 * TRAINING lasts at most TRAINING_TIMEOUT (a setting); the start has the bounds below.
 */
export const TRAINING_START = {
  /** A start that has not gone through in this long is given up, and the user offered Start again. */
  deadlineMs: 10 * 60_000,
  /** Tries at a start that throws (a missing crop, a storage or link failure). */
  attempts: 3,
  /** Between such tries. */
  retryMs: 30_000,
} as const;
