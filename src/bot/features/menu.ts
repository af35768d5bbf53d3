import { Composer, InlineKeyboard } from "grammy";
import { cb } from "../callback-data";
import type { BotContext } from "../context";
import { backToMenuKeyboard, languageKeyboard, mainMenuKeyboard } from "../keyboards/menu";
import { escapeHtml, messagesFor } from "../locales";
import { onAction } from "../on-action";
import { answer, show } from "../render";
import { IDLE, isWizard } from "../session";
import { wizardCancelPrompt } from "./create-avatar";
import { trainCancelPrompt } from "./training";

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

// Cancels what is actually running: the wizard, an own prompt, the photo upload, or a training.
menuFeature.command("cancel", async (ctx) => {
  const session = await ctx.deps.session.get();
  if (isWizard(session)) {
    await wizardCancelPrompt(ctx, session.avatarId);
    return;
  }
  if (session.state === "waiting_prompt") {
    await ctx.deps.session.set(IDLE);
    const keyboard = new InlineKeyboard()
      .text(ctx.t.generate.back, cb("generate", { avatarId: session.avatarId }))
      .text(ctx.t.menu.back, cb("menu"));
    await ctx.reply(ctx.t.flow.promptCancelled, { reply_markup: keyboard });
    return;
  }
  if (session.state === "uploading_photos") {
    await ctx.deps.session.set(IDLE);
    // Said with the deadline: the retention sweep deletes an avatar left collecting photos.
    const paused = ctx.t.flow.uploadPaused(ctx.deps.settings.abandonedAvatarTtlSeconds);
    await ctx.reply(paused, { reply_markup: mainMenuKeyboard(ctx.t) });
    return;
  }
  const training = await ctx.deps.avatars.withStatus(ctx.user.id, "TRAINING");
  const [only] = training;
  if (only && training.length === 1) {
    await trainCancelPrompt(ctx, only);
    return;
  }
  if (training.length > 1) {
    const keyboard = new InlineKeyboard();
    for (const avatar of training) {
      keyboard.text(`✖️ ${avatar.name ?? ctx.t.avatars.untitled}`, cb("trainCancel", { avatarId: avatar.id })).row();
    }
    await ctx.reply(ctx.t.flow.whichTraining, { reply_markup: keyboard.text(ctx.t.menu.back, cb("menu")) });
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
