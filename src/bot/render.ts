import { GrammyError, type InlineKeyboard } from "grammy";
import { errorFields, log } from "../log";
import type { BotContext } from "./context";

/** Shows a screen: edits the message the button sits on, or sends a new one when there is none or it is too old. */
export async function show(ctx: BotContext, text: string, keyboard?: InlineKeyboard): Promise<number | undefined> {
  const options = keyboard ? { reply_markup: keyboard } : {};
  const message = ctx.callbackQuery?.message;
  // A photo message (the photo viewer) cannot become a text screen: such a screen is sent anew.
  if (message && "text" in message && message.text !== undefined) {
    try {
      await ctx.editMessageText(text, options);
      return message.message_id;
    } catch (error) {
      if (isNotModified(error)) return message.message_id;
      if (!isUneditable(error)) throw error;
    }
  }
  const sent = await ctx.reply(text, options);
  return sent.message_id;
}

/**
 * Retires a screen that a newer copy replaces, so only the newest one has live buttons: deleted, or,
 * where Telegram no longer allows that (after 48 hours), left as one plain line without buttons.
 */
export async function retire(ctx: BotContext, messageId: number): Promise<void> {
  const chatId = ctx.chat?.id;
  if (chatId === undefined) return;
  try {
    await ctx.api.deleteMessage(chatId, messageId);
  } catch {
    await ctx.api.editMessageText(chatId, messageId, ctx.t.flow.movedBelow).catch(() => undefined);
  }
}

/** Takes the buttons off a screen whose step is over, keeping its text as the chat's record. */
export async function disarm(ctx: BotContext, messageId: number): Promise<void> {
  const chatId = ctx.chat?.id;
  if (chatId === undefined) return;
  await ctx.api.editMessageReplyMarkup(chatId, messageId).catch(() => undefined);
}

export async function answer(ctx: BotContext, text?: string, alert = false): Promise<void> {
  if (!ctx.callbackQuery) return;
  try {
    await ctx.answerCallbackQuery(text ? { text, show_alert: alert } : undefined);
  } catch (error) {
    // Only the spinner is lost (a query past Telegram's answer window, a 5xx, the network): the press
    // itself is still carried out and the screen still updates. A toast that carried the reply is said
    // in the chat instead.
    if (!(error instanceof GrammyError && error.description.includes("query is too old")))
      log("warn", "callback_answer_failed", errorFields(error));
    if (text && alert) await ctx.reply(text).catch(() => undefined);
  }
}

function isNotModified(error: unknown): boolean {
  return error instanceof GrammyError && error.description.includes("message is not modified");
}

function isUneditable(error: unknown): boolean {
  return (
    error instanceof GrammyError &&
    (error.description.includes("message to edit not found") ||
      error.description.includes("message can't be edited") ||
      error.description.includes("there is no text in the message to edit"))
  );
}
