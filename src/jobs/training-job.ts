import { InlineKeyboard } from "grammy";
import { cb } from "../bot/callback-data";
import { type Messages, messagesFor } from "../bot/locales";
import { notEnoughScreen } from "../bot/screens/credits";
import { renderTrainingOutcome, renderTrainingProgress } from "../bot/screens/training";
import type { Avatar, Language } from "../domain/entities";
import type { TrainingResult } from "../domain/ports";
import { trainingPrice } from "../domain/prices";
import { TRAINING_START } from "../domain/training-lifecycle";
import { FalTrainer } from "../fal/trainer";
import { errorFields, log } from "../log";
import { jobLimitFor } from "../services/access";
import { AvatarService } from "../services/avatar-service";
import { CreditService, type Settlement } from "../services/credit-service";
import { TrainingService } from "../services/training-service";
import { trainingDataLink } from "../storage/signed-urls";
import type { Screen } from "./notify";
import type { Room } from "./room";

const STATE_KEY = "training";

/**
 * What the workspace keeps about the training it follows: where its status message is, and the
 * start in progress. "starting": the user tapped Start and the archive is being built and sent.
 */
interface TrainingState {
  chatId: number;
  messageId?: number;
  language: Language;
  phase: "starting" | "running" | "idle";
  requestedAt?: number;
  attempts?: number;
  /** The run being started, as the credits ledger names it, and whose credits pay for it. */
  trainingId?: string;
  payer?: number;
  /** The start counted against MAX_TRAININGS_PER_DAY, given back if fal never ran it. */
  claimId?: string;
}

/** The user's MAX_TRAININGS_PER_DAY is reached; one more fits at `retryAt` (epoch ms). */
export interface TrainingLimited {
  kind: "limited";
  max: number;
  retryAt: number;
}

/**
 * A training, from the Start tap to the outcome in the chat. The avatar's status is the job's
 * state (avatar-lifecycle.ts); the start has a deadline and a bounded number of tries, the run has
 * TRAINING_TIMEOUT, and the cron sweep ends whatever outlives them.
 */
export class TrainingJobs {
  constructor(private readonly room: Room) {}

