import { Composer, InlineKeyboard } from "grammy";
import {
  ASPECT_RATIOS,
  type Avatar,
  DEFAULT_PICTURE_OPTIONS,
  MAX_PICTURES,
  type PictureOptions,
} from "../../domain/entities";
import { PROMPT_MAX_LENGTH, presetById, presetsFor, sanitizePrompt, subjectFor } from "../../domain/presets";
import { generationPrice } from "../../domain/prices";
import { cb } from "../callback-data";
import type { BotContext } from "../context";
import { addInPairs } from "../keyboards/layout";
import { escapeHtml } from "../locales";
import { onAction } from "../on-action";
import { answer, show } from "../render";
import { notEnoughScreen } from "../screens/credits";
import { IDLE } from "../session";

/** Generating pictures from a trained avatar: presets, own prompts, options and repeats (the gallery is gallery.ts). */
export const generationFeature = new Composer<BotContext>();

function optionsOf(avatar: Avatar): PictureOptions {
  return avatar.avatarData.genOptions ?? DEFAULT_PICTURE_OPTIONS;
}

onAction(generationFeature, "generate", async (ctx, { avatarId }) => {
  const avatar = await trained(ctx, avatarId);
  if (!avatar) return;
  await answer(ctx);
  await showMenu(ctx, avatar);
});

onAction(generationFeature, "genAspect", async (ctx, { avatarId }) => {
  const avatar = await trained(ctx, avatarId);
  if (!avatar) return;
  const options = optionsOf(avatar);
  const aspect = ASPECT_RATIOS[(ASPECT_RATIOS.indexOf(options.aspect) + 1) % ASPECT_RATIOS.length] ?? "1:1";
  await saveOptions(ctx, avatar, { ...options, aspect });
});

onAction(generationFeature, "genCount", async (ctx, { avatarId }) => {
  const avatar = await trained(ctx, avatarId);
  if (!avatar) return;
  const options = optionsOf(avatar);
  await saveOptions(ctx, avatar, { ...options, count: (options.count % MAX_PICTURES) + 1 });
});

onAction(generationFeature, "genPreset", async (ctx, { avatarId, preset }) => {
  const avatar = await trained(ctx, avatarId);
  const chosen = presetById(preset);
  if (!avatar) return;
  if (!chosen) {
    await answer(ctx, ctx.t.errors.stale);
    return;
  }
  await start(ctx, avatar, chosen.prompt(avatar.triggerWord, subjectFor(avatar.gender)), chosen.id, optionsOf(avatar));
});

onAction(generationFeature, "genCustom", async (ctx, { avatarId }) => {
  const avatar = await trained(ctx, avatarId);
  if (!avatar) return;
  await ctx.deps.session.set({ state: "waiting_prompt", avatarId });
  await answer(ctx);
  await ctx.reply(ctx.t.generate.askPrompt(PROMPT_MAX_LENGTH), {
    reply_markup: new InlineKeyboard().text(ctx.t.generate.back, cb("generate", { avatarId })),
  });
});

generationFeature.on("message:text", async (ctx, next) => {
  const session = await ctx.deps.session.get();
  if (session.state !== "waiting_prompt" || ctx.message.text.startsWith("/")) return next();
  const avatar = await ctx.deps.avatars.getOwned(session.avatarId, ctx.user.id);
  const prompt = sanitizePrompt(ctx.message.text, avatar.triggerWord);
  if (!prompt.ok) {
    await ctx.reply(
      prompt.reason === "empty" ? ctx.t.generate.promptEmpty : ctx.t.generate.promptTooLong(PROMPT_MAX_LENGTH),
    );
    return;
  }
  await ctx.deps.session.set(IDLE);
  await start(ctx, avatar, prompt.prompt, null, optionsOf(avatar));
});

onAction(generationFeature, "genRepeat", async (ctx, { generationId }) => {
  const generation = await ctx.deps.gallery.findOwned(generationId, ctx.user.id);
  if (!generation) {
    await answer(ctx, ctx.t.pictures.gone, true);
    return;
  }
  const avatar = await trained(ctx, generation.avatarId);
  if (!avatar) return;
  const { aspect, count } = generation.options;
  await start(ctx, avatar, generation.prompt, generation.preset, { aspect, count });
});

