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
/** Lines a section shows at most; older ones are folded into "…and N more". */
const MAX_LINES = 20;
/** Telegram's limit on a message's visible text, in UTF-16 code units after entity parsing. */
const TELEGRAM_TEXT_LIMIT = 4096;
/** File names are cut to this many UTF-16 code units (Telegram allows them up to 255). */
const MAX_NAME_LENGTH = 48;
/** Photos named on one line of identical notes at most; the rest are counted. */
const MAX_LABELS = 8;

/** The one upload message: a bar, "N of 50", what is still needed, and why photos were refused. */
export function renderUploadProgress(
  t: Messages,
  settings: AvatarSettings,
  progress: UploadProgress,
): { text: string; keyboard: InlineKeyboard } {
  const max = settings.MAX_PHOTOS_PER_AVATAR;
  const min = settings.MIN_PHOTOS_FOR_TRAINING;
  // The bar measures the way to training, so it is full at "enough", not at the avatar's capacity.
  const filled = Math.round((Math.min(progress.count, min) / min) * BAR_CELLS);
  const head = [
    t.photos.progress(escapeHtml(progress.avatarName), progress.count, max),
    `${"▰".repeat(filled)}${"▱".repeat(BAR_CELLS - filled)} ${
      progress.count >= min ? t.photos.barEnough : t.photos.barTowards(progress.count, min)
    }`,
    progress.count >= max
      ? t.photos.full
      : progress.count >= min
        ? t.photos.enough(max)
        : t.photos.needMore(min - progress.count, min),
  ];
  if (progress.pending > 0) head.push(t.photos.processing(progress.pending));
  if (progress.awaitingFaceCheck) head.push(t.photos.awaitingFaceCheck(progress.awaitingFaceCheck));

  // Identical notes share one line ("Photos 2, 5 and 7: …"), placed where the newest of them was.
  const refusals = grouped(
    progress.lines.flatMap((line) =>
      line.outcome.kind === "refused" ? [{ line, note: refusalText(t, settings, line.outcome) }] : [],
    ),
  ).map(({ labels, note }) => `• ${labelOf(t, labels)}: ${note}`);
  const notes = grouped(
    progress.lines.flatMap((line) =>
      line.outcome.kind === "accepted" && line.outcome.alsoIn !== null
        ? [{ line, note: escapeHtml(line.outcome.alsoIn) }]
        : [],
    ),
  ).map(({ labels, note }) => `• ${t.photos.alsoIn(labelOf(t, labels), note)}`);
  // One line per photo, its most harmful advice; the viewer shows the rest.
  const advice = grouped(
    progress.lines.flatMap((line) => {
      const first = line.outcome.kind === "accepted" ? line.outcome.advice?.[0] : undefined;
      return first ? [{ line, note: t.coach.advice[first] }] : [];
    }),
  ).map(({ labels, note }) => `• ${labelOf(t, labels)}: ${note}`);
  const sections = [
    { title: t.photos.refusedTitle, lines: refusals, shown: Math.min(refusals.length, MAX_LINES) },
    { title: t.coach.adviceTitle, lines: advice, shown: Math.min(advice.length, MAX_LINES) },
    { title: t.photos.notesTitle, lines: notes, shown: Math.min(notes.length, MAX_LINES) },
  ];
  const render = () =>
    [
      ...head,
      ...sections.flatMap(({ title, lines, shown }) => {
        if (lines.length === 0) return [];
        const hidden = lines.length - shown;
        return ["", title, ...(hidden > 0 ? [t.photos.andMore(hidden)] : []), ...lines.slice(hidden)];
      }),
    ].join("\n");
  let text = render();
  // Over the limit, the oldest line of the longer list goes first (notes before refusals on a tie):
  // the newest lines are about what the user just sent, and a refusal asks them to do something.
  while (visibleLength(text) > TELEGRAM_TEXT_LIMIT) {
    const longer = sections.reduce((a, b) => (b.shown >= a.shown ? b : a));
    if (longer.shown === 0) break;
    longer.shown -= 1;
    text = render();
  }

  const keyboard = new InlineKeyboard()
    .text(
      progress.count >= min ? t.photos.done : t.photos.doneNeedMore(min - progress.count),
      cb("photosDone", { avatarId: progress.avatarId }),
    )
    .row()
    .text(t.photos.view, cb("photos", { avatarId: progress.avatarId, page: 0 }));
  return { text, keyboard };
}

/** Lines with the same note, in the order of each note's latest line. */
function grouped(
  items: Array<{ line: BatchLine; note: string }>,
): Array<{ labels: BatchLine["label"][]; note: string }> {
  const groups = new Map<string, BatchLine["label"][]>();
  for (const { line, note } of items) {
    const labels = groups.get(note) ?? [];
    groups.delete(note);
    groups.set(note, [...labels, line.label]);
  }
  return [...groups].map(([note, labels]) => ({ labels, note }));
}

/** "Photo 3", "IMG_1.jpg", or "Photos 2, 5 and 3 more" for a line standing for several. */
function labelOf(t: Messages, labels: BatchLine["label"][]): string {
  const named = (label: BatchLine["label"]) =>
    escapeHtml(label.fileName ? shortenName(label.fileName) : String(label.index));
  const [only] = labels;
  if (only && labels.length === 1) return only.fileName ? named(only) : t.photos.photoLabel(only.index);
  const shown = labels.slice(0, labels.length > MAX_LABELS ? MAX_LABELS - 1 : MAX_LABELS).map(named);
  const hidden = labels.length - shown.length;
  return t.photos.photosLabel(hidden > 0 ? [...shown, t.photos.moreLabels(hidden)] : shown);
}

/** A long file name with its middle cut out, keeping the start and the extension; never splits a character. */
function shortenName(name: string, maxLength = MAX_NAME_LENGTH): string {
  if (name.length <= maxLength) return name;
  const chars = [...name];
  const budget = maxLength - 1;
  const tailBudget = Math.min(Math.floor(budget / 3), 16);
  let tail = "";
  for (const char of chars.toReversed()) {
    if (tail.length + char.length > tailBudget) break;
    tail = char + tail;
  }
  let start = "";
  for (const char of chars) {
    if (start.length + char.length > budget - tail.length) break;
    start += char;
  }
  return `${start}…${tail}`;
}

/** The length Telegram counts for an HTML message: tags dropped, entities decoded, in UTF-16 code units. */
function visibleLength(html: string): number {
  return html.replace(/<[^>]*>/g, "").replace(/&(?:lt|gt|amp|quot|#\d+|#x[0-9a-f]+);/gi, "_").length;
}

function refusalText(t: Messages, settings: AvatarSettings, outcome: PhotoOutcome): string {
  if (outcome.kind !== "refused") return "";
  const r = t.photos.refusal;
  switch (outcome.reason) {
    case "too_big":
      return r.too_big(settings.MAX_PHOTO_SIZE);
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
