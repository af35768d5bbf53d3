import { Composer, InlineKeyboard } from "grammy";
import type { Avatar } from "../../domain/entities";
import { presetsFor } from "../../domain/presets";
import { cb } from "../callback-data";
import type { BotContext } from "../context";
import { addInPairs } from "../keyboards/layout";
import { escapeHtml } from "../locales";
import { onAction } from "../on-action";
import { answer, show } from "../render";

/** The preview before training: a style chosen here, one picture from the best photo (GenerationJobs.queuePreview). */
export const previewFeature = new Composer<BotContext>();

/** Whether the avatar's Done and Train screens offer the preview. */
export function offersPreview(ctx: BotContext, avatar: Avatar): boolean {
  return ctx.deps.settings.previewFreeOnce && avatar.avatarType !== "STYLE";
}

/** Adds the preview button to a Done or Train screen's keyboard when it is offered. */
export function withPreviewButton(ctx: BotContext, avatar: Avatar, keyboard: InlineKeyboard): InlineKeyboard {
  if (!offersPreview(ctx, avatar)) return keyboard;
  return keyboard.text(ctx.t.preview.button, cb("preview", { avatarId: avatar.id })).row();
}

onAction(previewFeature, "preview", async (ctx, { avatarId }) => {
  const avatar = await ctx.deps.avatars.getOwned(avatarId, ctx.user.id);
  if (avatar.status !== "READY_FOR_TRAINING" || !offersPreview(ctx, avatar)) {
    await answer(ctx, ctx.t.errors.stale);
    return;
  }
  await answer(ctx);
  const keyboard = addInPairs(
    new InlineKeyboard(),
    presetsFor(avatar.avatarType).map((preset) => ({
      label: preset.title[ctx.lang],
      data: cb("previewGo", { avatarId, preset: preset.id }),
    })),
  )
    .row()
    .text(ctx.t.photos.back, cb("train", { avatarId }));
  await show(ctx, ctx.t.preview.choose(escapeHtml(avatar.name ?? "")), keyboard);
});

onAction(previewFeature, "previewGo", async (ctx, { avatarId, preset }) => {
  const avatar = await ctx.deps.avatars.getOwned(avatarId, ctx.user.id);
  if (!offersPreview(ctx, avatar)) {
    await answer(ctx, ctx.t.errors.stale);
    return;
  }
  const chatId = ctx.chat?.id ?? ctx.from?.id ?? 0;
  const result = await ctx.deps.workspace(avatarId).preview(ctx.user.id, { chatId, language: ctx.lang, preset });
  switch (result.kind) {
    case "queued":
      await answer(ctx);
      await ctx.replyWithChatAction("upload_photo");
      await ctx.reply(ctx.t.preview.starting);
      return;
    case "duplicate":
      await answer(ctx, ctx.t.preview.running, true);
      return;
    case "used":
      await answer(ctx, ctx.t.preview.used, true);
      return;
    case "no_photo":
      await answer(ctx, ctx.t.preview.noPhoto, true);
      return;
    case "busy":
      await answer(ctx, ctx.t.generate.busy(result.max), true);
      return;
    case "not_ready":
      await answer(ctx, ctx.t.errors.stale);
      return;
  }
});
