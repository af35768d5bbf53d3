import { InlineKeyboard } from "grammy";
import { cb } from "../callback-data";
import type { Messages } from "../locales";

/** "Training costs 250 credits · you have 120", with the way to buy more and the way back. */
export function notEnoughScreen(t: Messages, line: string): { text: string; keyboard: InlineKeyboard } {
  return {
    text: `${t.credits.notEnough}\n${line}`,
    keyboard: new InlineKeyboard()
      .text(t.credits.buy, cb("buyCredits"))
      .row()
      .text(t.avatars.backToList, cb("avatars", { page: 0 })),
  };
}
