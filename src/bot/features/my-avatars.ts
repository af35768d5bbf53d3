import { Composer } from "grammy";
import type { Avatar } from "../../domain/entities";
import { isDomainError } from "../../domain/errors";
import type { BotContext } from "../context";
import { avatarCardKeyboard, avatarListKeyboard, deleteConfirmKeyboard, statusLabel } from "../keyboards/avatars";
import { escapeHtml, formatDate } from "../locales";
import { onAction } from "../on-action";
import { answer, show } from "../render";
import { IDLE } from "../session";

/** "My avatars": the paginated list, each avatar's card, continuing uploads and deletion. */
export const myAvatarsFeature = new Composer<BotContext>();

onAction(myAvatarsFeature, "avatars", async (ctx, { page }) => {
  await answer(ctx);
  await showList(ctx, page);
});

onAction(myAvatarsFeature, "card", async (ctx, { avatarId }) => {
  const avatar = await ctx.deps.avatars.getOwned(avatarId, ctx.user.id);
  await answer(ctx);
  await show(ctx, cardText(ctx, avatar), avatarCardKeyboard(ctx.t, avatar));
});

onAction(myAvatarsFeature, "delete", async (ctx, { avatarId }) => {
  const avatar = await ctx.deps.avatars.getOwned(avatarId, ctx.user.id);
  if (avatar.status === "TRAINING") {
    await answer(ctx, ctx.t.errors.busyTraining, true);
    return;
  }
  await answer(ctx);
  const name = escapeHtml(avatar.name ?? ctx.t.avatars.untitled);
  await show(ctx, ctx.t.avatars.confirmDelete(name), deleteConfirmKeyboard(ctx.t, avatarId));
});

onAction(myAvatarsFeature, "deleteConfirm", async (ctx, { avatarId }) => {
  try {
    await ctx.deps.avatars.deleteAvatar(avatarId, ctx.user.id);
  } catch (error) {
    if (!isDomainError(error, "avatar_not_found")) throw error;
    // Pressed again, or after the avatar went another way: nothing left to delete.
    await answer(ctx, ctx.t.flow.avatarAlreadyDeleted);
    await showList(ctx, 0);
    return;
  }
  const session = await ctx.deps.session.get();
  if ("avatarId" in session && session.avatarId === avatarId) await ctx.deps.session.set(IDLE);
  await answer(ctx, ctx.t.avatars.deleted);
  await showList(ctx, 0);
});

async function showList(ctx: BotContext, page: number): Promise<void> {
  const list = await ctx.deps.avatars.listForUser(ctx.user.id, page);
  if (list.total === 0) {
    await show(ctx, ctx.t.avatars.empty, avatarListKeyboard(ctx.t, [], 0, 1));
    return;
  }
  const lines = list.items.map((avatar) => `• ${summary(ctx, avatar)}`);
  const text = `${ctx.t.avatars.title(list.total, list.page + 1, list.pages)}\n\n${lines.join("\n")}`;
  await show(ctx, text, avatarListKeyboard(ctx.t, list.items, list.page, list.pages));
}

function summary(ctx: BotContext, avatar: Avatar): string {
  const parts = [
    `<b>${escapeHtml(avatar.name ?? ctx.t.avatars.untitled)}</b>`,
    statusLabel(ctx.t, avatar),
    ctx.t.avatars.photos(avatar.photosCount, ctx.deps.settings.avatar.MAX_PHOTOS_PER_AVATAR),
  ];
  if (avatar.status === "TRAINING") parts.push(ctx.t.avatars.training(avatar.trainingProgress));
  parts.push(ctx.t.avatars.created(formatDate(avatar.createdAt, ctx.lang)));
  return parts.join(" · ");
}

function cardText(ctx: BotContext, avatar: Avatar): string {
  const t = ctx.t;
  const photos = t.avatars.photos(avatar.photosCount, ctx.deps.settings.avatar.MAX_PHOTOS_PER_AVATAR);
  const progress = avatar.status === "TRAINING" ? ` · ${t.avatars.training(avatar.trainingProgress)}` : "";
  return t.avatars.card(
    escapeHtml(avatar.name ?? t.avatars.untitled),
    statusLabel(t, avatar),
    avatar.avatarType ? t.avatarType[avatar.avatarType] : "—",
    photos + progress,
    t.avatars.created(formatDate(avatar.createdAt, ctx.lang)),
  );
}
