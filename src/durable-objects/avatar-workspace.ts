import { DurableObject } from "cloudflare:workers";
import { Api, GrammyError, InlineKeyboard, InputFile } from "grammy";
import { cb } from "../bot/callback-data";
import { escapeHtml, messagesFor } from "../bot/locales";
import { renderTrainingOutcome, renderTrainingProgress } from "../bot/screens/training";
import { type BatchLine, renderUploadProgress } from "../bot/screens/upload-progress";
import { loadSettings, type Settings } from "../config/settings";
import type { Language } from "../db/repository";
import type { AvatarRow, GenerationRow } from "../db/schema";
import { createFaceDetector } from "../fal/face-detector";
import { type AspectRatio, FalGenerator, type GenerationOutput } from "../fal/generator";
import { FalTrainer, type TrainingResult } from "../fal/trainer";
import { trainingDataLink } from "../http/routes/training-data";
import { errorFields, log } from "../log";
import { AvatarService } from "../services/avatar-service";
import { type PhotoJob, PhotoService } from "../services/photo-service";
import { NO_FAL_KEY, TrainingService } from "../services/training-service";
import { generatedKey } from "../storage/keys";
import { downloadTelegramFile } from "../telegram/files";
import { createRepository, createStorage } from "../wiring";

const JOB_PREFIX = "job:";
/** A batch never waits longer than this for stragglers. */
const MAX_BATCH_WAIT_MS = 5000;
/** During a long batch, the progress message is refreshed at most this often. */
const PROGRESS_REFRESH_MS = 10_000;
/** How often a running generation is polled when no webhook has arrived. */
const GENERATION_POLL_MS = 5000;
/** Photos whose face check could not run are checked again after this long. */
const RECHECK_DELAY_MS = 5 * 60_000;

interface BatchState {
  lines: BatchLine[];
  open: boolean;
  startedAt: number;
  nextIndex: number;
}

interface TrainingState {
  chatId: number;
  messageId?: number;
  language: Language;
  phase: "starting" | "running" | "idle";
}

interface ProgressState {
  chatId: number;
  messageId?: number;
  language: Language;
}

export type FinishResult =
  | { kind: "ready"; count: number; name: string }
  | { kind: "need_more"; missing: number }
  | { kind: "busy" }
  | { kind: "stale" };

/**
 * One per avatar. Queues the photos a user sends, in durable storage, and works through them
 * one at a time from its alarm, off the webhook's path; it owns every change to the avatar's
 * photos (adding, deleting, finishing), so the 50-photo cap and dense upload_order hold.
 */
export class AvatarWorkspace extends DurableObject<Env> {
  #tail: Promise<unknown> = Promise.resolve();

