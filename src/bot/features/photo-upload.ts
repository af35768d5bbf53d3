import { Composer, InlineKeyboard, InputFile } from "grammy";
import type { PhotoSize } from "grammy/types";
import { isDomainError } from "../../domain/errors";
import type { PhotoJob } from "../../services/photo-service";
import { cb } from "../callback-data";
import type { BotContext } from "../context";
import { addInPairs } from "../keyboards/layout";
import { escapeHtml } from "../locales";
import { onAction } from "../on-action";
import { answer, show } from "../render";
import { photoMarks, setSummary } from "../screens/coach";
import { IDLE } from "../session";
import { withPreviewButton } from "./preview";

/** Receiving photos and files, the Done button, and the one-photo-at-a-time viewer with delete. */
export const photoUploadFeature = new Composer<BotContext>();

const PREVIEW_LONG_SIDE = 1024;

photoUploadFeature.on(["message:photo", "message:document"], async (ctx, next) => {
  const session = await ctx.deps.session.get();
  // Not collecting: contextInputFeature says what happened to it and how to start.
  if (session.state !== "uploading_photos") return next();
  const message = ctx.message;
  const base = {
    id: `${message.chat.id}:${message.message_id}`,
    avatarId: session.avatarId,
    userId: ctx.user.id,
    chatId: message.chat.id,
    messageId: message.message_id,
    receivedAt: message.date * 1000 + (message.message_id % 1000),
  };
  let job: PhotoJob;
  if (message.photo) {
    const sizes = [...message.photo].sort((a, b) => a.width * a.height - b.width * b.height);
    const original = sizes.at(-1) as PhotoSize;
    const preview = sizes.find((s) => Math.max(s.width, s.height) >= PREVIEW_LONG_SIDE) ?? original;
    job = {
      ...base,
      kind: "photo",
      fileId: original.file_id,
      fileUniqueId: original.file_unique_id,
      ...(original.file_size !== undefined ? { fileSize: original.file_size } : {}),
      preview: { fileId: preview.file_id, width: preview.width, height: preview.height },
    };
  } else {
    const document = message.document;
    if (!document) return;
    job = {
      ...base,
      kind: "document",
      fileId: document.file_id,
      fileUniqueId: document.file_unique_id,
      ...(document.file_size !== undefined ? { fileSize: document.file_size } : {}),
      ...(document.file_name ? { fileName: document.file_name } : {}),
    };
  }
  await ctx.deps.workspace(session.avatarId).enqueue(job, ctx.lang);
});

onAction(photoUploadFeature, "upload", async (ctx, { avatarId }) => {
  const avatar = await ctx.deps.avatars.getOwned(avatarId, ctx.user.id);
  if (avatar.status !== "PHOTOS_UPLOADING") {
    await answer(ctx, ctx.t.errors.stale);
    return;
  }
  await ctx.deps.session.set({ state: "uploading_photos", avatarId });
  await answer(ctx);
  // The workspace draws the status, so this screen and the one its checks update are the same message.
  const tapped = ctx.callbackQuery?.message;
  const editable = tapped && "text" in tapped && tapped.text !== undefined ? tapped.message_id : undefined;
  await ctx.deps.workspace(avatarId).openStatus(ctx.chat?.id ?? ctx.user.telegramId, ctx.lang, editable);
});

onAction(photoUploadFeature, "photosDone", async (ctx, { avatarId }) => {
  await ctx.deps.avatars.getOwned(avatarId, ctx.user.id);
  const result = await ctx.deps.workspace(avatarId).finish(ctx.user.id);
  const { MIN_PHOTOS_FOR_TRAINING } = ctx.deps.settings.avatar;
  switch (result.kind) {
    case "busy":
      await answer(ctx, ctx.t.photos.stillChecking, true);
      return;
    case "need_more":
      await answer(ctx, ctx.t.photos.needMoreAlert(result.missing, MIN_PHOTOS_FOR_TRAINING), true);
      return;
    case "stale":
      await answer(ctx, ctx.t.errors.stale);
      return;
    case "ready": {
      const session = await ctx.deps.session.get();
      if ("avatarId" in session && session.avatarId === avatarId) await ctx.deps.session.set(IDLE);
      await answer(ctx);
      const avatar = await ctx.deps.avatars.getOwned(avatarId, ctx.user.id);
      const keyboard = (
        await withPreviewButton(
          ctx,
          avatar,
          new InlineKeyboard().text(ctx.t.training.train, cb("train", { avatarId })).row(),
        )
      )
        .text(ctx.t.photos.view, cb("photos", { avatarId, page: 0 }))
        .row()
        .text(ctx.t.menu.myAvatars, cb("avatars", { page: 0 }));
      const photos = await ctx.deps.avatars.listPhotos(avatarId, 0, ctx.deps.settings.avatar.MAX_PHOTOS_PER_AVATAR);
      const text = [ctx.t.photos.ready(escapeHtml(result.name), result.count), "", setSummary(ctx.t, photos.items)];
      await show(ctx, text.join("\n"), keyboard);
    }
  }
});

