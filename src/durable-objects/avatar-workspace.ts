import { DurableObject } from "cloudflare:workers";
import { loadSettings } from "../config/settings";
import type { Language } from "../domain/entities";
import type { TrainingResult } from "../domain/ports";
import type { GenerationOutput } from "../fal/generator";
import { FalTrainer } from "../fal/trainer";
import {
  GenerationJobs,
  type GenerationRequest,
  type PreviewQueueResult,
  type PreviewRequest,
  paidJobOf,
  type QueueResult,
} from "../jobs/generation-job";
import { ChatNotifier } from "../jobs/notify";
import { type FinishResult, PhotoQueue } from "../jobs/photo-queue";
import type { Room, WakeKind } from "../jobs/room";
import { TrainingJobs, type TrainingLimited } from "../jobs/training-job";
import { errorFields, log } from "../log";
import { CreditService } from "../services/credit-service";
import type { PhotoJob } from "../services/photo-service";
import { createRepository, createStorage } from "../wiring";

export type { FinishResult } from "../jobs/photo-queue";

/** A job cut off by a restart runs again this long after it started. */
const WAKE_LEASE_MS = 60_000;
/** The order an alarm works through what is due. */
const WAKE_ORDER: readonly WakeKind[] = ["photos", "recheck", "cleanup", "training", "generations"];

/**
 * One per avatar: serialises the avatar's work and keeps it in durable storage. The jobs live in
 * src/jobs/ (photos, training, generation, telling the user); this object gives them a room (its
 * storage, its alarm, the Worker's bindings), one lock per job so a photo being checked never
 * holds up a generation, and the alarm that wakes each job when it is due.
 */
export class AvatarWorkspace extends DurableObject<Env> {
  readonly #locks = new Map<string, Promise<unknown>>();
  /** When the alarm is set for (null: not set); undefined until first asked after a start. */
  #armedAt: number | null | undefined;

  /** Queues a photo and schedules the batch; returns at once, whatever is being checked. */
  async enqueue(job: PhotoJob, language: Language): Promise<void> {
    await this.#photos().enqueue(job, language);
  }

  /** Shows the upload status in `messageId` (or anew at the bottom) and retires the previous one. */
  async openStatus(chatId: number, language: Language, messageId?: number): Promise<void> {
    await this.#photos().openStatus(chatId, language, messageId);
  }

  /** How many photos wait in the queue (for the progress line and tests). */
  async pendingCount(): Promise<number> {
    return this.#photos().pendingCount();
  }

  /** The Done button. */
  async finish(userId: string): Promise<FinishResult> {
    return this.#photos().finish(userId);
  }

  async deletePhoto(photoId: string): Promise<boolean> {
    return this.#exclusive("photos", () => this.#photos().deletePhoto(photoId));
  }

  /** Starts training off the webhook's path: the bot has already shown `messageId` ("preparing…"). */
  async startTraining(
    userId: string,
    chatId: number,
    messageId: number,
    language: Language,
    payer?: number,
  ): Promise<"accepted" | "stale" | "busy" | "insufficient" | TrainingLimited> {
    return this.#exclusive("training", () => this.#training().start(userId, chatId, messageId, language, payer));
  }

  /** fal's webhook for this avatar's training, already verified; `null`: fetch the output from the queue. */
  async trainingResult(requestId: string, result: TrainingResult | null): Promise<void> {
    await this.#exclusive("training", () => this.#training().result(requestId, result));
  }

  async cancelTraining(userId: string): Promise<"cancelled" | "finished" | "stale"> {
    return this.#exclusive("training", () => this.#training().cancel(userId));
  }