  async start(
    userId: string,
    chatId: number,
    messageId: number,
    language: Language,
    payer?: number,
  ): Promise<"accepted" | "stale" | "busy" | "insufficient" | TrainingLimited> {
    const avatar = await this.#avatars().getOwned(this.room.avatarId, userId);
    if (avatar.status !== "READY_FOR_TRAINING") return "stale";
    const current = this.#state();
    if (current?.phase === "starting") return "busy";
    // Counted at the tap, atomically per user, so taps on several avatars cannot all pass; in a
    // private chat the chat is the user (an admin has no limit).
    const limit = jobLimitFor(this.room.settings, chatId, "training");
    const claimId = limit ? crypto.randomUUID() : undefined;
    if (limit && claimId) {
      const start = { id: claimId, userId, kind: "training" as const, startedAt: new Date() };
      const claim = await this.room.repo.claimJobStart(start, limit);
      if (!claim.claimed) {
        await this.room.repo.incrementCounter("limit_hits", "training");
        return { kind: "limited", max: limit.max, retryAt: claim.retryAt.getTime() };
      }
    }
    const trainingId = crypto.randomUUID();
    // The intent first, then the hold: a restart between the two finds the intent and holds again.
    const state: TrainingState = {
      chatId,
      messageId,
      language,
      phase: "starting",
      requestedAt: Date.now(),
      attempts: 0,
      trainingId,
      ...(payer === undefined ? {} : { payer }),
      ...(claimId === undefined ? {} : { claimId }),
    };
    this.#save(state);
    if (!(await this.#hold(avatar, state))) {
      this.#save({ ...state, phase: "idle" });
      await this.#giveBack(state);
      return "insufficient";
    }
    await this.room.wake("training", Date.now());
    return "accepted";
  }

  /** The alarm's round: starts a requested training, or follows the running one. */
  async advance(): Promise<void> {
    const avatar = await this.room.repo.findAvatar(this.room.avatarId);
    const state = this.#state();
    if (!avatar) return;
    if (avatar.status === "READY_FOR_TRAINING" && state?.phase === "starting") return this.#start(avatar, state);
    if (avatar.status !== "TRAINING") return;
    const startedAt = avatar.trainingStartedAt?.getTime() ?? Date.now();
    const service = this.#service();
    if (Date.now() - startedAt > this.room.settings.trainingTimeoutSeconds * 1000) {
      if (avatar.falEndpoint && avatar.falRequestId) {
        await new FalTrainer(this.room.settings).cancel(avatar.falEndpoint, avatar.falRequestId).catch(() => undefined);
      }
      const outcome = await service.finish(avatar, avatar.falRequestId ?? "", {
        kind: "failed",
        reason: "timed_out",
        detail: "stuck past TRAINING_TIMEOUT",
      });
      if (outcome.kind === "finished") await this.#showOutcome(outcome.avatar);
      return;
    }
    const outcome = await service.check(avatar);
    if (outcome.kind === "finished") return this.#showOutcome(outcome.avatar);
    if (outcome.kind === "waiting" && state) {
      await this.#show(renderTrainingProgress(messagesFor(state.language), outcome.avatar, outcome.status, new Date()));
    }
    await this.room.wake("training", Date.now() + this.room.settings.avatar.TRAINING_CHECK_INTERVAL * 1000);
  }

  /**
   * fal's final word, from its webhook: `requestId` is the job fal ran. An avatar whose start was
   * cut off before the request id was recorded takes it from here (the webhook's URL named it).
   */
  async result(requestId: string, result: TrainingResult | null): Promise<void> {
    let avatar = await this.room.repo.findAvatar(this.room.avatarId);
    if (!avatar) return;
    if (avatar.status === "TRAINING" && !avatar.falRequestId) {
      if (!(await this.room.repo.updateAvatarIf(avatar.id, "TRAINING", { falRequestId: requestId }, new Date())))
        return;
      avatar = { ...avatar, falRequestId: requestId };
    }
    // No output attached (fal's payload_error): the queue has it, and the next round fetches it.
    if (!result) return this.room.wake("training", Date.now());
    const outcome = await this.#service().finish(avatar, requestId, result);
    if (outcome.kind === "finished") await this.#showOutcome(outcome.avatar);
  }

  /** The user's cancel; a job fal already finished is completed instead. */
  async cancel(userId: string): Promise<"cancelled" | "finished" | "stale"> {
    const avatar = await this.#avatars().getOwned(this.room.avatarId, userId);
    const outcome = await this.#service().cancel(avatar);
    if (outcome.kind !== "finished") return "stale";
    await this.#showOutcome(outcome.avatar);
    return outcome.avatar.status === "CANCELLED" ? "cancelled" : "finished";
  }

  async #start(avatar: Avatar, state: TrainingState): Promise<void> {
    const t = messagesFor(state.language);
    const attempts = (state.attempts ?? 0) + 1;
    const lapsed = Date.now() - (state.requestedAt ?? 0) > TRAINING_START.deadlineMs;
    if (attempts > TRAINING_START.attempts || lapsed) {
      log("error", "training_start_given_up", { avatarId: avatar.id, attempts: attempts - 1 });
      this.#save({ ...state, phase: "idle" });
      const { released } = await this.#release(state.trainingId);
      await this.#giveBack(state);
      await this.#show({
        text: withReturned(t, t.training.startFailed, released),
        keyboard: startKeyboard(t, avatar.id),
      });
      return;
    }
    if (!(await this.#hold(avatar, state))) {
      this.#save({ ...state, phase: "idle" });
      await this.#giveBack(state);
      await this.#show(await this.#notEnough(t, avatar, state));
      return;
    }
    // Counted before the work: a restart part-way leaves the count behind.
    this.#save({ ...state, attempts });
    let outcome: Awaited<ReturnType<TrainingService["start"]>>;
    try {
      outcome = await this.#service().start(avatar, state.trainingId);
    } catch (error) {
      log("warn", "training_start_failed", { avatarId: avatar.id, attempts, ...errorFields(error) });
      await this.room.wake("training", Date.now() + TRAINING_START.retryMs);
      return;
    }
    this.#save({ ...state, attempts, phase: outcome.kind === "started" ? "running" : "idle" });
    // Nothing runs at fal unless it started: the hold and the counted start go back.
    const { released } = outcome.kind === "started" ? { released: 0 } : await this.#release(state.trainingId);
    if (outcome.kind !== "started") await this.#giveBack(state);
    if (outcome.kind === "started") {
      const queued = { kind: "queued" as const, position: outcome.queuePosition };
      await this.#show(renderTrainingProgress(t, outcome.avatar, queued, new Date()));
      await this.room.wake("training", Date.now() + this.room.settings.avatar.TRAINING_CHECK_INTERVAL * 1000);
    } else if (outcome.kind === "submit_failed") {
      await this.#show({
        text: withReturned(t, t.training.submitFailed(t.reasons[outcome.reason]), released),
        keyboard: startKeyboard(t, avatar.id),
      });
    } else if (outcome.kind === "not_enough_photos") {
      await this.#show({
        text: withReturned(t, t.training.notEnough(outcome.missing), released),
        keyboard: backKeyboard(t),
      });
    }
  }

  /** Holds the training's price for this run; false when the user's credits do not cover it. */
  async #hold(avatar: Avatar, state: TrainingState): Promise<boolean> {
    if (state.payer === undefined || state.trainingId === undefined) return true;
    const price = trainingPrice(this.room.settings.credits, avatar);
    const held = await this.#credits().reserve(state.payer, "training", state.trainingId, price, avatar.id);
    if (!held.applied) log("info", "training_not_covered", { avatarId: avatar.id, price, ...held.balance });
    return held.applied;
  }

  async #notEnough(t: Messages, avatar: Avatar, state: TrainingState): Promise<Screen> {
    const price = trainingPrice(this.room.settings.credits, avatar);
    const { available } = await this.#credits().balance(state.payer ?? 0);
    return notEnoughScreen(t, t.credits.trainingCosts(price, available));
  }

  /** Gives a run's held credits back (a run that held nothing, or was settled, gives nothing). */
  async #release(trainingId: string | undefined): Promise<Settlement> {
    return trainingId ? this.#credits().settle("training", trainingId, 0, 1) : { charged: 0, released: 0 };
  }

  #credits(): CreditService {
    return new CreditService(this.room.repo, this.room.settings.credits);
  }

  /** The outcome arrives as a new message, so it notifies; the progress message gives way to it. */
  async #showOutcome(avatar: Avatar): Promise<void> {
    const state = this.#state();
    this.#save({ ...(state ?? { chatId: 0, language: "en" }), phase: "idle" });
    this.room.unwake("training");
    // A finished training is charged; a failed, cancelled or timed-out one gives its credits back.
    const { trainingId } = avatar.trainingConfig;
    const settled = trainingId
      ? await this.#credits().settle("training", trainingId, avatar.status === "COMPLETED" ? 1 : 0, 1)
      : { charged: 0, released: 0 };
    if (!state?.chatId) return;
    const photos =
      avatar.status === "COMPLETED"
        ? (await this.room.repo.listPhotos(avatar.id, 0, this.room.settings.avatar.MAX_PHOTOS_PER_AVATAR)).items
        : [];
    const told = await this.room.notifier.send(
      state.chatId,
      renderTrainingOutcome(messagesFor(state.language), avatar, settled.released, photos),
    );
    if (told.kind === "sent" && state.messageId !== undefined) {
      await this.room.notifier.remove(state.chatId, state.messageId);
    }
    if (told.kind === "sent") this.#save({ ...state, phase: "idle", messageId: told.messageId });
  }

  /** Progress, edited in place; a failure to show it never stops the training being followed. */
  async #show(screen: Screen): Promise<void> {
    const state = this.#state();
    if (!state?.chatId) return;
    const told = await this.room.notifier.show(state.chatId, state.messageId, screen);
    if (told.kind === "sent" && told.messageId !== state.messageId) this.#save({ ...state, messageId: told.messageId });
  }

  /** A start that never reached fal does not count against the user's daily limit. */
  async #giveBack(state: TrainingState): Promise<void> {
    if (state.claimId) await this.room.repo.releaseJobStart(state.claimId);
  }

  #state(): TrainingState | undefined {
    return this.room.storage.kv.get<TrainingState>(STATE_KEY);
  }

  #save(state: TrainingState): void {
    this.room.storage.kv.put(STATE_KEY, state);
  }

  #avatars(): AvatarService {
    return new AvatarService(this.room.repo, this.room.objects, this.room.settings.avatar);
  }

  #service(): TrainingService {
    const { settings, objects } = this.room;
    return new TrainingService({
      repo: this.room.repo,
      storage: objects,
      avatars: this.#avatars(),
      settings,
      trainer: new FalTrainer(settings),
      linkTo: (key, ttl) => trainingDataLink(settings, objects, key, ttl),
    });
  }
}

/** After a start that did not go through: try again, or go back. */
function startKeyboard(t: ReturnType<typeof messagesFor>, avatarId: string): InlineKeyboard {
  return new InlineKeyboard()
    .text(t.training.start, cb("trainStart", { avatarId }))
    .row()
    .text(t.menu.myAvatars, cb("avatars", { page: 0 }));
}

/** A message about a run that did not go ahead, with what went back to the balance. */
function withReturned(t: Messages, text: string, released: number): string {
  return released > 0 ? `${text}\n\n${t.credits.returned(released)}` : text;
}

function backKeyboard(t: ReturnType<typeof messagesFor>): InlineKeyboard {
  return new InlineKeyboard().text(t.menu.myAvatars, cb("avatars", { page: 0 }));
}
