import { Composer, type InlineKeyboard } from "grammy";
import type { Avatar } from "../../domain/entities";
import { isDomainError } from "../../domain/errors";
import type { BotContext } from "../context";
import { mainMenuKeyboard } from "../keyboards/menu";
import { cancelConfirmKeyboard, genderKeyboard, nameKeyboard, typeKeyboard } from "../keyboards/wizard";
import { escapeHtml } from "../locales";
import { onAction } from "../on-action";
import { answer, disarm, retire, show } from "../render";
import { IDLE, isWizard, type SessionState, type WizardState, type WizardStep } from "../session";

/** The creation wizard: type → gender → name, then the avatar opens for photos. */
export const createAvatarFeature = new Composer<BotContext>();

onAction(createAvatarFeature, "create", async (ctx) => {
  const session = await ctx.deps.session.get();
  if (isWizard(session)) {
    // Two taps on the same "Create" button: the first already turned this message into the live step.
    if (session.messageId !== undefined && session.messageId === ctx.callbackQuery?.message?.message_id) {
      await answer(ctx);
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

// One step back: the choice made there stays until it is chosen again.
onAction(createAvatarFeature, "wizardBack", async (ctx, { avatarId, to }) => {
  const from: WizardStep = to === "selecting_type" ? "selecting_gender" : "waiting_name";
  if (!(await isAt(ctx, avatarId, from))) return;
  const draft = await ctx.deps.avatars.findDraft(avatarId, ctx.user.id);
  await answer(ctx);
  if (draft) await renderStep(ctx, draft, to);
});

onAction(createAvatarFeature, "wizardCancel", async (ctx, { avatarId }) => {
  if (!(await isAt(ctx, avatarId))) return;
  await answer(ctx);
  await wizardCancelPrompt(ctx, avatarId);
});

onAction(createAvatarFeature, "wizardCancelConfirm", async (ctx, { avatarId }) => {
  const avatar = await ctx.deps.avatars.getOwned(avatarId, ctx.user.id);
  if (avatar.status !== "DRAFT") {
    // A confirmation left from before: say plainly what became of the avatar, and change nothing.
    const text = avatar.status === "CANCELLED" ? ctx.t.flow.alreadyCancelled : ctx.t.flow.alreadyCreated;
    await answer(ctx);
    await show(ctx, `${text}\n\n${ctx.t.menu.title}`, mainMenuKeyboard(ctx.t));
    return;
  }
  await ctx.deps.avatars.cancelCreation(avatarId, ctx.user.id);
  const session = await ctx.deps.session.get();
  const inThisWizard = isWizard(session) && session.avatarId === avatarId;
  if (inThisWizard) await ctx.deps.session.set(IDLE);
  await answer(ctx);
  const shown = await show(ctx, `${ctx.t.wizard.cancelled}\n\n${ctx.t.menu.title}`, mainMenuKeyboard(ctx.t));
  // The step the confirmation was asked over has nothing left to choose.
  if (inThisWizard && session.messageId !== undefined && session.messageId !== shown) {
    await disarm(ctx, session.messageId);
  }
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

// Whatever the user sends during the wizard gets an answer about the step, with the step shown
// again at the bottom; only text at the name step is taken (as the name). Commands other than the
// ones menuFeature knows land here too.
createAvatarFeature.on("message", async (ctx, next) => {
  const session = await ctx.deps.session.get();
  if (!isWizard(session)) return next();
  const draft = await ctx.deps.avatars.findDraft(session.avatarId, ctx.user.id);
  if (!draft) {
    await ctx.deps.session.set(IDLE);
    return next();
  }
  const text = ctx.message.text;
  if (session.state === "waiting_name" && text !== undefined && !text.startsWith("/")) {
    await takeName(ctx, session, text);
    return;
  }
  const t = ctx.t.flow;
  const isPhoto = ctx.message.photo !== undefined || ctx.message.document !== undefined;
  const hints: Record<WizardStep, string> = {
    selecting_type: isPhoto ? t.photoTooEarly : t.typeByButtons,
    selecting_gender: isPhoto ? t.photoTooEarly : t.genderByButtons,
    waiting_name: isPhoto ? t.photoBeforeName : t.nameAsText,
  };
  await renderStep(ctx, draft, session.state, hints[session.state]);
});

async function takeName(ctx: BotContext, session: WizardState, text: string): Promise<void> {
  try {
    const avatar = await ctx.deps.avatars.finalizeCreation(session.avatarId, ctx.user.id, text);
    await ctx.deps.session.set({ state: "uploading_photos", avatarId: avatar.id });
    // The name step is over: its Cancel button would only answer that it is out of date.
    if (session.messageId !== undefined) await disarm(ctx, session.messageId);
    const { MIN_PHOTOS_FOR_TRAINING, MAX_PHOTOS_PER_AVATAR, MAX_PHOTO_SIZE, MIN_PHOTO_RESOLUTION } =
      ctx.deps.settings.avatar;
    const intro = ctx.t.wizard.photosIntro(
      escapeHtml(avatar.name ?? ""),
      MIN_PHOTOS_FOR_TRAINING,
      MAX_PHOTOS_PER_AVATAR,
      MAX_PHOTO_SIZE,
      MIN_PHOTO_RESOLUTION,
    );
    await ctx.reply(intro);
  } catch (error) {
    if (!isDomainError(error, "invalid_name")) throw error;
    const reason = error.message as keyof typeof ctx.t.wizard.nameInvalid;
    const draft = await ctx.deps.avatars.getOwned(session.avatarId, ctx.user.id);
    await renderStep(ctx, draft, "waiting_name", ctx.t.wizard.nameInvalid[reason]);
  }
}

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

/**
 * Shows the step: in place of the tapped message, or, with a `hint` (an answer to something the
 * user sent), as a new message at the bottom. Either way the copy shown last is the live one, and
 * an older copy is retired, so no button in sight answers "out of date".
 */
async function renderStep(ctx: BotContext, avatar: Avatar, step: WizardStep, hint?: string): Promise<void> {
  const t = ctx.t;
  const screens: Record<WizardStep, [string, InlineKeyboard]> = {
    selecting_type: [`${t.wizard.chooseType}\n\n${t.wizard.typeHelp}`, typeKeyboard(t, avatar.id)],
    selecting_gender: [t.wizard.chooseGender, genderKeyboard(t, avatar.id)],
    waiting_name: [t.wizard.askName, nameKeyboard(t, avatar.id)],
  };
  const [text, keyboard] = screens[step];
  const previous = await ctx.deps.session.get();
  const messageId = hint
    ? (await ctx.reply(`${hint}\n\n${text}`, { reply_markup: keyboard })).message_id
    : await show(ctx, text, keyboard);
  const state: SessionState = { state: step, avatarId: avatar.id, ...(messageId ? { messageId } : {}) };
  await ctx.deps.session.set(state);
  if (isWizard(previous) && previous.messageId !== undefined && previous.messageId !== messageId) {
    await retire(ctx, previous.messageId);
  }
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