/** The avatar when it is the user's and trained; otherwise says plainly why not. */
async function trained(ctx: BotContext, avatarId: string): Promise<Avatar | null> {
  const avatar = await ctx.deps.avatars.getOwned(avatarId, ctx.user.id);
  if (avatar.status === "COMPLETED" && avatar.finetuneId) return avatar;
  await answer(ctx, ctx.t.generate.notReady, true);
  if (!ctx.callbackQuery) await ctx.reply(ctx.t.generate.notReady);
  return null;
}

async function saveOptions(ctx: BotContext, avatar: Avatar, options: PictureOptions): Promise<void> {
  const saved = await ctx.deps.avatars.savePictureOptions(avatar, options);
  await answer(ctx);
  await showMenu(ctx, saved);
}

async function start(
  ctx: BotContext,
  avatar: Avatar,
  prompt: string,
  preset: string | null,
  options: PictureOptions,
): Promise<void> {
  const chatId = ctx.chat?.id ?? ctx.from?.id ?? 0;
  const payer = ctx.from?.id ?? 0;
  const price = generationPrice(ctx.deps.settings.credits, options.count);
  // Said before anything is drawn; the workspace's hold decides for real when taps race.
  const { available } = await ctx.deps.credits.balance(payer);
  if (available < price) return notEnough(ctx, price, available);
  const tapped = ctx.callbackQuery;
  const intentKey =
    tapped?.message && tapped.data
      ? `tap:${chatId}:${tapped.message.message_id}:${tapped.data}`
      : `update:${ctx.update.update_id}`;
  const result = await ctx.deps.workspace(avatar.id).generate(ctx.user.id, {
    intentKey,
    chatId,
    language: ctx.lang,
    prompt,
    preset,
    aspect: options.aspect,
    count: options.count,
    payer,
  });
  if (result.kind === "insufficient") return notEnough(ctx, result.price, result.available);
  if (result.kind === "busy") {
    await answer(ctx, ctx.t.generate.busy(result.max), true);
    if (!ctx.callbackQuery) await ctx.reply(ctx.t.generate.busy(result.max));
    return;
  }
  if (result.kind === "limited") {
    const text = ctx.t.limits.generation(result.max, result.retryAt - Date.now());
    await answer(ctx, text, true);
    if (!ctx.callbackQuery) await ctx.reply(text);
    return;
  }
  if (result.kind === "not_ready") {
    await answer(ctx, ctx.t.generate.notReady, true);
    return;
  }
  if (result.kind === "duplicate") {
    await answer(ctx, ctx.t.generate.alreadyDrawing);
    return;
  }
  await answer(ctx);
  await ctx.replyWithChatAction("upload_photo");
  await ctx.reply(ctx.t.generate.working);
}

async function notEnough(ctx: BotContext, price: number, available: number): Promise<void> {
  await answer(ctx);
  const screen = notEnoughScreen(ctx.t, ctx.t.credits.picturesCost(price, available));
  await ctx.reply(screen.text, { reply_markup: screen.keyboard });
}

async function showMenu(ctx: BotContext, avatar: Avatar): Promise<void> {
  const t = ctx.t;
  const options = optionsOf(avatar);
  const keyboard = new InlineKeyboard();
  const presets = presetsFor(avatar.avatarType).map((preset) => ({
    label: preset.title[ctx.lang],
    data: cb("genPreset", { avatarId: avatar.id, preset: preset.id }),
  }));
  addInPairs(keyboard, [...presets, { label: t.generate.custom, data: cb("genCustom", { avatarId: avatar.id }) }]);
  addInPairs(keyboard, [
    { label: t.generate.aspect(t.generate.aspectName[options.aspect]), data: cb("genAspect", { avatarId: avatar.id }) },
    { label: t.generate.count(options.count), data: cb("genCount", { avatarId: avatar.id }) },
  ]);
  const last = (await ctx.deps.gallery.list(avatar.id, 0, 1)).items[0];
  addInPairs(keyboard, [
    ...(last ? [{ label: t.generate.repeat, data: cb("genRepeat", { generationId: last.id }) }] : []),
    { label: t.generate.gallery, data: cb("gallery", { avatarId: avatar.id, page: 0 }) },
  ])
    .row()
    .text(t.generate.back, cb("card", { avatarId: avatar.id }));
  const { available } = await ctx.deps.credits.balance(ctx.from?.id ?? 0);
  const price = t.credits.picturePrice(ctx.deps.settings.credits.picture, options.count, available);
  const text = `${t.generate.menu(escapeHtml(avatar.name ?? ""))}\n${t.generate.options(t.generate.aspectName[options.aspect], options.count)}\n${price}\n\n${t.generate.presets}`;
  await show(ctx, text, keyboard);
}
