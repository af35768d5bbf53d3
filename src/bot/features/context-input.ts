import { Composer, InlineKeyboard } from "grammy";
import { PROMPT_MAX_LENGTH } from "../../domain/presets";
import { cb } from "../callback-data";
import type { BotContext } from "../context";
import { escapeHtml } from "../locales";
import { IDLE } from "../session";

/**
 * Installed just before the catch-all: what the user sent that the step they are at cannot take
 * (text while photos are expected, a sticker instead of a prompt, a photo with nothing collecting)
 * gets an answer about that step and a way on, never the bare main menu.
 */
export const contextInputFeature = new Composer<BotContext>();

contextInputFeature.on("message", async (ctx, next) => {
  const session = await ctx.deps.session.get();
  const t = ctx.t;
  if (session.state === "uploading_photos") {
    const [avatar] = (await ctx.deps.avatars.withStatus(ctx.user.id, "PHOTOS_UPLOADING")).filter(
      (a) => a.id === session.avatarId,
    );
    if (!avatar) {
      // The avatar moved on (deleted, or done elsewhere): the chat is no longer collecting.
      await ctx.deps.session.set(IDLE);
      return next();
    }
    const keyboard = new InlineKeyboard()
      .text(t.photos.done, cb("photosDone", { avatarId: avatar.id }))
      .row()
      .text(t.menu.myAvatars, cb("avatars", { page: 0 }));
    await ctx.reply(t.flow.collecting(escapeHtml(avatar.name ?? t.avatars.untitled)), { reply_markup: keyboard });
    return;
  }
  if (session.state === "waiting_prompt") {
    const keyboard = new InlineKeyboard().text(t.generate.back, cb("generate", { avatarId: session.avatarId }));
    await ctx.reply(`${t.flow.promptAsText}\n\n${t.generate.askPrompt(PROMPT_MAX_LENGTH)}`, { reply_markup: keyboard });
    return;
  }
  if (ctx.message.photo || ctx.message.document) {
    // Nothing is collecting: the photo is not kept, and the user hears how to get to where it would be.
    const [collecting] = await ctx.deps.avatars.withStatus(ctx.user.id, "PHOTOS_UPLOADING");
    const keyboard = new InlineKeyboard();
    if (collecting) keyboard.text(t.avatars.continueUpload, cb("upload", { avatarId: collecting.id })).row();
    keyboard.text(t.menu.create, cb("create")).row().text(t.menu.back, cb("menu"));
    const text = collecting
      ? t.flow.photoContinue(escapeHtml(collecting.name ?? t.avatars.untitled))
      : t.flow.photoNoAvatar;
    await ctx.reply(text, { reply_markup: keyboard });
    return;
  }
  return next();
});
