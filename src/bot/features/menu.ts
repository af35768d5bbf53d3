import { Composer } from "grammy";
import type { BotContext } from "../context";
import { backToMenuKeyboard, languageKeyboard, mainMenuKeyboard } from "../keyboards/menu";
import { escapeHtml, messagesFor } from "../locales";
import { onAction } from "../on-action";
import { answer, show } from "../render";
import { IDLE, isWizard } from "../session";
import { wizardCancelPrompt } from "./create-avatar";

/** /start, /help, /cancel, the main menu and the language switch. */
export const menuFeature = new Composer<BotContext>();

menuFeature.command("start", async (ctx) => {
  const name = escapeHtml(ctx.from?.first_name ?? "");
  const { MIN_PHOTOS_FOR_TRAINING, MAX_PHOTOS_PER_AVATAR } = ctx.deps.settings.avatar;
  await ctx.reply(ctx.t.menu.greeting(name, MIN_PHOTOS_FOR_TRAINING, MAX_PHOTOS_PER_AVATAR), {
    reply_markup: mainMenuKeyboard(ctx.t),
  });
});

menuFeature.command("help", async (ctx) => {
  await ctx.reply(helpText(ctx), { reply_markup: backToMenuKeyboard(ctx.t) });
});

menuFeature.command("cancel", async (ctx) => {
  const session = await ctx.deps.session.get();
  if (isWizard(session)) {
    await wizardCancelPrompt(ctx, session.avatarId);
    return;
  }
  if (session.state === "waiting_prompt") {
    await ctx.deps.session.set(IDLE);
    await ctx.reply(ctx.t.menu.title, { reply_markup: mainMenuKeyboard(ctx.t) });
    return;
  }
  if (session.state === "uploading_photos") {
    await ctx.deps.session.set(IDLE);
    await ctx.reply(ctx.t.errors.uploadStopped, { reply_markup: mainMenuKeyboard(ctx.t) });
    return;
  }
  await ctx.reply(ctx.t.errors.nothingToCancel, { reply_markup: mainMenuKeyboard(ctx.t) });
});

onAction(menuFeature, "menu", async (ctx) => {
  await answer(ctx);
  await show(ctx, ctx.t.menu.title, mainMenuKeyboard(ctx.t));
});

onAction(menuFeature, "help", async (ctx) => {
  await answer(ctx);
  await show(ctx, helpText(ctx), backToMenuKeyboard(ctx.t));
});

onAction(menuFeature, "language", async (ctx) => {
  await answer(ctx);
  await show(ctx, ctx.t.language.choose, languageKeyboard());
});

onAction(menuFeature, "setLanguage", async (ctx, { language }) => {
  await ctx.deps.users.setLanguage(ctx.user.id, language);
  ctx.lang = language;
  ctx.t = messagesFor(language);
  await answer(ctx, ctx.t.language.changed);
  await show(ctx, ctx.t.menu.title, mainMenuKeyboard(ctx.t));
});

function helpText(ctx: BotContext): string {
  const { MIN_PHOTOS_FOR_TRAINING, MAX_PHOTOS_PER_AVATAR } = ctx.deps.settings.avatar;
  return ctx.t.help.text(MIN_PHOTOS_FOR_TRAINING, MAX_PHOTOS_PER_AVATAR);
}
