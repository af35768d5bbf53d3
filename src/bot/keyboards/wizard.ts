import { InlineKeyboard } from "grammy";
import { AVATAR_GENDERS, AVATAR_TYPES } from "../../domain/avatar";
import { cb } from "../callback-data";
import type { Messages } from "../locales";
import { addInPairs } from "./layout";

export function typeKeyboard(t: Messages, avatarId: string): InlineKeyboard {
  const keyboard = new InlineKeyboard();
  for (const type of AVATAR_TYPES) keyboard.text(t.avatarType[type], cb("wizardType", { avatarId, type })).row();
  return keyboard.text(t.wizard.cancel, cb("wizardCancel", { avatarId }));
}

export function genderKeyboard(t: Messages, avatarId: string): InlineKeyboard {
  const genders = AVATAR_GENDERS.map((gender) => ({
    label: t.gender[gender],
    data: cb("wizardGender", { avatarId, gender }),
  }));
  return addInPairs(new InlineKeyboard(), genders)
    .row()
    .text(t.flow.stepBack, cb("wizardBack", { avatarId, to: "selecting_type" }))
    .text(t.wizard.cancel, cb("wizardCancel", { avatarId }));
}

export function nameKeyboard(t: Messages, avatarId: string): InlineKeyboard {
  return new InlineKeyboard()
    .text(t.flow.stepBack, cb("wizardBack", { avatarId, to: "selecting_gender" }))
    .text(t.wizard.cancel, cb("wizardCancel", { avatarId }));
}

export function cancelConfirmKeyboard(t: Messages, avatarId: string): InlineKeyboard {
  return addInPairs(new InlineKeyboard(), [
    { label: t.wizard.yesCancel, data: cb("wizardCancelConfirm", { avatarId }) },
    { label: t.wizard.noContinue, data: cb("wizardResume", { avatarId }) },
  ]);
}
