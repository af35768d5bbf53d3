import { Composer } from "grammy";
import type { Avatar } from "../../domain/entities";
import { isDomainError } from "../../domain/errors";
import type { BotContext } from "../context";
import { mainMenuKeyboard } from "../keyboards/menu";
import { cancelConfirmKeyboard, genderKeyboard, nameKeyboard, typeKeyboard } from "../keyboards/wizard";
import { escapeHtml } from "../locales";
import { onAction } from "../on-action";
import { answer, show } from "../render";
import { IDLE, isWizard, type SessionState, type WizardStep } from "../session";

/** The creation wizard: type → gender → name, then the avatar opens for photos. */
export const createAvatarFeature = new Composer<BotContext>();

onAction(createAvatarFeature, "create", async (ctx) => {
  const session = await ctx.deps.session.get();
  if (isWizard(session)) {
    // Two taps on the same "Create" button: the first already turned this message into step 1.
    if (session.messageId !== undefined && session.messageId === ctx.callbackQuery?.message?.message_id) {
      await answer(ctx, ctx.t.errors.stale);
      return;
    }
    const draft = await ctx.deps.avatars.findDraft(session.avatarId, ctx.user.id);
    if (draft) {
      await answer(ctx, ctx.t.wizard.resumed);
      await renderStep(ctx, draft, stepFor(draft));
      return;
    }
  }
  const avatar = await ctx.deps.avatars.startCreation(ctx.user.id);
  await answer(ctx);
  await renderStep(ctx, avatar, "selecting_type");
});

onAction(createAvatarFeature, "wizardType", async (ctx, { avatarId, type }) => {
  if (!(await isAt(ctx, avatarId, "selecting_type"))) return;
  const avatar = await ctx.deps.avatars.setType(avatarId, ctx.user.id, type);
  await answer(ctx);
  await renderStep(ctx, avatar, "selecting_gender");
});

onAction(createAvatarFeature, "wizardGender", async (ctx, { avatarId, gender }) => {
  if (!(await isAt(ctx, avatarId, "selecting_gender"))) return;
  const avatar = await ctx.deps.avatars.setGender(avatarId, ctx.user.id, gender);
  await answer(ctx);
  await renderStep(ctx, avatar, "waiting_name");
});

onAction(createAvatarFeature, "wizardCancel", async (ctx, { avatarId }) => {
  if (!(await isAt(ctx, avatarId))) return;
  await answer(ctx);
  await wizardCancelPrompt(ctx, avatarId);
});

onAction(createAvatarFeature, "wizardCancelConfirm", async (ctx, { avatarId }) => {
  if (!(await isAt(ctx, avatarId))) return;
  await ctx.deps.avatars.cancelCreation(avatarId, ctx.user.id);
  await ctx.deps.session.set(IDLE);
  await answer(ctx);
  await show(ctx, `${ctx.t.wizard.cancelled}\n\n${ctx.t.menu.title}`, mainMenuKeyboard(ctx.t));
});

onAction(createAvatarFeature, "wizardResume", async (ctx, { avatarId }) => {
  const avatar = await ctx.deps.avatars.getOwned(avatarId, ctx.user.id);
  if (avatar.status !== "DRAFT") {
    await answer(ctx, ctx.t.errors.stale);
    return;
  }
  await answer(ctx);
  await renderStep(ctx, avatar, stepFor(avatar));
});

createAvatarFeature.on("message:text", async (ctx, next) => {
  const session = await ctx.deps.session.get();
  if (session.state !== "waiting_name" || ctx.message.text.startsWith("/")) return next();
  try {
    const avatar = await ctx.deps.avatars.finalizeCreation(session.avatarId, ctx.user.id, ctx.message.text);
    await ctx.deps.session.set({ state: "uploading_photos", avatarId: avatar.id });
    const { MIN_PHOTOS_FOR_TRAINING, MAX_PHOTOS_PER_AVATAR, MAX_PHOTO_SIZE, MIN_PHOTO_RESOLUTION } =
      ctx.deps.settings.avatar;
    const text = ctx.t.wizard.photosIntro(
      escapeHtml(avatar.name ?? ""),
      MIN_PHOTOS_FOR_TRAINING,
      MAX_PHOTOS_PER_AVATAR,
      MAX_PHOTO_SIZE,
      MIN_PHOTO_RESOLUTION,
    );
    await ctx.reply(text);
  } catch (error) {
    if (!isDomainError(error, "invalid_name")) throw error;
    const reason = error.message as keyof typeof ctx.t.wizard.nameInvalid;
    await ctx.reply(ctx.t.wizard.nameInvalid[reason], { reply_markup: nameKeyboard(ctx.t, session.avatarId) });
  }
});

/** Asks before discarding a draft; used by the cancel button and by /cancel. */
export async function wizardCancelPrompt(ctx: BotContext, avatarId: string): Promise<void> {
  await show(ctx, ctx.t.wizard.confirmCancel, cancelConfirmKeyboard(ctx.t, avatarId));
}

/** The step a draft is at, from what has been chosen so far. */
function stepFor(avatar: Avatar): WizardStep {
  if (!avatar.avatarType) return "selecting_type";
  if (!avatar.gender) return "selecting_gender";
  return "waiting_name";
}

async function renderStep(ctx: BotContext, avatar: Avatar, step: WizardStep): Promise<void> {
  const t = ctx.t;
  const screens: Record<WizardStep, () => Promise<number | undefined>> = {
    selecting_type: () => show(ctx, `${t.wizard.chooseType}\n\n${t.wizard.typeHelp}`, typeKeyboard(t, avatar.id)),
    selecting_gender: () => show(ctx, t.wizard.chooseGender, genderKeyboard(t, avatar.id)),
    waiting_name: () => show(ctx, t.wizard.askName, nameKeyboard(t, avatar.id)),
  };
  const messageId = await screens[step]();
  const state: SessionState = { state: step, avatarId: avatar.id, ...(messageId ? { messageId } : {}) };
  await ctx.deps.session.set(state);
}

/** True when the chat is in this avatar's wizard (at `step`, if given); otherwise answers that the button is stale. */
async function isAt(ctx: BotContext, avatarId: string, step?: WizardStep): Promise<boolean> {
  const session = await ctx.deps.session.get();
  const current = isWizard(session) && session.avatarId === avatarId;
  if (current && (step === undefined || session.state === step)) return true;
  // Ownership first: a foreign or missing id gets "not found", never "stale".
  await ctx.deps.avatars.getOwned(avatarId, ctx.user.id);
  await answer(ctx, ctx.t.errors.stale);
  return false;
}
