import { Composer, InlineKeyboard } from "grammy";
import { FAL_PRIORITIES } from "../../domain/avatar";
import { canTrainAgain } from "../../domain/avatar-lifecycle";
import type { Avatar } from "../../domain/entities";
import { trainingPrice } from "../../domain/prices";
import { chooseTrainer, expectedTrainingMinutes, PORTRAIT_MIN_IMAGES } from "../../domain/training-plan";
import { cb } from "../callback-data";
import type { BotContext } from "../context";
import { addInPairs } from "../keyboards/layout";
import { escapeHtml } from "../locales";
import { onAction } from "../on-action";
import { answer, show } from "../render";
import { setSummary } from "../screens/coach";
import { notEnoughScreen } from "../screens/credits";
import { withPreviewButton } from "./preview";

/** The training screen (the priority and what it trades), starting, cancelling and trying again. */
export const trainingFeature = new Composer<BotContext>();

onAction(trainingFeature, "train", async (ctx, { avatarId }) => {
  const avatar = await ready(ctx, avatarId);
  if (!avatar) return;
  await answer(ctx);
  await showScreen(ctx, avatar);
});

onAction(trainingFeature, "trainPriority", async (ctx, { avatarId, priority }) => {
  const avatar = await ready(ctx, avatarId);
  if (!avatar) return;
  const chosen = await ctx.deps.avatars.setTrainingOptions(avatar, { falPriority: priority });
  await answer(ctx);
  await showScreen(ctx, chosen);
});

onAction(trainingFeature, "trainStart", async (ctx, { avatarId }) => {
  const avatar = await ready(ctx, avatarId);
  if (!avatar) return;
  const payer = ctx.from?.id ?? 0;
  const price = trainingPrice(ctx.deps.settings.credits, avatar);
  // Said before anything starts; the workspace's hold decides for real when two starts race.
  if ((await ctx.deps.credits.balance(payer)).available < price) {
    await answer(ctx);
    await showNotEnough(ctx, price);
    return;
  }
  await answer(ctx);
  const messageId = await show(ctx, ctx.t.training.starting(escapeHtml(avatar.name ?? "")), new InlineKeyboard());
  const chatId = ctx.chat?.id ?? ctx.from?.id ?? 0;
  const accepted = await ctx.deps
    .workspace(avatarId)
    .startTraining(ctx.user.id, chatId, messageId ?? 0, ctx.lang, payer);
  if (accepted === "insufficient") await showNotEnough(ctx, price);
  else if (typeof accepted === "object") {
    const keyboard = new InlineKeyboard().text(ctx.t.menu.myAvatars, cb("avatars", { page: 0 }));
    await show(ctx, ctx.t.limits.training(accepted.max, accepted.retryAt - Date.now()), keyboard);
  } else if (accepted !== "accepted") await answer(ctx, ctx.t.errors.stale);
});

async function showNotEnough(ctx: BotContext, price: number): Promise<void> {
  const { available } = await ctx.deps.credits.balance(ctx.from?.id ?? 0);
  const screen = notEnoughScreen(ctx.t, ctx.t.credits.trainingCosts(price, available));
  await show(ctx, screen.text, screen.keyboard);
}

onAction(trainingFeature, "trainCancel", async (ctx, { avatarId }) => {
  const avatar = await ctx.deps.avatars.getOwned(avatarId, ctx.user.id);
  if (avatar.status !== "TRAINING") {
    await answer(ctx, notCancelled(ctx, avatar), true);
    return;
  }
  await answer(ctx);
  await trainCancelPrompt(ctx, avatar);
});

onAction(trainingFeature, "trainCancelConfirm", async (ctx, { avatarId }) => {
  await ctx.deps.avatars.getOwned(avatarId, ctx.user.id);
  const result = await ctx.deps.workspace(avatarId).cancelTraining(ctx.user.id);
  await answer(ctx);
  if (result === "stale") {
    // The training ended before the confirmation was pressed: say how, and leave it as it is.
    const avatar = await ctx.deps.avatars.getOwned(avatarId, ctx.user.id);
    const keyboard = new InlineKeyboard().text(ctx.t.menu.myAvatars, cb("avatars", { page: 0 }));
    await show(ctx, notCancelled(ctx, avatar), keyboard);
    return;
  }
  await ctx.deleteMessage().catch(() => undefined);
});

