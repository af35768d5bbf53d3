import { InlineKeyboard } from "grammy";
import { canTrainAgain } from "../../domain/avatar-lifecycle";
import type { Avatar } from "../../domain/entities";
import { cb } from "../callback-data";
import type { Messages } from "../locales";
import { addInPairs, fitLabel } from "./layout";

export function avatarListKeyboard(t: Messages, avatars: Avatar[], page: number, pages: number): InlineKeyboard {
  const keyboard = new InlineKeyboard();
  for (const avatar of avatars) {
    // A name may be 40 characters: it gives way so the status stays readable.
    const label = fitLabel(avatar.name ?? t.avatars.untitled, ` · ${statusLabel(t, avatar)}`);
    keyboard.text(label, cb("card", { avatarId: avatar.id })).row();
  }
  if (pages > 1) {
    if (page > 0) keyboard.text(t.avatars.prev, cb("avatars", { page: page - 1 }));
    if (page < pages - 1) keyboard.text(t.avatars.next, cb("avatars", { page: page + 1 }));
    keyboard.row();
  }
  return addInPairs(keyboard, [
    { label: t.menu.create, data: cb("create") },
    { label: t.menu.back, data: cb("menu") },
  ]);
}

export function avatarCardKeyboard(t: Messages, avatar: Avatar): InlineKeyboard {
  const keyboard = new InlineKeyboard();
  const avatarId = avatar.id;
  if (avatar.status === "DRAFT") keyboard.text(t.avatars.continueSetup, cb("wizardResume", { avatarId })).row();
  if (avatar.status === "PHOTOS_UPLOADING") keyboard.text(t.avatars.continueUpload, cb("upload", { avatarId })).row();
  if (avatar.status === "READY_FOR_TRAINING") keyboard.text(t.training.train, cb("train", { avatarId })).row();
  if (avatar.status === "TRAINING") keyboard.text(t.training.cancel, cb("trainCancel", { avatarId })).row();
  if (canTrainAgain(avatar)) {
    const label = avatar.status === "ERROR" ? t.training.tryAgain : t.flow.trainAgain;
    keyboard.text(label, cb("trainRetry", { avatarId })).row();
  }
  if (avatar.status === "COMPLETED") {
    keyboard.text(t.training.generate, cb("generate", { avatarId })).row();
    keyboard.text(t.generate.gallery, cb("gallery", { avatarId, page: 0 })).row();
  }
  if (avatar.photosCount > 0) keyboard.text(t.photos.view, cb("photos", { avatarId, page: 0 })).row();
  if (avatar.status !== "TRAINING") keyboard.text(t.avatars.delete, cb("delete", { avatarId })).row();
  return keyboard.text(t.avatars.backToList, cb("avatars", { page: 0 }));
}

export function deleteConfirmKeyboard(t: Messages, avatarId: string): InlineKeyboard {
  return addInPairs(new InlineKeyboard(), [
    { label: t.avatars.yesDelete, data: cb("deleteConfirm", { avatarId }) },
    { label: t.avatars.noKeep, data: cb("card", { avatarId }) },
  ]);
}

/** The avatar's status in words; a cancelled training reads as such, not as a cancelled avatar. */
export function statusLabel(t: Messages, avatar: Avatar): string {
  return avatar.status === "CANCELLED" && avatar.trainingStartedAt !== null
    ? t.flow.trainingCancelledStatus
    : t.status[avatar.status];
}
