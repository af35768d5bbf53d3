/**
 * Whether inline button labels fit a 360 px wide phone. Telegram cuts a label that does not fit
 * with "…", so "📸 Студийный портрет" beside another button reads "📸 Студийный п…".
 *
 * The estimate is deliberately pessimistic, calibrated on labels seen cut ("🎨 Другой стиль" two
 * to a row): 9 px a letter, digit or space at the button font, 22 px an emoji, 16 px of padding on
 * each side of a label, 16 px of screen margin and 6 px between buttons of a row.
 */
export const BUTTON_METRICS = { screen: 360, margin: 16, gap: 6, padding: 16, char: 9, emoji: 22 } as const;

const graphemes = new Intl.Segmenter("en", { granularity: "grapheme" });

/** The label's estimated width in px. */
export function labelWidth(label: string): number {
  let width = 0;
  for (const { segment } of graphemes.segment(label)) {
    width += /\p{Extended_Pictographic}|\p{Regional_Indicator}/u.test(segment)
      ? BUTTON_METRICS.emoji
      : BUTTON_METRICS.char;
  }
  return width;
}

/** The width a label may take in a row of `buttons` buttons. */
export function labelBudget(buttons: number): number {
  const { screen, margin, gap, padding } = BUTTON_METRICS;
  return (screen - margin - gap * (buttons - 1)) / buttons - 2 * padding;
}

/** Each label of an inline keyboard that would be cut on a 360 px phone, with its row. */
export function cutLabels(replyMarkup: unknown): string[] {
  const rows = (replyMarkup as { inline_keyboard?: Array<Array<{ text?: string }>> } | null | undefined)
    ?.inline_keyboard;
  const cut: string[] = [];
  for (const row of rows ?? []) {
    const budget = labelBudget(row.length);
    for (const button of row) {
      const width = labelWidth(button.text ?? "");
      if (width > budget) {
        cut.push(
          `"${button.text}" is ~${width} px, but ${row.length} to a row leaves ${Math.floor(budget)} px (row: ${row.map((b) => b.text).join(" | ")})`,
        );
      }
    }
  }
  return cut;
}

/** Labels cut in the calls of the running test; test/setup.ts fails the test when any are left. */
export const CUT_LABELS: string[] = [];
