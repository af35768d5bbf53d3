import { InlineKeyboard } from "grammy";
import type { AvatarSettings } from "../../config/settings";
import type { PhotoOutcome } from "../../services/photo-service";
import { cb } from "../callback-data";
import { escapeHtml, type Messages } from "../locales";

export interface BatchLine {
  label: { fileName?: string; index: number };
  outcome: PhotoOutcome;
}

export interface UploadProgress {
  avatarId: string;
  avatarName: string;
  count: number;
  pending: number;
  /** Photos kept while fal could not check faces; they count once checked. */
  awaitingFaceCheck?: number;
  lines: BatchLine[];
}

const BAR_CELLS = 10;
/** Refusal lines shown at most; a text must stay well inside Telegram's 4096 characters. */
const MAX_LINES = 20;

/** The one upload message: a bar, "N of 50", what is still needed, and why photos were refused. */
export function renderUploadProgress(
  t: Messages,
  settings: AvatarSettings,
  progress: UploadProgress,
): { text: string; keyboard: InlineKeyboard } {
  const max = settings.MAX_PHOTOS_PER_AVATAR;
  const min = settings.MIN_PHOTOS_FOR_TRAINING;
  const filled = Math.round((Math.min(progress.count, max) / max) * BAR_CELLS);
  const parts = [
    t.photos.progress(escapeHtml(progress.avatarName), progress.count, max),
    `${"▰".repeat(filled)}${"▱".repeat(BAR_CELLS - filled)}`,
    progress.count >= max
      ? t.photos.full
      : progress.count >= min
        ? t.photos.enough(max)
        : t.photos.needMore(min - progress.count, min),
  ];
  if (progress.pending > 0) parts.push(t.photos.processing(progress.pending));
  if (progress.awaitingFaceCheck) parts.push(t.photos.awaitingFaceCheck(progress.awaitingFaceCheck));

  const label = (line: BatchLine) => escapeHtml(line.label.fileName ?? t.photos.photoLabel(line.label.index));
  const refusals = progress.lines.filter((l) => l.outcome.kind === "refused");
  if (refusals.length > 0) {
    const shown = refusals
      .slice(-MAX_LINES)
      .map((line) => `• ${label(line)}: ${refusalText(t, settings, line.outcome)}`);
    parts.push("", t.photos.refusedTitle, ...shown);
  }
  const notes = progress.lines.flatMap((line) =>
    line.outcome.kind === "accepted" && line.outcome.alsoIn !== null
      ? [`• ${t.photos.alsoIn(label(line), escapeHtml(line.outcome.alsoIn))}`]
      : [],
  );
  if (notes.length > 0) parts.push("", t.photos.notesTitle, ...notes.slice(-MAX_LINES));

  const keyboard = new InlineKeyboard()
    .text(
      progress.count >= min ? t.photos.done : t.photos.doneNeedMore(min - progress.count),
      cb("photosDone", { avatarId: progress.avatarId }),
    )
    .row()
    .text(t.photos.view, cb("photos", { avatarId: progress.avatarId, page: 0 }));
  return { text: parts.join("\n"), keyboard };
}

function refusalText(t: Messages, settings: AvatarSettings, outcome: PhotoOutcome): string {
  if (outcome.kind !== "refused") return "";
  const r = t.photos.refusal;
  switch (outcome.reason) {
    case "too_big":
      return r.too_big(Math.floor(settings.MAX_PHOTO_SIZE / (1024 * 1024)));
    case "wrong_format":
      return r.wrong_format(outcome.format ?? "?");
    case "too_small":
      return r.too_small(outcome.width ?? 0, outcome.height ?? 0, settings.MIN_PHOTO_RESOLUTION);
    case "too_large":
      return r.too_large(outcome.width ?? 0, outcome.height ?? 0, settings.MAX_PHOTO_RESOLUTION);
    case "full":
      return r.full(settings.MAX_PHOTOS_PER_AVATAR);
    default:
      return r[outcome.reason];
  }
}
