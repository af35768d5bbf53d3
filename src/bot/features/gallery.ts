import { Composer, GrammyError, InlineKeyboard, InputFile } from "grammy";
import type { InputMediaPhoto } from "grammy/types";
import type { Avatar, Generation } from "../../domain/entities";
import type { GalleryEdge, PictureSource } from "../../services/gallery-service";
import { cb } from "../callback-data";
import type { BotContext } from "../context";
import { escapeHtml } from "../locales";
import { onAction } from "../on-action";
import { answer, show } from "../render";
import { againKeyboard, gallerySetCaption, gallerySetKeyboard, pictureCaption } from "../screens/pictures";

/**
 * "My pictures": each set is its own photo message with its caption and buttons, a few a page, the
 * pager last. A set's buttons act on that set alone, so deleting one never moves or renumbers another.
 */
export const galleryFeature = new Composer<BotContext>();

const PAGE_SIZE = 3;

onAction(galleryFeature, "gallery", async (ctx, { avatarId }) => {
  const avatar = await ctx.deps.avatars.getOwned(avatarId, ctx.user.id);
  await answer(ctx);
  await showPage(ctx, avatar, null);
});

onAction(galleryFeature, "galleryOlder", async (ctx, { avatarId, before }) => {
  const avatar = await ctx.deps.avatars.getOwned(avatarId, ctx.user.id);
  await answer(ctx);
  await showPage(ctx, avatar, { at: new Date(before), side: "older" });
});

onAction(galleryFeature, "galleryNewer", async (ctx, { avatarId, after }) => {
  const avatar = await ctx.deps.avatars.getOwned(avatarId, ctx.user.id);
  await answer(ctx);
  await showPage(ctx, avatar, { at: new Date(after), side: "newer" });
});

onAction(galleryFeature, "genSend", async (ctx, { generationId }) => {
  const found = await owned(ctx, generationId);
  if (!found) return;
  const { generation, avatar } = found;
  if (generation.status !== "SUCCEEDED") {
    await answer(ctx, ctx.t.generate.alreadyDrawing);
    return;
  }
  await answer(ctx);
  await ctx.replyWithChatAction("upload_photo");
  const caption = pictureCaption(ctx.t, ctx.lang, avatar, generation);
  const keyboard = againKeyboard(ctx.t, generation);
  const sent = await sendSet(ctx, await ctx.deps.gallery.pictures(generation), caption, keyboard).catch(
    async (error: unknown) => {
      // A file id Telegram no longer knows (another bot token, say): the stored pictures instead.
      if (!(error instanceof GrammyError && error.error_code === 400)) throw error;
      return sendSet(ctx, await ctx.deps.gallery.pictures(generation, { fromStorage: true }), caption, keyboard);
    },
  );
  if (sent === "album") await ctx.reply(ctx.t.generate.menu(escapeHtml(avatar.name ?? "")), { reply_markup: keyboard });
  if (sent === "none") await ctx.reply(ctx.t.pictures.unavailable, { reply_markup: keyboard });
});

onAction(galleryFeature, "genDelete", async (ctx, { generationId }) => {
  const found = await owned(ctx, generationId);
  if (!found || !(await finished(ctx, found.generation))) return;
  const { generation, avatar } = found;
  await answer(ctx);
  const keyboard = new InlineKeyboard()
    .text(ctx.t.pictures.yesDelete, cb("genDeleteConfirm", { generationId }))
    .text(ctx.t.pictures.noKeep, cb("genDeleteKeep", { generationId }));
  const caption = pictureCaption(ctx.t, ctx.lang, avatar, generation);
  await editSet(ctx, ctx.t.pictures.confirmDelete(caption, generation.resultKeys.length), keyboard);
});

onAction(galleryFeature, "genDeleteConfirm", async (ctx, { generationId }) => {
  const found = await owned(ctx, generationId);
  if (!found || !(await finished(ctx, found.generation))) return;
  const { generation, avatar } = found;
  await ctx.deps.gallery.delete(generation);
  await answer(ctx, ctx.t.generate.deleted);
  await editSet(ctx, ctx.t.pictures.deletedSet(pictureCaption(ctx.t, ctx.lang, avatar, generation)));
});

onAction(galleryFeature, "genDeleteKeep", async (ctx, { generationId }) => {
  const found = await owned(ctx, generationId);
  if (!found) return;
  const { generation, avatar } = found;
  await answer(ctx);
  await editSet(ctx, gallerySetCaption(ctx.t, ctx.lang, avatar, generation), gallerySetKeyboard(ctx.t, generation));
});

/** The set and its avatar when the set is the user's; otherwise says plainly that it is gone. */
async function owned(
  ctx: BotContext,
  generationId: string,
): Promise<{ generation: Generation; avatar: Avatar } | null> {
  const generation = await ctx.deps.gallery.findOwned(generationId, ctx.user.id);
  if (!generation) {
    await answer(ctx, ctx.t.pictures.gone, true);
    return null;
  }
  return { generation, avatar: await ctx.deps.avatars.getOwned(generation.avatarId, ctx.user.id) };
}

