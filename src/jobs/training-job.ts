import { InlineKeyboard } from "grammy";
import { cb } from "../bot/callback-data";
import { messagesFor } from "../bot/locales";
import { renderTrainingOutcome, renderTrainingProgress } from "../bot/screens/training";
import type { Avatar, Language } from "../domain/entities";
import type { TrainingResult } from "../domain/ports";
import { TRAINING_START } from "../domain/training-lifecycle";
import { FalTrainer } from "../fal/trainer";
import { errorFields, log } from "../log";
import { AvatarService } from "../services/avatar-service";
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
  ): Promise<"accepted" | "stale" | "busy"> {
    const avatar = await this.#avatars().getOwned(this.room.avatarId, userId);
    if (avatar.status !== "READY_FOR_TRAINING") return "stale";
    const current = this.#state();
    if (current?.phase === "starting") return "busy";
    this.#save({ chatId, messageId, language, phase: "starting", requestedAt: Date.now(), attempts: 0 });
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
      await this.#show({ text: t.training.startFailed, keyboard: startKeyboard(t, avatar.id) });
      return;
    }
    // Counted before the work: a restart part-way leaves the count behind.
    this.#save({ ...state, attempts });
    let outcome: Awaited<ReturnType<TrainingService["start"]>>;
    try {
      outcome = await this.#service().start(avatar);
    } catch (error) {
      log("warn", "training_start_failed", { avatarId: avatar.id, attempts, ...errorFields(error) });
      await this.room.wake("training", Date.now() + TRAINING_START.retryMs);
      return;
    }
    this.#save({ ...state, attempts, phase: outcome.kind === "started" ? "running" : "idle" });
    if (outcome.kind === "started") {
      const queued = { kind: "queued" as const, position: outcome.queuePosition };
      await this.#show(renderTrainingProgress(t, outcome.avatar, queued, new Date()));
      await this.room.wake("training", Date.now() + this.room.settings.avatar.TRAINING_CHECK_INTERVAL * 1000);
    } else if (outcome.kind === "submit_failed") {
      await this.#show({
        text: t.training.submitFailed(t.reasons[outcome.reason]),
        keyboard: startKeyboard(t, avatar.id),
      });
    } else if (outcome.kind === "not_enough_photos") {
      await this.#show({ text: t.training.notEnough(outcome.missing), keyboard: backKeyboard(t) });
    }
  }

  /** The outcome arrives as a new message, so it notifies; the progress message gives way to it. */
  async #showOutcome(avatar: Avatar): Promise<void> {
    const state = this.#state();
    this.#save({ ...(state ?? { chatId: 0, language: "en" }), phase: "idle" });
    this.room.unwake("training");
    if (!state?.chatId) return;
    const photos =
      avatar.status === "COMPLETED"
        ? (await this.room.repo.listPhotos(avatar.id, 0, this.room.settings.avatar.MAX_PHOTOS_PER_AVATAR)).items
        : [];
    const told = await this.room.notifier.send(
      state.chatId,
      renderTrainingOutcome(messagesFor(state.language), avatar, photos),
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

function backKeyboard(t: ReturnType<typeof messagesFor>): InlineKeyboard {
  return new InlineKeyboard().text(t.menu.myAvatars, cb("avatars", { page: 0 }));
}
