import type { Api } from "grammy";
import type { Update } from "grammy/types";
import type { Verdict } from "../services/access";
import { decodeAction } from "./callback-data";
import { languageFromCode, messagesFor } from "./locales";

/**
 * Whether an update goes to the bot despite a refusal. A payment already taken is always recorded;
 * a refused user the bot keeps data of may still read what it keeps and delete it (/privacy,
 * /deletemydata and its confirmation), which privacy law gives them whether or not they may use the bot.
 */
export function passesRefusal(update: Update, verdict: Verdict): boolean {
  if (verdict.allowed || update.message?.successful_payment) return true;
  if (!verdict.known) return false;
  const text = update.message?.text ?? "";
  if (/^\/(privacy|deletemydata)(@\w+)?(\s|$)/.test(text)) return true;
  const data = update.callback_query?.data;
  return data !== undefined && decodeAction(data)?.kind === "deleteMyData";
}

/** The one polite line a refused user gets, in their language, as the kind of update allows. */
export async function tellRefused(api: Api, update: Update, known: boolean): Promise<void> {
  const from = update.message?.from ?? update.callback_query?.from ?? update.pre_checkout_query?.from;
  if (!from) return;
  const t = messagesFor(languageFromCode(from.language_code)).access;
  const text = known ? t.refusedKnown : t.refused;
  if (update.callback_query) {
    await api.answerCallbackQuery(update.callback_query.id, { text: t.refusedShort, show_alert: true });
  } else if (update.pre_checkout_query) {
    await api.answerPreCheckoutQuery(update.pre_checkout_query.id, false, { error_message: t.refusedShort });
  } else if (update.message) {
    await api.sendMessage(from.id, text);
  }
}