onAction(trainingFeature, "trainRetry", async (ctx, { avatarId }) => {
  const avatar = await ctx.deps.avatars.getOwned(avatarId, ctx.user.id);
  // A second tap finds it ready already: the training screen is the answer either way.
  if (avatar.status === "READY_FOR_TRAINING") {
    await answer(ctx);
    await showScreen(ctx, avatar);
    return;
  }
  if (!canTrainAgain(avatar)) {
    await answer(ctx, ctx.t.errors.stale);
    return;
  }
  const again = await ctx.deps.avatars.trainAgain(avatar);
  await answer(ctx);
  await showScreen(ctx, again);
});

/** Asks before cancelling the avatar's running training; used by the cancel button and by /cancel. */
export async function trainCancelPrompt(ctx: BotContext, avatar: Avatar): Promise<void> {
  const avatarId = avatar.id;
  await ctx.reply(ctx.t.flow.confirmCancelTraining(escapeHtml(avatar.name ?? ctx.t.avatars.untitled)), {
    reply_markup: addInPairs(new InlineKeyboard(), [
      { label: ctx.t.training.yesCancel, data: cb("trainCancelConfirm", { avatarId }) },
      { label: ctx.t.training.keepTraining, data: cb("card", { avatarId }) },
    ]),
  });
}

/** Why a cancel found nothing to cancel, from what became of the training. */
function notCancelled(ctx: BotContext, avatar: Avatar): string {
  const name = escapeHtml(avatar.name ?? ctx.t.avatars.untitled);
  const texts = ctx.t.flow.notCancelled;
  const status = avatar.status;
  return status === "COMPLETED" || status === "ERROR" || status === "CANCELLED"
    ? texts[status](name)
    : texts.other(name);
}

/** The avatar, when it is the user's and ready to train; otherwise answers that the button is stale. */
async function ready(ctx: BotContext, avatarId: string): Promise<Avatar | null> {
  const avatar = await ctx.deps.avatars.getOwned(avatarId, ctx.user.id);
  if (avatar.status === "READY_FOR_TRAINING") return avatar;
  await answer(ctx, ctx.t.errors.stale);
  return null;
}

async function showScreen(ctx: BotContext, avatar: Avatar): Promise<void> {
  const t = ctx.t;
  const trainer = chooseTrainer(avatar, avatar.photosCount);
  // The number of steps stays the operator's setting (DEFAULT_ITERATIONS): a count users cannot
  // judge is not shown, and the priority is the one choice that says what it trades.
  const text = [
    t.training.title(escapeHtml(avatar.name ?? "")),
    "",
    t.training.explain(avatar.photosCount),
    t.training.expected(expectedTrainingMinutes(trainer, avatar.falIterations)),
    t.credits.trainingPrice(
      trainingPrice(ctx.deps.settings.credits, avatar),
      (await ctx.deps.credits.balance(ctx.from?.id ?? 0)).available,
    ),
    "",
    setSummary(
      t,
      (await ctx.deps.avatars.listPhotos(avatar.id, 0, ctx.deps.settings.avatar.MAX_PHOTOS_PER_AVATAR)).items,
    ),
    "",
    `${t.training.priorityLabel} ${t.training.priority[avatar.falPriority]}`,
    "",
    t.training.priorityHelp(PORTRAIT_MIN_IMAGES),
  ].join("\n");
  const keyboard = new InlineKeyboard();
  // One a row: each label names what it trades, too long to share a phone's width.
  for (const priority of FAL_PRIORITIES) {
    const label = t.training.priority[priority];
    keyboard
      .text(
        priority === avatar.falPriority ? `• ${label}` : label,
        cb("trainPriority", { avatarId: avatar.id, priority }),
      )
      .row();
  }
  keyboard.text(t.training.start, cb("trainStart", { avatarId: avatar.id })).row();
  (await withPreviewButton(ctx, avatar, keyboard)).text(t.avatars.backToList, cb("avatars", { page: 0 }));
  await show(ctx, text, keyboard);
}
