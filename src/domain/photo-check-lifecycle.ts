/**
 * A photo's check as data. A photo the user sends is
 *
 *   queued (in the avatar's workspace) → checking → accepted (row VALID)
 *                                          │   └──→ kept (row PENDING: fal's face check could not run)
 *                                          └──────→ refused (no row, no objects; the reason is shown)
 *   kept → accepted | refused (rechecked), or accepted unchecked at its deadline
 *
 * Each wait is bounded; the numbers below are the whole of it.
 */
export const PHOTO_CHECK = {
  /** While photos keep arriving the checks wait (decoding is CPU-heavy), at most this long. */
  batchWaitMs: 20_000,
  /**
   * The checks start between (1 − this) and 1 batch windows after the last photo: within that slack
   * a new photo leaves the wake where it is, so a burst moves the alarm a few times, not once a photo.
   */
  windowSlack: 1 / 3,
  /** Tries at one photo's check; past them it is refused, so it cannot hold up the queue. */
  attempts: 2,
  /** The pause before a photo whose check threw is tried again. */
  retryDelayMs: 2_000,
  /** fal's face check, per photo; past it the photo is kept PENDING. */
  faceCheckMs: 45_000,
  /** The likeness coach's vision check, per photo, after the batch's answers are shown; past it the photo has no advice. */
  coachCheckMs: 15_000,
  /** Vision checks run at once, and at most per round of the queue. */
  coachParallel: 3,
  coachPerRound: 12,
  /** Downloading the file from Telegram. */
  downloadMs: 60_000,
  /** How often kept photos are checked again. */
  recheckEveryMs: 5 * 60_000,
  /** A kept photo whose face check still cannot run after this long counts, unchecked. */
  pendingDeadlineMs: 6 * 3600_000,
} as const;