  /** Cron's nudge: makes sure a training this object owns is being followed. */
  async followTraining(): Promise<void> {
    if (this.#wakes().training === undefined) await this.#wake("training", Date.now());
  }

  /** Cron's sweep: ends this avatar's jobs that are past their deadline, as the alarm would. */
  async sweep(): Promise<void> {
    await this.#exclusive("generations", () => this.#generations().advance());
    await this.#exclusive("training", () => this.#training().advance());
  }

  /** Queues a generation for this (trained) avatar; the alarm submits it and follows it. */
  async generate(userId: string, request: GenerationRequest): Promise<QueueResult> {
    return this.#exclusive("generations", () => this.#generations().queue(this.#avatarId(), userId, request));
  }

  /** Queues the avatar's preview before training (free once); the alarm submits it like a generation. */
  async preview(userId: string, request: PreviewRequest): Promise<PreviewQueueResult> {
    return this.#exclusive("generations", () => this.#generations().queuePreview(this.#avatarId(), userId, request));
  }

  /** fal's webhook for one of this avatar's generations, already verified; `null`: fetch from the queue. */
  async generationResult(generationId: string, requestId: string, output: GenerationOutput | null): Promise<void> {
    await this.#exclusive("generations", () => this.#generations().result(generationId, requestId, output));
  }

  /**
   * Runs whatever is due. Each due wake is first pushed out by a lease, and forgotten only once
   * its work has finished without asking to be woken again; so a restart part-way redoes the work
   * when the lease ends, and a job that re-arms itself keeps its new time.
   */
  override async alarm(): Promise<void> {
    // The alarm that woke us is spent.
    this.#armedAt = null;
    const wakes = this.#wakes();
    // The earliest reason counts as due whatever woke the object (an alarm may run a little early).
    const now = Math.max(Date.now(), Math.min(...Object.values(wakes)));
    const photosQueued = this.#photos().pendingCount() > 0;
    for (const kind of WAKE_ORDER) {
      const at = wakes[kind];
      if (!((at !== undefined && at <= now) || (kind === "photos" && photosQueued))) continue;
      const lease = Date.now() + WAKE_LEASE_MS;
      this.ctx.storage.kv.put("wakes", { ...this.#wakes(), [kind]: lease });
      try {
        await this.#exclusive(kind === "recheck" ? "photos" : kind, () => this.#run(kind));
      } catch (error) {
        log("error", "workspace_job_failed", { avatarId: this.#avatarId(), job: kind, ...errorFields(error) });
      }
      const current = this.#wakes();
      if (current[kind] === lease) {
        delete current[kind];
        this.ctx.storage.kv.put("wakes", current);
      }
    }
    await this.#armAlarm();
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

  /** The avatar goes with its unfinished work: the credits held for that work go back to the user. */
  async #releaseHolds(): Promise<void> {
    const settings = loadSettings(this.env);
    const repo = createRepository(this.env);
    const trainingId = (await repo.findAvatar(this.#avatarId()))?.trainingConfig.trainingId;
    const credits = new CreditService(repo, settings.credits);
    const starting = this.ctx.storage.kv.get<{ trainingId?: string }>("training")?.trainingId;
    for (const id of new Set([trainingId, starting])) if (id) await credits.settle("training", id, 0, 1);
    for (const generation of await repo.listActiveGenerations(this.#avatarId())) {
      await credits.settle(paidJobOf(generation), generation.id, 0, 1);
    }
  }

  /** Drops queued photos and every wake before the avatar is deleted; waits for the photo in progress. */
  async discard(): Promise<void> {
    await this.#releaseHolds();
    await this.#exclusive("photos", async () => {
      this.#photos().discard();
      for (const key of ["wakes", "training"]) this.ctx.storage.kv.delete(key);
      await this.ctx.storage.deleteAlarm();
      this.#armedAt = null;
    });
  }

  async #run(kind: WakeKind): Promise<void> {
    switch (kind) {
      case "photos":
      case "recheck":
        return this.#photos().drain();
      case "cleanup":
        return this.#photos().retryCleanup();
      case "training":
        return this.#training().advance();
      case "generations":
        return this.#generations().advance();
    }
  }

  #room(): Room {
    const settings = loadSettings(this.env);
    return {
      avatarId: this.#avatarId(),
      settings,
      storage: this.ctx.storage,
      repo: createRepository(this.env),
      objects: createStorage(this.env),
      notifier: new ChatNotifier(settings),
      wake: (kind, at, replace, slackMs) => this.#wake(kind, at, replace, slackMs),
      unwake: (kind) => {
        const wakes = this.#wakes();
        delete wakes[kind];
        this.ctx.storage.kv.put("wakes", wakes);
      },
    };
  }

  #photos(): PhotoQueue {
    return new PhotoQueue(this.#room());
  }

  #training(): TrainingJobs {
    return new TrainingJobs(this.#room());
  }

  #generations(): GenerationJobs {
    return new GenerationJobs(this.#room());
  }

  /**
   * Registers a reason to wake at `at` and points the alarm at the earliest one. `replace` moves
   * an existing wake of that kind (the batch window slides); otherwise the earlier time wins.
   */
  async #wake(kind: WakeKind, at: number, replace = false, slackMs = 0): Promise<void> {
    const wakes = this.#wakes();
    const current = wakes[kind];
    // A wake already set a little earlier stays as it is: a burst of photos then moves the alarm
    // once every `slackMs`, not once a photo (each move is a storage write the next update waits behind).
    if (replace && current !== undefined && current > Date.now() && current <= at && at - current <= slackMs) return;
    wakes[kind] = replace || current === undefined ? at : Math.min(current, at);
    this.ctx.storage.kv.put("wakes", wakes);
    await this.#armAlarm();
  }

  #wakes(): Partial<Record<WakeKind, number>> {
    return { ...(this.ctx.storage.kv.get<Partial<Record<WakeKind, number>>>("wakes") ?? {}) };
  }

  async #armAlarm(): Promise<void> {
    const next = Math.min(...Object.values(this.#wakes()));
    // Known after the first look (and kept up to date here), so an unchanged alarm costs no write.
    this.#armedAt ??= await this.ctx.storage.getAlarm();
    if (Number.isFinite(next)) {
      if (this.#armedAt === next) return;
      await this.ctx.storage.setAlarm(next);
      this.#armedAt = next;
    } else if (this.#photos().pendingCount() === 0) {
      await this.ctx.storage.deleteAlarm();
      this.#armedAt = null;
    }
  }

  #avatarId(): string {
    const name = this.ctx.id.name;
    if (!name) throw new Error("AvatarWorkspace must be addressed by avatar id");
    return name;
  }

  /** Runs one piece of a job's work at a time; other jobs' work does not wait for it. */
  #exclusive<T>(job: string, work: () => Promise<T>): Promise<T> {
    const run = (this.#locks.get(job) ?? Promise.resolve()).then(work);
    this.#locks.set(
      job,
      run.catch(() => undefined),
    );
    return run;
  }
}
