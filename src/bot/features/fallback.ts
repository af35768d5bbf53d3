import { Composer } from "grammy";
import type { BotContext } from "../context";
import { mainMenuKeyboard } from "../keyboards/menu";
import { answer } from "../render";

/** Installed last: whatever no feature claimed. */
export const fallbackFeature = new Composer<BotContext>();

// A payload no feature knows: from an older bot version, or forged.
fallbackFeature.on("callback_query", (ctx) => answer(ctx, ctx.t.errors.stale));

fallbackFeature.on("message", (ctx) => ctx.reply(ctx.t.errors.unknownInput, { reply_markup: mainMenuKeyboard(ctx.t) }));
