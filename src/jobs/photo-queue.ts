import { messagesFor } from "../bot/locales";
import { type BatchLine, renderUploadProgress } from "../bot/screens/upload-progress";
import type { Language } from "../domain/entities";
import { coachedPhoto, photoAdvice } from "../domain/likeness-coach";
import { PHOTO_CHECK } from "../domain/photo-check-lifecycle";
import { pauseForHandOffs } from "../durable-objects/hand-offs";
import { createFaceDetector } from "../fal/face-detector";
import { createAttributesCheck } from "../fal/photo-attributes";
import { photoImages } from "../images/prepare";
import { errorFields, log } from "../log";
import { AvatarService } from "../services/avatar-service";
import { type PhotoJob, type PhotoOutcome, PhotoService } from "../services/photo-service";
import { downloadTelegramFile } from "../telegram/files";
import type { Room } from "./room";

const JOB_PREFIX = "job:";
/** During a long batch, the progress message is refreshed at most this often. */
const PROGRESS_REFRESH_MS = 3_000;

interface QueuedPhoto {
  job: PhotoJob;
  attempts: number;
  /** Tries that ended in a throw (ours), as against ones cut off by a reset. */
  failures?: number;
}

/**
 * What the status message reports. `lines` and `nextIndex` span the whole upload session (until
 * Done, or the status is opened afresh), so a refusal from one batch stays readable after the next
 * and "Photo 3" is the third thing the user sent; `open` and `startedAt` are the current batch's.
 */
interface BatchState {
  lines: BatchLine[];
  open: boolean;
  startedAt: number;
  nextIndex: number;
}

interface ProgressState {
  chatId: number;
  /** The one live status message of this avatar; any other is retired when it moves. */
  messageId?: number;
  language: Language;
  /** The newest message id the user sent here: a status older than it is no longer the last in the chat. */
  latestSeen?: number;
  /** The text the status shows now, so an unchanged one is not edited again. */
  shown?: string;
}

export type FinishResult =
  | { kind: "ready"; count: number; name: string }
  | { kind: "need_more"; missing: number }
  | { kind: "busy" }
  | { kind: "stale" };

/**
 * The photos a user sends to one avatar: queued in the workspace's storage as they arrive (never
 * waiting for the photo being checked), checked one at a time from the alarm, and reported in one
 * progress message per batch. A photo that fails its check twice is refused, so it can never hold
 * up the ones behind it.
 */
export class PhotoQueue {
  constructor(private readonly room: Room) {}

  /** Queues a photo and moves the batch's alarm; synchronous storage, so it never waits for a check. */
  async enqueue(job: PhotoJob, language: Language): Promise<void> {
    const { kv } = this.room.storage;
    const batch = this.#batch();
    const opening = !batch.open;
    if (opening) {
      Object.assign(batch, { open: true, startedAt: Date.now() });
      kv.put("batch", batch);
    }
    const progress = kv.get<ProgressState>("progress");
    if (
      progress?.chatId !== job.chatId ||
      progress.language !== language ||
      (progress.latestSeen ?? 0) < job.messageId
    ) {
      kv.put("progress", {
        ...progress,
        chatId: job.chatId,
        language,
        latestSeen: Math.max(progress?.latestSeen ?? 0, job.messageId),
      });
    }
    // Keyed by message id, which only grows within a chat: photos are checked, and numbered, in the
    // order the user sent them.
    kv.put(`${JOB_PREFIX}${String(job.messageId).padStart(15, "0")}:${job.id}`, {
      job,
      attempts: 0,
    } satisfies QueuedPhoto);
    // The first word back, while the batch window is still open: "typing…" in the chat header.
    // Not awaited, so the chat's next update never waits on Telegram for it.
    if (opening) void this.room.notifier.action(job.chatId, "typing");
    const window = this.room.settings.photoBatchWindowMs;
    await this.room.wake(
      "photos",
      Math.min(Date.now() + window, batch.startedAt + Math.max(window, PHOTO_CHECK.batchWaitMs)),
      true,
      window * PHOTO_CHECK.windowSlack,
    );
  }

  pendingCount(): number {
    return [...this.room.storage.kv.list({ prefix: JOB_PREFIX })].length;
  }