/** Until it has finished its pictures may still be being stored, and would outlive a deleted row. */
async function finished(ctx: BotContext, generation: Generation): Promise<boolean> {
  if (generation.status === "SUCCEEDED" || generation.status === "FAILED") return true;
  await answer(ctx, ctx.t.generate.stillMaking, true);
  return false;
}

async function showPage(ctx: BotContext, avatar: Avatar, edge: GalleryEdge | null): Promise<void> {
  const t = ctx.t;
  const name = escapeHtml(avatar.name ?? t.avatars.untitled);
  const [page, making] = await Promise.all([
    ctx.deps.gallery.page(avatar.id, edge, PAGE_SIZE),
    ctx.deps.gallery.making(avatar.id),
  ]);
  const toMenu = new InlineKeyboard().text(t.generate.back, cb("generate", { avatarId: avatar.id }));
  const makingLines = making.map((g) => `• ${pictureCaption(t, ctx.lang, avatar, g)}`);
  const makingText = makingLines.length > 0 ? `\n\n${t.pictures.making}\n${makingLines.join("\n")}` : "";
  if (page.items.length === 0) {
    await show(ctx, `${t.pictures.empty(name)}${makingText}`, toMenu);
    return;
  }
  // The pager that was tapped moves below the new page: the old one goes.
  if (edge && ctx.callbackQuery?.message) await ctx.deleteMessage().catch(() => undefined);
  for (const generation of page.items) await sendGallerySet(ctx, avatar, generation);

  const pager = new InlineKeyboard();
  const first = page.items[0];
  const last = page.items.at(-1);
  if (page.newer && first)
    pager.text(t.pictures.newer, cb("galleryNewer", { avatarId: avatar.id, after: first.createdAt.getTime() }));
  if (page.older && last)
    pager.text(t.pictures.older, cb("galleryOlder", { avatarId: avatar.id, before: last.createdAt.getTime() }));
  pager.row().text(t.generate.back, cb("generate", { avatarId: avatar.id }));
  const more = page.older ? t.pictures.moreOlder : t.pictures.allShown;
  await ctx.reply(`${t.pictures.header(name)} ${more}${makingText}`, { reply_markup: pager });
}

/** One set in the gallery: its first picture with the caption and the set's own buttons. */
async function sendGallerySet(ctx: BotContext, avatar: Avatar, generation: Generation): Promise<void> {
  const caption = gallerySetCaption(ctx.t, ctx.lang, avatar, generation);
  const keyboard = gallerySetKeyboard(ctx.t, generation);
  const [picture] = await ctx.deps.gallery.pictures(generation, { count: 1 });
  if (typeof picture === "string") {
    try {
      await ctx.replyWithPhoto(picture, { caption, reply_markup: keyboard });
      return;
    } catch (error) {
      if (!(error instanceof GrammyError && error.error_code === 400)) throw error;
    }
  }
  const [bytes] =
    picture instanceof Uint8Array
      ? [picture]
      : await ctx.deps.gallery.pictures(generation, { count: 1, fromStorage: true });
  if (bytes instanceof Uint8Array) {
    await ctx.replyWithPhoto(new InputFile(bytes, "picture.jpg"), { caption, reply_markup: keyboard });
    return;
  }
  // Nothing left to show (storage lost it): the set can still be deleted or made again.
  await ctx.reply(`${caption}\n${ctx.t.pictures.unavailable}`, { reply_markup: keyboard });
}

/** Sends a whole set: one picture with its caption and buttons, or an album captioned on its first. */
async function sendSet(
  ctx: BotContext,
  pictures: PictureSource[],
  caption: string,
  keyboard: InlineKeyboard,
): Promise<"photo" | "album" | "none"> {
  const media = pictures
    .filter((p): p is string | Uint8Array => p !== null)
    .map((p, i) => (typeof p === "string" ? p : new InputFile(p, `picture_${i + 1}.jpg`)));
  const [only] = media;
  if (!only) return "none";
  if (media.length === 1) {
    await ctx.replyWithPhoto(only, { caption, reply_markup: keyboard });
    return "photo";
  }
  await ctx.replyWithMediaGroup(
    media.map((m, i): InputMediaPhoto => ({ type: "photo", media: m, ...(i === 0 ? { caption } : {}) })),
  );
  return "album";
}

/**
 * Rewrites the tapped set's own message (its caption, or its text when it has no picture) and
 * nothing else; without `keyboard` its buttons go.
 */
async function editSet(ctx: BotContext, text: string, keyboard?: InlineKeyboard): Promise<void> {
  const message = ctx.callbackQuery?.message;
  const options = keyboard ? { reply_markup: keyboard } : {};
  try {
    if (message && "photo" in message && message.photo) await ctx.editMessageCaption({ caption: text, ...options });
    else await ctx.editMessageText(text, options);
  } catch (error) {
    if (error instanceof GrammyError && error.description.includes("message is not modified")) return;
    if (!(error instanceof GrammyError && error.error_code === 400)) throw error;
    await ctx.reply(text, options);
  }
}