  /** Queues a photo and schedules the batch; returns at once. */
  async enqueue(job: PhotoJob, language: Language): Promise<void> {
    await this.#exclusive(async () => {
      const batch = await this.#batch();
      if (!batch.open) Object.assign(batch, { lines: [], open: true, startedAt: Date.now(), nextIndex: 1 });
      const progress = (await this.ctx.storage.get<ProgressState>("progress")) ?? { chatId: job.chatId, language };
      await this.ctx.storage.put({
        [`${JOB_PREFIX}${String(job.receivedAt).padStart(15, "0")}:${job.id}`]: job,
        batch,
        progress: { ...progress, chatId: job.chatId, language },
      });
      const window = loadSettings(this.env).photoBatchWindowMs;
      await this.ctx.storage.setAlarm(
        Math.min(Date.now() + window, batch.startedAt + Math.max(window, MAX_BATCH_WAIT_MS)),
      );
    });
  }

  /** Runs whatever is due (photos, face rechecks, clean-ups, training); runs again by itself if interrupted. */
  override async alarm(): Promise<void> {
    const settings = loadSettings(this.env);
    // Taken synchronously, so an RPC or a second alarm run cannot interleave with this bookkeeping.
    const wakes = this.#wakes();
    // Whatever woke the object, the earliest reason counts as due (an alarm may run a little early).
    const now = Math.max(Date.now(), Math.min(...Object.values(wakes)));
    const due = (kind: string) => (wakes[kind] ?? Number.POSITIVE_INFINITY) <= now;
    this.ctx.storage.kv.put("wakes", Object.fromEntries(Object.entries(wakes).filter(([, at]) => at > now)));
    log("debug", "workspace_alarm", { avatarId: this.#avatarId(), due: Object.keys(wakes).filter(due) });
    if (due("photos") || due("recheck") || (await this.pendingCount()) > 0) await this.#drainPhotos(settings);
    if (due("cleanup")) await this.#retryCleanup();
    if (due("training")) await this.#advanceTraining(settings);
    if (due("generations")) await this.#advanceGenerations(settings);
    await this.#armAlarm();
  }

  async #drainPhotos(settings: Settings): Promise<void> {
    let lastRefresh = Date.now();
    for (;;) {
      const jobs = await this.ctx.storage.list<PhotoJob>({ prefix: JOB_PREFIX, limit: 1 });
      const entry = jobs.entries().next();
      if (entry.done) break;
      const [key, job] = entry.value;
      await this.#exclusive(async () => {
        const outcome = await this.#photoService(settings).process(job);
        if (outcome.kind === "refused")
          await createRepository(this.env).incrementCounter("photos_refused", outcome.reason);
        const batch = await this.#batch();
        batch.lines.push({
          label: { index: batch.nextIndex, ...(job.fileName ? { fileName: job.fileName } : {}) },
          outcome,
        });
        batch.nextIndex += 1;
        await this.ctx.storage.put("batch", batch);
        await this.ctx.storage.delete(key);
      });
      if (Date.now() - lastRefresh > PROGRESS_REFRESH_MS) {
        await this.#showProgress(settings);
        lastRefresh = Date.now();
      }
    }
    await this.#exclusive(async () => {
      const stillPending = await this.#recheckFaces(settings);
      const batch = await this.#batch();
      if (batch.open) await this.#showProgress(settings);
      await this.ctx.storage.put("batch", { ...batch, open: false });
      if (stillPending) await this.#wake("recheck", Date.now() + RECHECK_DELAY_MS);
    });
  }

  /**
   * Registers a reason to wake at `at` and points the alarm at the earliest one. `replace` moves
   * an existing wake of that kind (the batch window slides); otherwise the earlier time wins.
   */
  async #wake(kind: string, at: number, replace = false): Promise<void> {
    const wakes = this.#wakes();
    const current = wakes[kind];
    wakes[kind] = replace || current === undefined ? at : Math.min(current, at);
    this.ctx.storage.kv.put("wakes", wakes);
    await this.#armAlarm();
  }

  #wakes(): Record<string, number> {
    return { ...(this.ctx.storage.kv.get<Record<string, number>>("wakes") ?? {}) };
  }

  async #armAlarm(): Promise<void> {
    const next = Math.min(...Object.values(this.#wakes()));
    if (Number.isFinite(next)) await this.ctx.storage.setAlarm(next);
    else await this.ctx.storage.deleteAlarm();
  }

  /** The Done button: READY_FOR_TRAINING once enough valid photos are in and nothing is still queued. */
  async finish(userId: string): Promise<FinishResult> {
    return this.#exclusive(async () => {
      const settings = loadSettings(this.env);
      const pending = await this.ctx.storage.list({ prefix: JOB_PREFIX, limit: 1 });
      if (pending.size > 0) return { kind: "busy" };
      const repo = createRepository(this.env);
      const avatar = await new AvatarService(repo, createStorage(this.env), settings.avatar).getOwned(
        this.#avatarId(),
        userId,
      );
      if (avatar.status !== "PHOTOS_UPLOADING") return { kind: "stale" };
      if (avatar.photosCount < settings.avatar.MIN_PHOTOS_FOR_TRAINING) {
        return { kind: "need_more", missing: settings.avatar.MIN_PHOTOS_FOR_TRAINING - avatar.photosCount };
      }
      await new AvatarService(repo, createStorage(this.env), settings.avatar).transition(avatar, "READY_FOR_TRAINING");
      await this.ctx.storage.delete("progress");
      return { kind: "ready", count: avatar.photosCount, name: avatar.name ?? "" };
    });
  }

  /**
   * Starts training off the webhook's path: the bot has already shown `messageId` ("preparing…");
   * the alarm builds the archive, submits it to fal and keeps that message up to date.
   */
  async startTraining(
    userId: string,
    chatId: number,
    messageId: number,
    language: Language,
  ): Promise<"accepted" | "stale" | "busy"> {
    return this.#exclusive(async () => {
      const settings = loadSettings(this.env);
      const avatar = await this.#avatars(settings).getOwned(this.#avatarId(), userId);
      if (avatar.status !== "READY_FOR_TRAINING") return "stale";
      const current = await this.ctx.storage.get<TrainingState>("training");
      if (current?.phase === "starting") return "busy";
      await this.ctx.storage.put("training", {
        chatId,
        messageId,
        language,
        phase: "starting",
      } satisfies TrainingState);
      await this.#wake("training", Date.now());
      return "accepted";
    });
  }

  /** fal's webhook for this avatar's training, already verified; applied once. */
  async trainingResult(requestId: string, result: TrainingResult): Promise<void> {
    await this.#exclusive(async () => {
      const settings = loadSettings(this.env);
      const avatar = await createRepository(this.env).findAvatar(this.#avatarId());
      if (!avatar) return;
      const outcome = await this.#training(settings).finish(avatar, requestId, result);
      if (outcome.kind === "finished") await this.#showTrainingOutcome(settings, outcome.avatar);
    });
  }

  /** The user's cancel; a job fal already finished is completed instead. */
  async cancelTraining(userId: string): Promise<"cancelled" | "finished" | "stale"> {
    return this.#exclusive(async () => {
      const settings = loadSettings(this.env);
      const avatar = await this.#avatars(settings).getOwned(this.#avatarId(), userId);
      const outcome = await this.#training(settings).cancel(avatar);
      if (outcome.kind !== "finished") return "stale";
      await this.#showTrainingOutcome(settings, outcome.avatar);
      return outcome.avatar.status === "CANCELLED" ? "cancelled" : "finished";
    });
  }

  /** Queues a generation for this (trained) avatar; the alarm submits it and follows it. */
  async generate(
    userId: string,
    request: {
      chatId: number;
      language: Language;
      prompt: string;
      preset: string | null;
      aspect: AspectRatio;
      count: number;
    },
  ): Promise<{ kind: "queued"; id: string } | { kind: "not_ready" } | { kind: "busy"; max: number }> {
    return this.#exclusive(async () => {
      const settings = loadSettings(this.env);
      const avatar = await this.#avatars(settings).getOwned(this.#avatarId(), userId);
      if (avatar.status !== "COMPLETED" || !avatar.finetuneId) return { kind: "not_ready" };
      const repo = createRepository(this.env);
      if ((await repo.countActiveGenerations(userId)) >= settings.maxConcurrentGenerations) {
        return { kind: "busy", max: settings.maxConcurrentGenerations };
      }
      const generation = await repo.insertGeneration(
        {
          id: crypto.randomUUID(),
          avatarId: avatar.id,
          userId,
          prompt: request.prompt,
          preset: request.preset,
          options: { aspect: request.aspect, count: request.count, chatId: request.chatId, language: request.language },
          seed: crypto.getRandomValues(new Uint32Array(1))[0] ?? 1,
        },
        new Date(),
      );
      log("info", "generation_queued", { avatarId: avatar.id, generationId: generation.id, preset: request.preset });
      await this.#wake("generations", Date.now());
      return { kind: "queued", id: generation.id };
    });
  }

  /** fal's webhook for one of this avatar's generations, already verified; applied once. */
  async generationResult(requestId: string, output: GenerationOutput): Promise<void> {
    await this.#exclusive(async () => {
      const generation = await createRepository(this.env).findGenerationByFalRequest(requestId);
      if (generation) await this.#finishGeneration(loadSettings(this.env), generation, output);
    });
  }

  async #advanceGenerations(settings: Settings): Promise<void> {
    await this.#exclusive(async () => {
      const repo = createRepository(this.env);
      const avatar = await repo.findAvatar(this.#avatarId());
      const generator = new FalGenerator(settings);
      const api = new Api(settings.telegramBotToken, { apiRoot: settings.telegramApiRoot });
      for (const generation of await repo.listActiveGenerations(this.#avatarId())) {
        const options = generation.options as { chatId: number; aspect: AspectRatio; count: number };
        if (!generation.falRequestId) {
          if (!settings.falKey) {
            await this.#finishGeneration(settings, generation, { kind: "failed", reason: NO_FAL_KEY });
            continue;
          }
          if (!avatar?.finetuneId) {
            await this.#finishGeneration(settings, generation, {
              kind: "failed",
              reason: "the avatar has no trained model",
            });
            continue;
          }
          try {
            const requestId = await generator.submit(
              {
                prompt: generation.prompt,
                loraUrl: avatar.finetuneId,
                loraScale: 1,
                aspect: options.aspect,
                count: options.count,
                seed: generation.seed ?? 1,
              },
              `${settings.publicUrl}/fal/webhook`,
            );
            await repo.updateGeneration(generation.id, {
              status: "RUNNING",
              falRequestId: requestId,
              startedAt: new Date(),
            });
            log("info", "generation_submitted", {
              avatarId: generation.avatarId,
              generationId: generation.id,
              requestId,
            });
          } catch (error) {
            await this.#finishGeneration(settings, generation, {
              kind: "failed",
              reason: error instanceof Error ? error.message : String(error),
            });
            continue;
          }
        } else if (
          Date.now() - (generation.startedAt ?? generation.createdAt).getTime() >
          settings.generationTimeoutSeconds * 1000
        ) {
          await this.#finishGeneration(settings, generation, { kind: "failed", reason: "timeout" });
          continue;
        } else {
          try {
            const output = await generator.poll(generation.falRequestId);
            if (output) {
              await this.#finishGeneration(settings, generation, output);
              continue;
            }
          } catch (error) {
            log("warn", "generation_status_unavailable", { generationId: generation.id, ...errorFields(error) });
          }
        }
        await api.sendChatAction(options.chatId, "upload_photo").catch(() => undefined);
      }
      if ((await repo.listActiveGenerations(this.#avatarId())).length > 0) {
        await this.#wake("generations", Date.now() + GENERATION_POLL_MS);
      }
    });
  }

  /** Stores what fal made (never what it flagged), sends it as one album, counts it; or says why not. */
  async #finishGeneration(settings: Settings, generation: GenerationRow, output: GenerationOutput): Promise<void> {
    if (generation.status !== "QUEUED" && generation.status !== "RUNNING") return;
    const repo = createRepository(this.env);
    const options = generation.options as { chatId: number; language: Language };
    const t = messagesFor(options.language ?? "en");
    const api = new Api(settings.telegramBotToken, { apiRoot: settings.telegramApiRoot });
    const again = new InlineKeyboard()
      .text(t.generate.moreLikeThis, cb("genRepeat", { generationId: generation.id }))
      .text(t.generate.anotherStyle, cb("generate", { avatarId: generation.avatarId }))
      .row()
      .text(t.generate.back, cb("card", { avatarId: generation.avatarId }));
    const safe = output.kind === "ok" ? output.images.filter((image) => !image.nsfw) : [];
    if (output.kind === "failed" || safe.length === 0) {
      const reason = output.kind === "failed" ? output.reason : "nsfw";
      await repo.updateGeneration(generation.id, { status: "FAILED", error: reason, completedAt: new Date() });
      log("warn", "generation_failed", { avatarId: generation.avatarId, generationId: generation.id, error: reason });
      const text =
        reason === "nsfw"
          ? t.generate.nsfw
          : t.generate.failed(escapeHtml(reason === "timeout" ? t.generate.timedOut : reason));
      await api.sendMessage(options.chatId, text, { parse_mode: "HTML", reply_markup: again });
      return;
    }
    const storage = createStorage(this.env);
    const stored: Array<{ key: string; bytes: Uint8Array }> = [];
    for (const image of safe) {
      const response = await fetch(image.url);
      if (!response.ok) throw new Error(`fal image download answered ${response.status}`);
      const bytes = new Uint8Array(await response.arrayBuffer());
      const sequence = ((await this.ctx.storage.get<number>("genSeq")) ?? 0) + 1;
      await this.ctx.storage.put("genSeq", sequence);
      const key = generatedKey(generation.userId, generation.avatarId, sequence);
      await storage.put(key, bytes, "image/jpeg");
      stored.push({ key, bytes });
    }
    const caption = generation.prompt.slice(0, 1000);
    let fileIds: string[] = [];
    if (stored.length === 1) {
      const sent = await api.sendPhoto(options.chatId, new InputFile(stored[0]?.bytes as Uint8Array, "gen.jpg"), {
        caption,
        reply_markup: again,
      });
      fileIds = [sent.photo?.at(-1)?.file_id ?? ""];
    } else {
      const album = await api.sendMediaGroup(
        options.chatId,
        stored.map((s, i) => ({
          type: "photo" as const,
          media: new InputFile(s.bytes, `gen_${i + 1}.jpg`),
          ...(i === 0 ? { caption } : {}),
        })),
      );
      fileIds = album.map((m) => ("photo" in m ? (m.photo?.at(-1)?.file_id ?? "") : ""));
      await api.sendMessage(
        options.chatId,
        t.generate.menu(escapeHtml((await repo.findAvatar(generation.avatarId))?.name ?? "")),
        {
          parse_mode: "HTML",
          reply_markup: again,
        },
      );
    }
    await repo.completeGeneration(
      generation.id,
      {
        resultKeys: stored.map((s) => s.key),
        options: {
          ...generation.options,
          fileIds,
          flagged: (output.kind === "ok" ? output.images.length : 0) - safe.length,
        },
      },
      new Date(),
    );
    log("info", "generation_completed", {
      avatarId: generation.avatarId,
      generationId: generation.id,
      images: stored.length,
    });
  }

  /** Cron's nudge: makes sure a training this object owns is being followed. */
  async followTraining(): Promise<void> {
    if (this.#wakes().training === undefined) await this.#wake("training", Date.now());
  }

  async #advanceTraining(settings: Settings): Promise<void> {
    await this.#exclusive(async () => {
      const avatar = await createRepository(this.env).findAvatar(this.#avatarId());
      const state = await this.ctx.storage.get<TrainingState>("training");
      if (!avatar) return;
      const service = this.#training(settings);
      if (avatar.status === "READY_FOR_TRAINING" && state?.phase === "starting") {
        const outcome = await service.start(avatar);
        await this.ctx.storage.put("training", { ...state, phase: outcome.kind === "started" ? "running" : "idle" });
        const t = messagesFor(state.language);
        if (outcome.kind === "started") {
          const queued = { kind: "queued" as const, position: outcome.queuePosition };
          await this.#editTrainingMessage(settings, renderTrainingProgress(t, outcome.avatar, queued, new Date()));
          await this.#wake("training", Date.now() + settings.avatar.TRAINING_CHECK_INTERVAL * 1000);
        } else if (outcome.kind === "submit_failed") {
          const keyboard = new InlineKeyboard().text(t.training.start, cb("trainStart", { avatarId: avatar.id }));
          await this.#editTrainingMessage(settings, {
            text: t.training.submitFailed(escapeHtml(outcome.reason)),
            keyboard,
          });
        } else if (outcome.kind === "not_enough_photos") {
          await this.#editTrainingMessage(settings, {
            text: t.training.notEnough(outcome.missing),
            keyboard: new InlineKeyboard(),
          });
        }
        return;
      }
      if (avatar.status !== "TRAINING") return;
      const startedAt = avatar.trainingStartedAt?.getTime() ?? Date.now();
      if (Date.now() - startedAt > settings.trainingTimeoutSeconds * 1000) {
        if (avatar.falEndpoint && avatar.falRequestId) {
          await new FalTrainer(settings).cancel(avatar.falEndpoint, avatar.falRequestId).catch(() => undefined);
        }
        const outcome = await service.finish(avatar, avatar.falRequestId ?? "", { kind: "failed", reason: "stuck" });
        if (outcome.kind === "finished") await this.#showTrainingOutcome(settings, outcome.avatar);
        return;
      }
      const outcome = await service.check(avatar);
      if (outcome.kind === "finished") {
        await this.#showTrainingOutcome(settings, outcome.avatar);
        return;
      }
      if (outcome.kind === "waiting" && state) {
        await this.#editTrainingMessage(
          settings,
          renderTrainingProgress(messagesFor(state.language), outcome.avatar, outcome.status, new Date()),
        );
      }
      await this.#wake("training", Date.now() + settings.avatar.TRAINING_CHECK_INTERVAL * 1000);
    });
  }

  async #showTrainingOutcome(settings: Settings, avatar: AvatarRow): Promise<void> {
    const state = await this.ctx.storage.get<TrainingState>("training");
    await this.ctx.storage.put("training", { ...(state ?? { chatId: 0, language: "en" }), phase: "idle" });
    const wakes = this.#wakes();
    delete wakes.training;
    this.ctx.storage.kv.put("wakes", wakes);
    if (!state) return;
    await this.#editTrainingMessage(settings, renderTrainingOutcome(messagesFor(state.language), avatar), true);
  }

  /** Edits the training message in place; `fresh` sends the final word as a new message so it notifies. */
  async #editTrainingMessage(
    settings: Settings,
    screen: { text: string; keyboard: InlineKeyboard },
    fresh = false,
  ): Promise<void> {
    const state = await this.ctx.storage.get<TrainingState>("training");
    if (!state?.chatId) return;
    const api = new Api(settings.telegramBotToken, { apiRoot: settings.telegramApiRoot });
    const options = { parse_mode: "HTML" as const, reply_markup: screen.keyboard };
    if (state.messageId !== undefined && !fresh) {
      try {
        await api.editMessageText(state.chatId, state.messageId, screen.text, options);
        return;
      } catch (error) {
        if (error instanceof GrammyError && error.description.includes("message is not modified")) return;
        if (!(error instanceof GrammyError && error.error_code === 400)) throw error;
      }
    }
    if (fresh && state.messageId !== undefined) {
      // The progress message gives way to the outcome, which arrives as a new message.
      await api.deleteMessage(state.chatId, state.messageId).catch(() => undefined);
    }
    const sent = await api.sendMessage(state.chatId, screen.text, options);
    await this.ctx.storage.put("training", { ...state, messageId: sent.message_id });
  }

  #avatars(settings: Settings): AvatarService {
    return new AvatarService(createRepository(this.env), createStorage(this.env), settings.avatar);
  }

  #training(settings: Settings): TrainingService {
    const storage = createStorage(this.env);
    return new TrainingService({
      repo: createRepository(this.env),
      storage,
      avatars: this.#avatars(settings),
      settings,
      trainer: new FalTrainer(settings),
      linkTo: (key, ttl) => trainingDataLink(settings, storage, key, ttl),
    });
  }

  /** Deletes one photo: its row first (closing the gap in upload_order), then its objects. */
  async deletePhoto(photoId: string): Promise<boolean> {
    return this.#exclusive(() => this.#deletePhoto(photoId));
  }

  async #deletePhoto(photoId: string): Promise<boolean> {
    const photo = await createRepository(this.env).deletePhoto(photoId, new Date());
    if (!photo) return false;
    const meta = photo.photoMetadata as { thumbnailKey?: string; processedKey?: string };
    const keys = [photo.minioKey, meta.thumbnailKey, meta.processedKey].filter((k): k is string => Boolean(k));
    try {
      await createStorage(this.env).delete(keys);
    } catch (error) {
      log("error", "photo_cleanup_failed", { photoId, keys, ...errorFields(error) });
      await this.#scheduleCleanup(keys);
    }
    log("info", "photo_deleted", { avatarId: photo.avatarId, photoId });
    return true;
  }

  /** Checks faces again on photos kept while fal was failing; true when some still wait. */
  async #recheckFaces(settings: Settings): Promise<boolean> {
    const repo = createRepository(this.env);
    const avatarId = this.#avatarId();
    if ((await repo.listPendingPhotos(avatarId, 1)).length === 0) return false;
    const outcomes = await this.#photoService(settings).recheckPending(avatarId, async (id) => {
      await this.#deletePhoto(id);
    });
    for (const outcome of outcomes) {
      if (outcome.kind === "refused") await repo.incrementCounter("photos_refused", outcome.reason);
    }
    if (outcomes.length > 0) {
      const batch = await this.#batch();
      if (!batch.open) Object.assign(batch, { lines: [], open: true, startedAt: Date.now(), nextIndex: 1 });
      for (const outcome of outcomes) {
        const index = outcome.uploadOrder ?? batch.nextIndex++;
        batch.lines.push({ label: { index }, outcome });
      }
      await this.ctx.storage.put("batch", batch);
    }
    return (await repo.listPendingPhotos(avatarId, 1)).length > 0;
  }

  /**
   * Before the avatar is deleted: stops a training at fal (best effort) and drops everything
   * queued here, after the piece of work in progress.
   */
  async shutdown(): Promise<void> {
    const settings = loadSettings(this.env);
    const avatar = await createRepository(this.env).findAvatar(this.#avatarId());
    if (avatar?.status === "TRAINING" && avatar.falEndpoint && avatar.falRequestId) {
      await new FalTrainer(settings).cancel(avatar.falEndpoint, avatar.falRequestId).catch((error) => {
        log("warn", "training_cancel_failed", { avatarId: avatar.id, ...errorFields(error) });
      });
    }
    await this.discard();
  }

  /** Drops queued photos before the avatar is deleted; waits for the one in progress. */
  async discard(): Promise<void> {
    await this.#exclusive(async () => {
      const jobs = await this.ctx.storage.list({ prefix: JOB_PREFIX });
      await this.ctx.storage.delete([...jobs.keys(), "batch", "progress", "seq", "wakes", "training"]);
      await this.ctx.storage.deleteAlarm();
    });
  }

  /** How many photos wait in the queue (for tests and the progress line). */
  async pendingCount(): Promise<number> {
    return (await this.ctx.storage.list({ prefix: JOB_PREFIX })).size;
  }

  #photoService(settings: Settings): PhotoService {
    const repo = createRepository(this.env);
    return new PhotoService({
      repo,
      storage: createStorage(this.env),
      settings: settings.avatar,
      download: (fileId, maxBytes) => downloadTelegramFile(settings, fileId, maxBytes),
      detectFaces: createFaceDetector(settings),
      nextSequence: async () => {
        const current = (await this.ctx.storage.get<number>("seq")) ?? (await repo.maxPhotoSequence(this.#avatarId()));
        await this.ctx.storage.put("seq", current + 1);
        return current + 1;
      },
      scheduleCleanup: (keys) => this.#scheduleCleanup(keys),
    });
  }

  async #showProgress(settings: Settings): Promise<void> {
    const progress = await this.ctx.storage.get<ProgressState>("progress");
    if (!progress) return;
    const avatar = await createRepository(this.env).findAvatar(this.#avatarId());
    if (!avatar) return;
    const batch = await this.#batch();
    const t = messagesFor(progress.language);
    const { text, keyboard } = renderUploadProgress(t, settings.avatar, {
      avatarId: avatar.id,
      avatarName: avatar.name ?? t.avatars.untitled,
      count: avatar.photosCount,
      pending: await this.pendingCount(),
      awaitingFaceCheck: (await createRepository(this.env).listPendingPhotos(avatar.id, 100)).length,
      lines: batch.lines,
    });
    const api = new Api(settings.telegramBotToken, { apiRoot: settings.telegramApiRoot });
    const options = { parse_mode: "HTML" as const, reply_markup: keyboard };
    if (progress.messageId !== undefined) {
      try {
        await api.editMessageText(progress.chatId, progress.messageId, text, options);
        return;
      } catch (error) {
        if (error instanceof GrammyError && error.description.includes("message is not modified")) return;
        if (!(error instanceof GrammyError && error.error_code === 400)) throw error;
      }
    }
    const sent = await api.sendMessage(progress.chatId, text, options);
    await this.ctx.storage.put("progress", { ...progress, messageId: sent.message_id });
  }

  async #scheduleCleanup(keys: string[]): Promise<void> {
    const pending = (await this.ctx.storage.get<string[]>("cleanup")) ?? [];
    await this.ctx.storage.put("cleanup", [...new Set([...pending, ...keys])]);
    await this.#wake("cleanup", Date.now() + 60_000);
  }

  async #retryCleanup(): Promise<void> {
    const keys = (await this.ctx.storage.get<string[]>("cleanup")) ?? [];
    if (keys.length === 0) return;
    try {
      await createStorage(this.env).delete(keys);
      await this.ctx.storage.delete("cleanup");
      log("info", "photo_cleanup_retried", { avatarId: this.#avatarId(), keys: keys.length });
    } catch (error) {
      log("warn", "photo_cleanup_failed", { avatarId: this.#avatarId(), ...errorFields(error) });
      await this.#wake("cleanup", Date.now() + 60_000);
    }
  }

  async #batch(): Promise<BatchState> {
    return (await this.ctx.storage.get<BatchState>("batch")) ?? { lines: [], open: false, startedAt: 0, nextIndex: 1 };
  }

  #avatarId(): string {
    const name = this.ctx.id.name;
    if (!name) throw new Error("AvatarWorkspace must be addressed by avatar id");
    return name;
  }

  /** Runs one change at a time; queued calls wait for the one in progress. */
  #exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(work);
    this.#tail = run.catch(() => undefined);
    return run;
  }
}