onAction(photoUploadFeature, "photos", async (ctx, { avatarId, page }) => {
  const avatar = await ctx.deps.avatars.getOwned(avatarId, ctx.user.id);
  await answer(ctx);
  await showPhoto(ctx, avatar.id, avatar.status === "PHOTOS_UPLOADING", page);
});

onAction(photoUploadFeature, "photoDelete", async (ctx, { photoId, page }) => {
  const photo = await ctx.deps.avatars.getOwnedPhoto(photoId, ctx.user.id);
  const { total } = await ctx.deps.avatars.listPhotos(photo.avatarId, page, 1);
  await answer(ctx);
  const keyboard = addInPairs(new InlineKeyboard(), [
    { label: ctx.t.photos.yesDeletePhoto, data: cb("photoDeleteConfirm", { photoId, page }) },
    { label: ctx.t.photos.keepPhoto, data: cb("photos", { avatarId: photo.avatarId, page }) },
  ]);
  // The question goes in the photo's own caption, where it stays until answered.
  await ctx.editMessageCaption({ caption: ctx.t.photos.confirmDeletePhoto(page + 1, total), reply_markup: keyboard });
});

onAction(photoUploadFeature, "photoDeleteConfirm", async (ctx, { photoId, page }) => {
  const photo = await ctx.deps.avatars.getOwnedPhoto(photoId, ctx.user.id).catch((error: unknown) => {
    if (isDomainError(error, "avatar_not_found")) return null;
    throw error;
  });
  if (!photo) {
    // Pressed a second time: the viewer already shows what is left.
    await answer(ctx, ctx.t.flow.photoAlreadyDeleted, true);
    return;
  }
  const avatar = await ctx.deps.avatars.getOwned(photo.avatarId, ctx.user.id);
  if (avatar.status !== "PHOTOS_UPLOADING") {
    await answer(ctx, ctx.t.errors.stale);
    return;
  }
  await ctx.deps.workspace(photo.avatarId).deletePhoto(photoId);
  await answer(ctx, ctx.t.photos.photoDeleted);
  await showPhoto(ctx, photo.avatarId, true, page);
});

async function showPhoto(ctx: BotContext, avatarId: string, deletable: boolean, requestedPage: number): Promise<void> {
  const first = await ctx.deps.avatars.listPhotos(avatarId, requestedPage, 1);
  const page = first.items.length === 0 && first.total > 0 ? first.total - 1 : requestedPage;
  const list = page === requestedPage ? first : await ctx.deps.avatars.listPhotos(avatarId, page, 1);
  const photo = list.items[0];
  const back = cb("card", { avatarId });
  if (!photo) {
    await show(ctx, ctx.t.photos.noPhotos, new InlineKeyboard().text(ctx.t.photos.back, back));
    return;
  }
  const t = ctx.t;
  const face =
    photo.hasFace === true
      ? t.photos.faceYes
      : photo.validationStatus === "PENDING"
        ? t.photos.facePending
        : t.photos.faceUnknown;
  const quality = photo.qualityScore === null ? "—" : `${Math.round(photo.qualityScore * 100)}%`;
  const marks = photoMarks(t, photo);
  const caption = [t.photos.viewer(page + 1, list.total, quality, face), ...(marks ? [marks] : [])].join("\n");
  const keyboard = new InlineKeyboard();
  if (page > 0) keyboard.text(t.avatars.prev, cb("photos", { avatarId, page: page - 1 }));
  if (page < list.total - 1) keyboard.text(t.avatars.next, cb("photos", { avatarId, page: page + 1 }));
  keyboard.row();
  // A photo the coach marked goes in one tap; an unmarked one is asked about first.
  if (deletable && marks) keyboard.text(t.coach.deleteNow, cb("photoDeleteConfirm", { photoId: photo.id, page })).row();
  else if (deletable) keyboard.text(t.photos.deletePhoto, cb("photoDelete", { photoId: photo.id, page })).row();
  keyboard.text(t.photos.back, back);

  const key = photo.photoMetadata.thumbnailKey ?? photo.minioKey;
  const object = await ctx.deps.avatars.readObject(key);
  const media = new InputFile(new Uint8Array(await object.arrayBuffer()), `thumb_${photo.uploadOrder}.jpg`);
  const current = ctx.callbackQuery?.message;
  if (current?.photo) {
    await ctx.editMessageMedia({ type: "photo", media, caption }, { reply_markup: keyboard });
  } else {
    await ctx.replyWithPhoto(media, { caption, reply_markup: keyboard });
  }
}
