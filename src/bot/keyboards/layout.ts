import type { InlineKeyboard } from "grammy";

/*
 * Inline buttons that fit a 360 px phone. Telegram cuts a label that does not fit its button with
 * "…", so the estimate is pessimistic: 9 px a character and 22 px an emoji at the button font,
 * 16 px of padding a side, 16 px of screen margin and 6 px between the buttons of a row.
 */
const CHAR_PX = 9;
const EMOJI_PX = 22;
const graphemes = new Intl.Segmenter("en", { granularity: "grapheme" });

/** The widest label a button may have when `buttons` share a row. */
export function labelBudget(buttons: number): number {
  return (360 - 16 - 6 * (buttons - 1)) / buttons - 32;
}

/** A label's estimated width in px. */
export function labelWidth(label: string): number {
  let width = 0;
  for (const { segment } of graphemes.segment(label)) {
    width += /\p{Extended_Pictographic}|\p{Regional_Indicator}/u.test(segment) ? EMOJI_PX : CHAR_PX;
  }
  return width;
}

/** `text` cut with "…" so that it and `suffix` fit one button of a full row. */
export function fitLabel(text: string, suffix = ""): string {
  const budget = labelBudget(1) - labelWidth(suffix);
  if (labelWidth(text) <= budget) return text + suffix;
  let cut = "";
  for (const { segment } of graphemes.segment(text)) {
    if (labelWidth(`${cut}${segment}…`) > budget) break;
    cut += segment;
  }
  return `${cut.trimEnd()}…${suffix}`;
}

/**
 * Adds buttons on rows of their own, two a row where both labels fit half a phone's width, else
 * one; the last row stays open, so `.row()` before adding more.
 */
export function addInPairs(keyboard: InlineKeyboard, buttons: { label: string; data: string }[]): InlineKeyboard {
  for (let i = 0; i < buttons.length; i++) {
    const button = buttons[i] as { label: string; data: string };
    const next = buttons[i + 1];
    if ((keyboard.inline_keyboard.at(-1)?.length ?? 0) > 0) keyboard.row();
    keyboard.text(button.label, button.data);
    if (next && labelWidth(button.label) <= labelBudget(2) && labelWidth(next.label) <= labelBudget(2)) {
      keyboard.text(next.label, next.data);
      i++;
    }
  }
  return keyboard;
}
