import { Composer } from "grammy";
import { renderStats } from "../../services/metrics";
import type { BotContext } from "../context";
import { mainMenuKeyboard } from "../keyboards/menu";

/** /stats for ADMIN_USER_IDS; anyone else gets exactly what an unknown command gets. */
export const adminFeature = new Composer<BotContext>();

adminFeature.command("stats", async (ctx) => {
  if (!ctx.from || !ctx.deps.settings.adminUserIds.has(ctx.from.id)) {
    await ctx.reply(ctx.t.errors.unknownInput, { reply_markup: mainMenuKeyboard(ctx.t) });
    return;
  }
  await ctx.reply(renderStats(await ctx.deps.metrics.snapshot(new Date())));
});
