import { Composer, InlineKeyboard } from "grammy";
import type { Avatar } from "../../domain/entities";
import { presetsFor } from "../../domain/presets";
import { type PreviewOffer, previewOffer } from "../../services/preview-offer";
import { cb } from "../callback-data";
import type { BotContext } from "../context";
import { addInPairs } from "../keyboards/layout";
import { escapeHtml } from "../locales";
import { onAction } from "../on-action";
import { answer, show } from "../render";
import { notEnoughScreen } from "../screens/credits";

/** The preview before training: a style chosen here, one picture from the best photo (GenerationJobs.queuePreview). */
export const previewFeature = new Composer<BotContext>();

/** What the avatar's next preview would be: free, its price, or none on offer. */
export async function offerFor(ctx: BotContext, avatar: Avatar): Promise<PreviewOffer> {
  const { settings } = ctx.deps;
  if (avatar.avatarType === "STYLE" || (!settings.previewFreeOnce && settings.credits.preview <= 0))
    return { kind: "none" };
  return previewOffer(settings, (await ctx.deps.gallery.previewChain(avatar.id)).delivered);
}

/** Adds the preview button, saying whether it is free or what it costs, to a Done or Train screen's keyboard. */
export async function withPreviewButton(
  ctx: BotContext,
  avatar: Avatar,
  keyboard: InlineKeyboard,
): Promise<InlineKeyboard> {
  const offer = await offerFor(ctx, avatar);
  if (offer.kind !== "free" && offer.kind !== "paid") return keyboard;
  const label = offer.kind === "free" ? ctx.t.preview.button : ctx.t.preview.paidButton(offer.credits);
  return keyboard.text(label, cb("preview", { avatarId: avatar.id })).row();
}

onAction(previewFeature, "preview", async (ctx, { avatarId }) => {
  const avatar = await ctx.deps.avatars.getOwned(avatarId, ctx.user.id);
  const offer = await offerFor(ctx, avatar);
  if (avatar.status !== "READY_FOR_TRAINING" || offer.kind === "none") {
    await answer(ctx, ctx.t.errors.stale);
    return;
  }
  if (offer.kind === "used") {
    await answer(ctx, ctx.t.preview.used, true);
    return;
  }
  await answer(ctx);
  await showChooser(ctx, avatar, offer);
});

/** A style on a chooser that said the preview is free. */
onAction(previewFeature, "previewGo", async (ctx, { avatarId, preset }) => {
  await go(ctx, avatarId, preset, 0);
});

/** A style on a chooser that showed the price. */
onAction(previewFeature, "previewPay", async (ctx, { avatarId, preset, price }) => {
  await go(ctx, avatarId, preset, price);
});

/** The styles to choose from, and above them whether the preview is free or what it costs. */
async function showChooser(
  ctx: BotContext,
  avatar: Avatar,
  offer: Extract<PreviewOffer, { kind: "free" | "paid" }>,
): Promise<void> {
  const avatarId = avatar.id;
  const price =
    offer.kind === "free"
      ? ctx.t.preview.free
      : ctx.t.credits.previewPrice(offer.credits, (await ctx.deps.credits.balance(ctx.from?.id ?? 0)).available);
  const keyboard = addInPairs(
    new InlineKeyboard(),
    presetsFor(avatar.avatarType).map((preset) => ({
      label: preset.title[ctx.lang],
      data:
        offer.kind === "free"
          ? cb("previewGo", { avatarId, preset: preset.id })
          : cb("previewPay", { avatarId, preset: preset.id, price: offer.credits }),
    })),
  )
    .row()
    .text(ctx.t.photos.back, cb("train", { avatarId }));
  await show(ctx, ctx.t.preview.choose(escapeHtml(avatar.name ?? ""), price), keyboard);
}

/**
 * Starts the preview the user chose on a chooser that showed `shown` credits (0: free). A preview never
 * costs more than the chooser said: when the free one was used meanwhile or the price changed, the
 * chooser is shown again with the price.
 */
async function go(ctx: BotContext, avatarId: string, preset: string, shown: number): Promise<void> {
  const avatar = await ctx.deps.avatars.getOwned(avatarId, ctx.user.id);
  const offer = await offerFor(ctx, avatar);
  if (offer.kind === "none" || avatar.status !== "READY_FOR_TRAINING") {
    await answer(ctx, ctx.t.errors.stale);
    return;
  }
  if (offer.kind === "paid" && offer.credits !== shown) return priceChanged(ctx, avatar, offer.credits, shown);
  const payer = ctx.from?.id ?? 0;
  // Said before anything is drawn; the workspace's hold decides for real when taps race.
  if (offer.kind === "paid") {
    const { available } = await ctx.deps.credits.balance(payer);
    if (available < offer.credits) return notEnough(ctx, offer.credits, available);
  }
  const chatId = ctx.chat?.id ?? ctx.from?.id ?? 0;
  const result = await ctx.deps
    .workspace(avatarId)
    .preview(ctx.user.id, { chatId, language: ctx.lang, preset, payer, shownPrice: offer.kind === "paid" ? shown : 0 });
  switch (result.kind) {
    case "queued":
      await answer(ctx);
      await ctx.replyWithChatAction("upload_photo");
      await ctx.reply(ctx.t.preview.starting);
      return;
    case "insufficient":
      return notEnough(ctx, result.price, result.available);
    case "price_changed":
      return priceChanged(ctx, avatar, result.price, shown);
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
}

/** The chooser said another price (or free): say what it costs now and show it again. */
async function priceChanged(ctx: BotContext, avatar: Avatar, price: number, shown: number): Promise<void> {
  if (price === 0) {
    // Free now, though a price was shown: nothing to warn about, the chooser says so.
    await answer(ctx);
    await showChooser(ctx, avatar, { kind: "free" });
    return;
  }
  await answer(ctx, shown === 0 ? ctx.t.preview.noLongerFree(price) : ctx.t.preview.priceChanged(price), true);
  await showChooser(ctx, avatar, { kind: "paid", credits: price });
}

async function notEnough(ctx: BotContext, price: number, available: number): Promise<void> {
  await answer(ctx);
  const screen = notEnoughScreen(ctx.t, ctx.t.credits.previewCosts(price, available));
  await ctx.reply(screen.text, { reply_markup: screen.keyboard });
}