  /** Checks every queued photo, oldest first, then rechecks faces and closes the batch. */
  async drain(): Promise<void> {
    let lastRefresh = Date.now();
    let announced = false;
    const { kv } = this.room.storage;
    for (;;) {
      const next = kv.list<QueuedPhoto>({ prefix: JOB_PREFIX, limit: 1 })[Symbol.iterator]().next();
      if (next.done) break;
      if (!announced) {
        // "Checking 15 photos…" at the bottom of the chat before the first check, not after the last.
        await this.#showProgress(true);
        announced = true;
        lastRefresh = Date.now();
      }
      const [key, queued] = next.value;
      const attempts = queued.attempts + 1;
      kv.put(key, { ...queued, attempts });
      let outcome: PhotoOutcome;
      if (attempts > PHOTO_CHECK.attempts) {
        const failures = queued.failures ?? 0;
        log("error", "photo_given_up", {
          avatarId: queued.job.avatarId,
          jobId: queued.job.id,
          attempts: queued.attempts,
          failures,
        });
        outcome = { kind: "refused", reason: failures >= PHOTO_CHECK.attempts ? "failed" : "unreadable" };
      } else {
        try {
          outcome = await this.#service().process(queued.job);
        } catch (error) {
          // Left queued with its count: the next try, or the refusal after it, is the next loop's.
          log("warn", "photo_check_failed", {
            avatarId: queued.job.avatarId,
            jobId: queued.job.id,
            attempts,
            ...errorFields(error),
          });
          kv.put(key, { ...queued, attempts, failures: (queued.failures ?? 0) + 1 });
          // A dropped download or a storage blip often clears within seconds; an immediate second
          // try would meet the same fault and refuse a good photo.
          if (attempts < PHOTO_CHECK.attempts) await scheduler.wait(PHOTO_CHECK.retryDelayMs);
          continue;
        }
      }
      if (outcome.kind === "refused") await this.room.repo.incrementCounter("photos_refused", outcome.reason);
      const batch = this.#batch();
      batch.lines.push({
        label: { index: batch.nextIndex, ...(queued.job.fileName ? { fileName: queued.job.fileName } : {}) },
        outcome,
      });
      batch.nextIndex += 1;
      kv.put("batch", batch);
      kv.delete(key);
      if (Date.now() - lastRefresh > PROGRESS_REFRESH_MS) {
        await this.#showProgress(false);
        lastRefresh = Date.now();
      }
    }
    const stillPending = await this.#recheckFaces();
    if (this.#batch().open) await this.#showProgress(true);
    kv.put("batch", { ...this.#batch(), open: false });
    if (stillPending) await this.room.wake("recheck", Date.now() + PHOTO_CHECK.recheckEveryMs);
    // After the answers are shown, so the vision check never delays "accepted" or "refused".
    if (await this.#coach()) await this.#showProgress(false);
  }

  /**
   * The likeness coach's vision check (one fal call per photo, ever: a failure is recorded as no
   * attributes, never retried) on accepted photos not yet looked at; their advice lines follow.
   * True when a line of the status changed.
   */
  async #coach(): Promise<boolean> {
    const { repo, avatarId, settings, objects } = this.room;
    if (!settings.falKey) return false;
    const photos = await repo.listPhotos(avatarId, 0, settings.avatar.MAX_PHOTOS_PER_AVATAR);
    const waiting = photos.items
      .filter((photo) => photo.validationStatus === "VALID" && photo.photoMetadata.attributes === undefined)
      .slice(0, PHOTO_CHECK.coachPerRound);
    if (waiting.length === 0) return false;
    const check = createAttributesCheck(settings, PHOTO_CHECK.coachCheckMs);
    const advised = new Map<string, ReturnType<typeof photoAdvice>>();
    for (let i = 0; i < waiting.length; i += PHOTO_CHECK.coachParallel) {
      await Promise.all(
        waiting.slice(i, i + PHOTO_CHECK.coachParallel).map(async (photo) => {
          const key = photo.photoMetadata.processedKey;
          const object = key ? await objects.get(key) : null;
          if (!object) return;
          const seen = await check(await object.arrayBuffer());
          if (seen.kind === "skipped") return;
          if (seen.kind === "failed")
            log("warn", "coach_check_failed", { avatarId, photoId: photo.id, error: seen.error });
          const attributes = seen.kind === "seen" ? seen.attributes : null;
          await repo.setPhotoAttributes(photo.id, attributes);
          advised.set(
            photo.id,
            photoAdvice(coachedPhoto({ ...photo, photoMetadata: { ...photo.photoMetadata, attributes } })),
          );
        }),
      );
    }
    const batch = this.#batch();
    let changed = false;
    for (const line of batch.lines) {
      const advice = line.outcome.kind === "accepted" ? advised.get(line.outcome.photoId) : undefined;
      if (!advice || line.outcome.kind !== "accepted") continue;
      changed ||= advice.join() !== (line.outcome.advice ?? []).join();
      line.outcome = { ...line.outcome, advice };
    }
    if (changed) this.room.storage.kv.put("batch", batch);
    return changed;
  }

  /** The Done button: READY_FOR_TRAINING once enough valid photos are in and nothing is still queued. */
  async finish(userId: string): Promise<FinishResult> {
    if (this.pendingCount() > 0) return { kind: "busy" };
    const { settings } = this.room;
    const avatars = this.#avatars();
    const avatar = await avatars.getOwned(this.room.avatarId, userId);
    if (avatar.status !== "PHOTOS_UPLOADING") return { kind: "stale" };
    if (avatar.photosCount < settings.avatar.MIN_PHOTOS_FOR_TRAINING) {
      return { kind: "need_more", missing: settings.avatar.MIN_PHOTOS_FOR_TRAINING - avatar.photosCount };
    }
    await avatars.transition(avatar, "READY_FOR_TRAINING");
    // The upload session ends: the status message becomes the "ready" screen.
    this.room.storage.kv.delete("progress");
    this.room.storage.kv.delete("batch");
    return { kind: "ready", count: avatar.photosCount, name: avatar.name ?? "" };
  }

  /** Deletes one photo: its row first (closing the gap in upload_order), then its objects. */
  async deletePhoto(photoId: string, refreshStatus = true): Promise<boolean> {
    const photo = await this.room.repo.deletePhoto(photoId, new Date());
    if (!photo) return false;
    const { thumbnailKey, processedKey } = photo.photoMetadata;
    const keys = [photo.minioKey, thumbnailKey, processedKey].filter((k): k is string => Boolean(k));
    try {
      await this.room.objects.delete(keys);
    } catch (error) {
      log("error", "photo_cleanup_failed", { photoId, keys, ...errorFields(error) });
      await this.#scheduleCleanup(keys);
    }
    log("info", "photo_deleted", { avatarId: photo.avatarId, photoId });
    // The status counts what is stored, so it follows at once (in place: the viewer is in front).
    if (refreshStatus) await this.#showProgress(false);
    return true;
  }

  /**
   * Makes `messageId` (the screen the user just tapped) the avatar's status, or sends the status
   * anew at the bottom of the chat without one, and retires the previous status message, so the
   * numbers are only ever shown live in one place. A new upload session starts unless photos are
   * still being checked.
   */
  async openStatus(chatId: number, language: Language, messageId?: number): Promise<void> {
    const { kv } = this.room.storage;
    const previous = kv.get<ProgressState>("progress");
    const batch = this.#batch();
    if (!batch.open) kv.put("batch", { ...batch, lines: [], nextIndex: 1 });
    kv.put("progress", {
      chatId,
      language,
      ...(previous?.latestSeen !== undefined ? { latestSeen: previous.latestSeen } : {}),
      ...(messageId !== undefined ? { messageId } : {}),
    } satisfies ProgressState);
    const current = await this.#showProgress(messageId === undefined);
    if (previous?.messageId !== undefined && previous.messageId !== current) {
      await this.room.notifier.retire(previous.chatId, previous.messageId, messagesFor(language).photos.statusMoved);
    }
  }

  /** Objects whose deletion failed earlier, tried again. */
  async retryCleanup(): Promise<void> {
    const { kv } = this.room.storage;
    const keys = kv.get<string[]>("cleanup") ?? [];
    if (keys.length === 0) return;
    try {
      await this.room.objects.delete(keys);
      kv.delete("cleanup");
      log("info", "photo_cleanup_retried", { avatarId: this.room.avatarId, keys: keys.length });
    } catch (error) {
      log("warn", "photo_cleanup_failed", { avatarId: this.room.avatarId, ...errorFields(error) });
      await this.room.wake("cleanup", Date.now() + 60_000);
    }
  }

  /** Drops everything queued (the avatar is being deleted). */
  discard(): void {
    const { kv } = this.room.storage;
    for (const [key] of kv.list({ prefix: JOB_PREFIX })) kv.delete(key);
    for (const key of ["batch", "progress", "seq"]) kv.delete(key);
  }

  /** Checks faces again on photos kept while fal was failing; true when some still wait. */
  async #recheckFaces(): Promise<boolean> {
    const { repo, avatarId } = this.room;
    if ((await repo.listPendingPhotos(avatarId, 1)).length === 0) return false;
    const outcomes = await this.#service().recheckPending(avatarId, async (id) => {
      await this.deletePhoto(id, false);
    });
    for (const outcome of outcomes) {
      if (outcome.kind === "refused") await repo.incrementCounter("photos_refused", outcome.reason);
    }
    if (outcomes.length > 0) {
      const batch = this.#batch();
      if (!batch.open) Object.assign(batch, { open: true, startedAt: Date.now() });
      for (const outcome of outcomes) {
        const index = outcome.uploadOrder ?? batch.nextIndex++;
        batch.lines.push({ label: { index }, outcome });
      }
      this.room.storage.kv.put("batch", batch);
    }
    return (await repo.listPendingPhotos(avatarId, 1)).length > 0;
  }

