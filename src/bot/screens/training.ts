import { InlineKeyboard } from "grammy";
import type { Avatar, AvatarPhoto } from "../../domain/entities";
import { storedReason } from "../../domain/failure-reason";
import type { TrainingStatus } from "../../domain/ports";
import { chooseTrainer, expectedTrainingMinutes } from "../../domain/training-plan";
import { cb } from "../callback-data";
import { escapeHtml, type Messages } from "../locales";
import { leastHelpfulLine } from "./coach";

const BAR_CELLS = 10;

export function renderTrainingProgress(
  t: Messages,
  avatar: Avatar,
  status: TrainingStatus | null,
  now: Date,
): { text: string; keyboard: InlineKeyboard } {
  const progress = avatar.trainingProgress;
  const filled = Math.round((progress / 100) * BAR_CELLS);
  const elapsedMs = avatar.trainingStartedAt ? Math.max(0, now.getTime() - avatar.trainingStartedAt.getTime()) : 0;
  const expectedMs =
    expectedTrainingMinutes(avatar.falEndpoint ?? chooseTrainer(avatar, avatar.photosCount), avatar.falIterations) *
    60_000;
  // From the pace so far once a minute of it is known, from the estimate before; never below zero.
  const totalMs = progress > 0 && elapsedMs >= 60_000 ? (elapsedMs * 100) / progress : expectedMs;
  const remainingMs = totalMs - elapsedMs;
  const lines = [
    t.training.title(escapeHtml(avatar.name ?? "")),
    `${"▰".repeat(filled)}${"▱".repeat(BAR_CELLS - filled)} ${progress}%`,
    status?.kind === "queued" ? t.training.queued(status.position) : t.training.running,
    t.training.elapsed(Math.floor(elapsedMs / 60_000)),
    progress >= 100 || remainingMs < 60_000
      ? t.training.finishingUp
      : t.training.remaining(Math.ceil(remainingMs / 60_000)),
  ];
  return {
    text: lines.join("\n"),
    keyboard: new InlineKeyboard().text(t.training.cancel, cb("trainCancel", { avatarId: avatar.id })),
  };
}

/**
 * The end of a training. `returned` credits went back to the balance and are said to have; `photos` are
 * the avatar's photos, for the trained card's hint on which helped least (a retrain's starting point).
 */
export function renderTrainingOutcome(
  t: Messages,
  avatar: Avatar,
  returned = 0,
  photos: readonly AvatarPhoto[] = [],
): { text: string; keyboard: InlineKeyboard } {
  const outcome = trainingOutcome(t, avatar, photos);
  return returned > 0 ? { ...outcome, text: `${outcome.text}\n\n${t.credits.returned(returned)}` } : outcome;
}

function trainingOutcome(
  t: Messages,
  avatar: Avatar,
  photos: readonly AvatarPhoto[],
): { text: string; keyboard: InlineKeyboard } {
  const name = escapeHtml(avatar.name ?? "");
  const keyboard = new InlineKeyboard();
  if (avatar.status === "COMPLETED") {
    const started = avatar.trainingStartedAt?.getTime() ?? 0;
    const minutes = Math.max(1, Math.round(((avatar.trainingCompletedAt?.getTime() ?? started) - started) / 60_000));
    keyboard
      .text(t.training.generate, cb("generate", { avatarId: avatar.id }))
      .row()
      .text(t.menu.myAvatars, cb("avatars", { page: 0 }));
    const hint = leastHelpfulLine(t, photos);
    return { text: [t.training.completed(name, minutes), ...(hint ? ["", hint] : [])].join("\n"), keyboard };
  }
  if (avatar.status === "ERROR") {
    keyboard
      .text(t.training.tryAgain, cb("trainRetry", { avatarId: avatar.id }))
      .row()
      .text(t.menu.myAvatars, cb("avatars", { page: 0 }));
    return { text: t.training.failed(name, t.reasons[storedReason(avatar.trainingError)]), keyboard };
  }
  // Cancelled: the photos stay, and the avatar can be trained again from here.
  keyboard
    .text(t.flow.trainAgain, cb("trainRetry", { avatarId: avatar.id }))
    .row()
    .text(t.menu.myAvatars, cb("avatars", { page: 0 }));
  return { text: t.training.cancelled(name), keyboard };
}
