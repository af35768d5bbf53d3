import { InlineKeyboard } from "grammy";
import type { Avatar, Generation, Language } from "../../domain/entities";
import { presetById } from "../../domain/presets";
import { cb } from "../callback-data";
import { addInPairs } from "../keyboards/layout";
import { escapeHtml, formatDate, type Messages } from "../locales";

/** How much of the user's own words a caption keeps. */
const WORDS_MAX = 40;

/**
 * A picture set's caption in the reader's language, "Maria · Cinematic · portrait 3:4": what was
 * asked in the user's terms, never the prompt fal was given (its template or the trigger word).
 */
export function pictureCaption(
  t: Messages,
  language: Language,
  avatar: Pick<Avatar, "name" | "triggerWord">,
  generation: Pick<Generation, "preset" | "prompt" | "options">,
): string {
  const preset = generation.preset === null ? undefined : presetById(generation.preset);
  const style =
    generation.preset === null
      ? t.pictures.ownPrompt(escapeHtml(shorten(ownWords(generation.prompt, avatar.triggerWord)) || "…"))
      : escapeHtml(preset ? withoutIcon(preset.title[language]) : t.pictures.retiredStyle);
  return t.pictures.caption(
    escapeHtml(avatar.name ?? t.avatars.untitled),
    style,
    t.pictures.shape[generation.options.aspect],
  );
}

/** The caption of a set in the gallery: what it is, then how many pictures and when. */
export function gallerySetCaption(
  t: Messages,
  language: Language,
  avatar: Pick<Avatar, "name" | "triggerWord">,
  generation: Generation,
): string {
  const made = t.pictures.made(generation.resultKeys.length, formatDate(generation.createdAt, language));
  return `${pictureCaption(t, language, avatar, generation)}\n${made}`;
}

/** A set's buttons in the gallery: make more like it, send it again, delete it (asks first). */
export function gallerySetKeyboard(t: Messages, generation: Pick<Generation, "id">): InlineKeyboard {
  const generationId = generation.id;
  return addInPairs(new InlineKeyboard().text(t.generate.moreLikeThis, cb("genRepeat", { generationId })).row(), [
    { label: t.pictures.sendAgain, data: cb("genSend", { generationId }) },
    { label: t.pictures.delete, data: cb("genDelete", { generationId, page: 0 }) },
  ]);
}

/** Under pictures just sent: more like them, another style, or back to the avatar. */
export function againKeyboard(t: Messages, generation: Pick<Generation, "id" | "avatarId">): InlineKeyboard {
  return addInPairs(new InlineKeyboard(), [
    { label: t.generate.moreLikeThis, data: cb("genRepeat", { generationId: generation.id }) },
    { label: t.generate.anotherStyle, data: cb("generate", { avatarId: generation.avatarId }) },
  ])
    .row()
    .text(t.generate.back, cb("card", { avatarId: generation.avatarId }));
}

/** The words the user typed: the trigger word the bot put in (or they wrote) taken out. */
function ownWords(prompt: string, trigger: string): string {
  if (!trigger) return prompt;
  const word = trigger.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return prompt
    .replace(new RegExp(`^${word},\\s*`, "i"), "")
    .replace(new RegExp(`\\b${word}\\b`, "gi"), "")
    .replace(/\s+/g, " ")
    .replace(/^[\s,;:.]+|[\s,;:]+$/g, "")
    .trim();
}

/** At most WORDS_MAX characters, cut at a word where one is near, with an ellipsis. */
function shorten(text: string): string {
  const chars = [...text];
  if (chars.length <= WORDS_MAX) return text;
  const cut = chars.slice(0, WORDS_MAX - 1).join("");
  // A word that ends right at the cut is whole; otherwise the cut goes back to the last space.
  const space = chars[WORDS_MAX - 1] === " " ? cut.length : cut.lastIndexOf(" ");
  return `${(space > WORDS_MAX / 2 ? cut.slice(0, space) : cut).replace(/[\s,;:.]+$/, "")}…`;
}

/** "🎬 Cinematic" → "Cinematic": the icon is for the button, the caption names the style. */
function withoutIcon(title: string): string {
  return title.replace(/^(?:\p{Extended_Pictographic}|\uFE0F|\u200D|\s)+/u, "");
}