  /**
   * Renders the status from what is stored. `toBottom`: it must end up the last message in the
   * chat, so when the user has sent anything since it was posted it is sent anew and the old one
   * retired; otherwise it is edited in place. Returns the status message's id.
   */
  async #showProgress(toBottom: boolean): Promise<number | undefined> {
    const { kv } = this.room.storage;
    const progress = kv.get<ProgressState>("progress");
    if (!progress) return undefined;
    const avatar = await this.room.repo.findAvatar(this.room.avatarId);
    if (!avatar) return progress.messageId;
    const t = messagesFor(progress.language);
    const screen = renderUploadProgress(t, this.room.settings.avatar, {
      avatarId: avatar.id,
      avatarName: avatar.name ?? t.avatars.untitled,
      count: avatar.photosCount,
      pending: this.pendingCount(),
      awaitingFaceCheck: (await this.room.repo.listPendingPhotos(avatar.id, 100)).length,
      lines: this.#batch().lines,
    });
    const inSight = progress.messageId !== undefined && progress.messageId > (progress.latestSeen ?? 0);
    if (inSight && progress.shown === screen.text) return progress.messageId;
    const told =
      toBottom && !inSight
        ? await this.room.notifier.replace(progress.chatId, progress.messageId, screen, t.photos.statusMoved)
        : await this.room.notifier.show(progress.chatId, progress.messageId, screen);
    if (told.kind !== "sent") return progress.messageId;
    // Read again: the user may have sent more while Telegram answered.
    const latest = kv.get<ProgressState>("progress") ?? progress;
    kv.put("progress", { ...latest, messageId: told.messageId, shown: screen.text });
    return told.messageId;
  }

  async #scheduleCleanup(keys: string[]): Promise<void> {
    const { kv } = this.room.storage;
    kv.put("cleanup", [...new Set([...(kv.get<string[]>("cleanup") ?? []), ...keys])]);
    await this.room.wake("cleanup", Date.now() + 60_000);
  }

  #batch(): BatchState {
    return this.room.storage.kv.get<BatchState>("batch") ?? { lines: [], open: false, startedAt: 0, nextIndex: 1 };
  }

  #avatars(): AvatarService {
    return new AvatarService(this.room.repo, this.room.objects, this.room.settings.avatar);
  }

  #service(): PhotoService {
    const { repo, settings, storage, avatarId } = this.room;
    return new PhotoService({
      repo,
      storage: this.room.objects,
      settings: settings.avatar,
      images: photoImages,
      download: (fileId, maxBytes) => downloadTelegramFile(settings, fileId, maxBytes),
      detectFaces: createFaceDetector(settings, PHOTO_CHECK.faceCheckMs),
      nextSequence: async () => {
        const current = storage.kv.get<number>("seq") ?? (await repo.maxPhotoSequence(avatarId));
        storage.kv.put("seq", current + 1);
        return current + 1;
      },
      scheduleCleanup: (keys) => this.#scheduleCleanup(keys),
      pause: pauseForHandOffs,
    });
  }
}
