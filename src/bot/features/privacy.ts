import { Composer, InlineKeyboard } from "grammy";
import { cb } from "../callback-data";
import type { BotContext } from "../context";
import { onAction } from "../on-action";
import { answer, show } from "../render";
import { IDLE } from "../session";

/** /privacy, and /deletemydata with a confirmation that says what will go. */
export const privacyFeature = new Composer<BotContext>();

privacyFeature.command("privacy", (ctx) => {
  const settings = ctx.deps.settings;
  const retention = {
    abandonedSeconds: settings.abandonedAvatarTtlSeconds,
    archiveSeconds: settings.avatar.TRAINING_DATA_TTL,
    picturesSeconds: settings.generationRetentionSeconds,
  };
  return ctx.reply(ctx.t.privacy.text(retention));
});

privacyFeature.command("deletemydata", async (ctx) => {
  const counts = await ctx.deps.users.countData(ctx.user.id);
  await ctx.reply(ctx.t.deleteData.confirm(counts.avatars, counts.photos, counts.generations), {
    reply_markup: new InlineKeyboard()
      .text(ctx.t.deleteData.yes, cb("deleteMyData"))
      .row()
      .text(ctx.t.deleteData.no, cb("menu")),
  });
});

onAction(privacyFeature, "deleteMyData", async (ctx) => {
  await ctx.deps.deleteUserData(ctx.user.id);
  await ctx.deps.session.set(IDLE);
  await answer(ctx);
  await show(ctx, ctx.t.deleteData.done);
});
