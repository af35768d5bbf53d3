import { Bot, type BotConfig, type BotError } from "grammy";
import type { UserFromGetMe } from "grammy/types";
import { DomainError } from "../domain/errors";
import { errorFields, log } from "../log";
import { configureApi } from "../telegram/api";
import { decodeAction } from "./callback-data";
import type { BotContext, BotDeps } from "./context";
import { accessFeature } from "./features/access";
import { adminFeature } from "./features/admin";
import { contextInputFeature } from "./features/context-input";
import { createAvatarFeature } from "./features/create-avatar";
import { creditsFeature } from "./features/credits";
import { fallbackFeature } from "./features/fallback";
import { galleryFeature } from "./features/gallery";
import { generationFeature } from "./features/generation";
import { menuFeature } from "./features/menu";
import { myAvatarsFeature } from "./features/my-avatars";
import { paymentsFeature } from "./features/payments";
import { photoUploadFeature } from "./features/photo-upload";
import { previewFeature } from "./features/preview";
import { privacyFeature } from "./features/privacy";
import { trainingFeature } from "./features/training";
import { languageFromCode, messagesFor } from "./locales";
import { answer } from "./render";

/** Builds the bot for one update: the deps go on ctx, the features are installed in order, the catch-all last. */
export function createBot(deps: BotDeps, botInfo: UserFromGetMe): Bot<BotContext> {
  const config: BotConfig<BotContext> = {
    botInfo,
    client: { apiRoot: deps.settings.telegramApiRoot },
  };
  const bot = new Bot<BotContext>(deps.settings.telegramBotToken, config);
  configureApi(bot.api);

  bot.use(async (ctx, next) => {
    const from = ctx.from;
    // A pre-checkout query has no chat; it comes from the payer, in their private chat's name.
    if (!from || from.is_bot || (ctx.chat?.type !== "private" && !ctx.preCheckoutQuery)) return;
    const now = new Date();
    ctx.deps = deps;
    ctx.user = await deps.users.signIn(
      {
        telegramId: from.id,
        firstName: from.first_name,
        lastName: from.last_name ?? null,
        username: from.username ?? null,
        languageCode: languageFromCode(from.language_code),
      },
      now,
    );
    ctx.lang = ctx.user.languageCode;
    ctx.t = messagesFor(ctx.lang);
    ctx.action = ctx.callbackQuery?.data ? decodeAction(ctx.callbackQuery.data) : null;
    // First sight of the user (their row was just made): the free allowance, whatever they sent first.
    if (ctx.user.createdAt.getTime() === now.getTime()) await deps.credits.welcome(from.id);
    await next();
  });

  bot.errorBoundary(
    handleBotError,
    creditsFeature,
    menuFeature,
    privacyFeature,
    adminFeature,
    paymentsFeature,
    accessFeature,
    createAvatarFeature,
    myAvatarsFeature,
    photoUploadFeature,
    trainingFeature,
    previewFeature,
    generationFeature,
    galleryFeature,
    contextInputFeature,
    fallbackFeature,
  );
  return bot;
}

/** The bot's one error funnel: domain errors become a message in the user's language, the rest is logged. */
async function handleBotError(error: BotError<BotContext>): Promise<void> {
  const ctx = error.ctx;
  const cause = error.error;
  const t = ctx.t;
  if (cause instanceof DomainError) {
    const text =
      cause.code === "avatar_not_found"
        ? t.errors.notFound
        : cause.code === "avatar_busy"
          ? t.errors.busyTraining
          : t.errors.stale;
    if (ctx.callbackQuery) await answer(ctx, text, true);
    else await ctx.reply(text);
    return;
  }
  log("error", "bot_update_failed", { updateId: ctx.update.update_id, userId: ctx.user?.id, ...errorFields(cause) });
  // A pre-checkout query has no chat to answer in.
  if (!ctx.chat) return;
  if (ctx.callbackQuery) await answer(ctx, t.errors.generic, true);
  else await ctx.reply(t.errors.generic);
}
