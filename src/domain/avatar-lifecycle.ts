import { AVATAR_STATUSES, type AvatarStatus } from "./avatar";
import type { Avatar } from "./entities";
import { IllegalTransitionError } from "./errors";

/**
 * The spec's lifecycle diagram as data:
 *
 *   DRAFT → PHOTOS_UPLOADING → READY_FOR_TRAINING → TRAINING → COMPLETED
 *     ↓            ↓                   ↓                ↓
 *   ERROR ←────────┴───────────────────┴────────────────┘
 *     ↓
 *   CANCELLED
 *
 * The left column (DRAFT ↓ ERROR ↓ CANCELLED) is read as the abandon path, so
 * DRAFT may also go straight to CANCELLED (the wizard's cancel button). Two moves the
 * training workflow needs are added: TRAINING → CANCELLED (the user cancels a running
 * training), ERROR → READY_FOR_TRAINING ("Try again", keeping the photos), and
 * TRAINING → READY_FOR_TRAINING (TRAINING is entered just before fal is called, as the record of
 * the intent; when fal refuses the job, nothing runs there and the avatar is ready again).
 *
 * CANCELLED → READY_FOR_TRAINING ("Train again") is allowed only for an avatar whose training was
 * cancelled (canTrainAgain): the bot promised "the photos stay; you can train again later", so that
 * avatar is kept like a failed one, and only a cancelled draft is left to the retention sweep.
 */
export const AVATAR_TRANSITIONS: Readonly<Record<AvatarStatus, readonly AvatarStatus[]>> = {
  DRAFT: ["PHOTOS_UPLOADING", "ERROR", "CANCELLED"],
  PHOTOS_UPLOADING: ["READY_FOR_TRAINING", "ERROR"],
  READY_FOR_TRAINING: ["TRAINING", "ERROR"],
  TRAINING: ["COMPLETED", "ERROR", "CANCELLED", "READY_FOR_TRAINING"],
  COMPLETED: [],
  ERROR: ["CANCELLED", "READY_FOR_TRAINING"],
  CANCELLED: ["READY_FOR_TRAINING"],
};

export function canTransition(from: AvatarStatus, to: AvatarStatus): boolean {
  return AVATAR_TRANSITIONS[from].includes(to);
}

/** Returns `to` when the move is allowed; throws IllegalTransitionError otherwise. */
export function applyTransition(from: AvatarStatus, to: AvatarStatus): AvatarStatus {
  if (!canTransition(from, to)) throw new IllegalTransitionError(from, to);
  return to;
}

export function allTransitionPairs(): Array<[AvatarStatus, AvatarStatus]> {
  return AVATAR_STATUSES.flatMap((from) => AVATAR_STATUSES.map((to): [AvatarStatus, AvatarStatus] => [from, to]));
}

/** A failed training, or a cancelled one (not a cancelled draft), can be trained again with the same photos. */
export function canTrainAgain(avatar: Pick<Avatar, "status" | "trainingStartedAt">): boolean {
  return avatar.status === "ERROR" || (avatar.status === "CANCELLED" && avatar.trainingStartedAt !== null);
}
