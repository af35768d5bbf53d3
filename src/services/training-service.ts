import type { Settings } from "../config/settings";
import type { Avatar } from "../domain/entities";
import { type FailureReason, reasonForStatus } from "../domain/failure-reason";
import type { ObjectStorage } from "../domain/object-storage";
import {
  FalRequestError,
  FalUnavailable,
  type Trainer,
  type TrainingResult,
  type TrainingStatus,
} from "../domain/ports";
import type { Repository } from "../domain/repository";
import { trainingZipKey } from "../domain/storage-keys";
import { planTraining } from "../domain/training-plan";
import { errorFields, log } from "../log";
import type { AvatarService } from "./avatar-service";
import { buildTrainingZip } from "./training-data";

/** Logged when the operator has not set FAL_KEY: nothing is sent to fal without it. */
export const NO_FAL_KEY = "this bot has no fal.ai key configured (FAL_KEY)";

/** How long the link to the training archive stays valid for fal (it may wait in fal's queue first). */
export const TRAINING_DATA_LINK_TTL_SECONDS = 24 * 3600;

export type StartOutcome =
  | { kind: "started"; avatar: Avatar; queuePosition: number }
  | { kind: "not_enough_photos"; missing: number }
  | { kind: "submit_failed"; reason: FailureReason }
  | { kind: "stale" };

export type CheckOutcome =
  | { kind: "waiting"; status: TrainingStatus; avatar: Avatar }
  | { kind: "finished"; avatar: Avatar }
  | { kind: "unavailable" }
  | { kind: "not_training" };

export interface TrainingDeps {
  repo: Repository;
  storage: ObjectStorage;
  avatars: AvatarService;
  settings: Settings;
  trainer: Trainer;
  /** A time-limited URL fal can download the archive from. */
  linkTo: (key: string, ttlSeconds: number) => Promise<string>;
  now?: () => Date;
}

/** The spec's TrainingService: archive the crops, submit to fal, follow the job, finish honestly. */
export class TrainingService {
  constructor(private readonly deps: TrainingDeps) {}

  /** `trainingId` names the run in the credits ledger; it is kept in training_config for the settlement. */
  async start(avatar: Avatar, trainingId?: string): Promise<StartOutcome> {
    const { repo, storage, settings } = this.deps;
    const { avatarType } = avatar;
    if (avatar.status !== "READY_FOR_TRAINING" || !avatarType) return { kind: "stale" };
    if (!settings.falKey) {
      log("error", "training_submit_failed", { avatarId: avatar.id, error: NO_FAL_KEY });
      return { kind: "submit_failed", reason: "not_configured" };
    }
    const photos = (await repo.listPhotos(avatar.id, 0, settings.avatar.MAX_PHOTOS_PER_AVATAR)).items.filter(
      (p) => p.validationStatus === "VALID",
    );
    const missing = settings.avatar.MIN_PHOTOS_FOR_TRAINING - photos.length;
    if (missing > 0) return { kind: "not_enough_photos", missing };

    const key = trainingZipKey(avatar.userId, avatar.id);
    const zip = await buildTrainingZip(storage, photos);
    await storage.put(key, zip.bytes, "application/zip");
    const link = await this.deps.linkTo(key, TRAINING_DATA_LINK_TTL_SECONDS);
    const plan = planTraining(
      {
        avatarType,
        falPriority: avatar.falPriority,
        falIterations: avatar.falIterations,
        triggerWord: avatar.triggerWord,
      },
      photos.length,
      link,
    );

    // The intent, recorded before fal is called (fal's queue has no idempotency key): an avatar in
    // TRAINING without a request id is never submitted again; fal's webhook, whose URL names the
    // avatar, or the training's deadline settles it.
    const now = this.#now();
    const { images_data_url: _link, ...input } = plan.input;
    let intent: Avatar;
    try {
      intent = await this.deps.avatars.transition(avatar, "TRAINING", {
        falRequestId: null,
        falEndpoint: plan.endpoint,
        finetuneId: null,
        trainingError: null,
        trainingProgress: 0,
        trainingStartedAt: now,
        trainingCompletedAt: null,
        lastStatusCheckAt: now,
        trainingConfig: {
          endpoint: plan.endpoint,
          input,
          loraRank: avatar.loraRank,
          photos: zip.names.length,
          ...(trainingId === undefined ? {} : { trainingId }),
        },
        avatarData: { ...avatar.avatarData, trainingData: { key, createdAt: now.getTime(), bytes: zip.bytes.length } },
      });
    } catch (error) {
      log("info", "training_start_stale", { avatarId: avatar.id, ...errorFields(error) });
      return { kind: "stale" };
    }

    let requestId: string;
    let queuePosition: number;
    try {
      ({ requestId, queuePosition } = await this.deps.trainer.submit(
        plan,
        `${settings.publicUrl}/fal/webhook?avatar=${avatar.id}`,
      ));
    } catch (error) {
      const reason =
        error instanceof FalRequestError
          ? reasonForStatus(error.status)
          : error instanceof FalUnavailable
            ? "busy"
            : "unknown";
      log("error", "training_submit_failed", { avatarId: avatar.id, ...errorFields(error) });
      // fal refused it, so nothing runs there: the avatar is ready to train again.
      await this.deps.avatars
        .transition(intent, "READY_FOR_TRAINING", { falEndpoint: null, trainingStartedAt: null })
        .catch(() => undefined);
      return { kind: "submit_failed", reason };
    }

    if (!(await this.deps.repo.updateAvatarIf(avatar.id, "TRAINING", { falRequestId: requestId }, this.#now()))) {
      // The avatar changed under us (deleted, cancelled): do not leave a job running at fal.
      await this.deps.trainer.cancel(plan.endpoint, requestId).catch(() => undefined);
      log("warn", "training_start_abandoned", { avatarId: avatar.id, requestId });
      return { kind: "stale" };
    }
    log("info", "training_started", {
      avatarId: avatar.id,
      userId: avatar.userId,
      finetuneId: requestId,
      endpoint: plan.endpoint,
    });
    return { kind: "started", avatar: { ...intent, falRequestId: requestId }, queuePosition };
  }

  /** Asks fal how the job is doing; finishes the avatar when fal is done. */
  async check(avatar: Avatar): Promise<CheckOutcome> {
    if (avatar.status !== "TRAINING" || !avatar.falRequestId || !avatar.falEndpoint) return { kind: "not_training" };
    const now = this.#now();
    let status: TrainingStatus;
    try {
      status = await this.deps.trainer.status(avatar.falEndpoint, avatar.falRequestId);
    } catch (error) {
      log("warn", "training_status_unavailable", { avatarId: avatar.id, ...errorFields(error) });
      await this.deps.repo.updateAvatarIf(avatar.id, "TRAINING", { lastStatusCheckAt: now }, now);
      if (error instanceof FalRequestError && error.status === 404) {
        return this.finish(avatar, avatar.falRequestId, {
          kind: "failed",
          reason: "lost",
          detail: "fal no longer knows this training",
        });
      }
      return { kind: "unavailable" };
    }
    if (status.kind === "completed") {
      let result: TrainingResult;
      try {
        result = await this.deps.trainer.result(avatar.falEndpoint, avatar.falRequestId);
      } catch (error) {
        log("warn", "training_result_unavailable", { avatarId: avatar.id, ...errorFields(error) });
        return { kind: "unavailable" };
      }
      return this.finish(avatar, avatar.falRequestId, result);
    }
    const progress =
      status.kind === "running" && status.progress !== null ? Math.min(99, status.progress) : avatar.trainingProgress;
    await this.deps.repo.updateAvatarIf(
      avatar.id,
      "TRAINING",
      { trainingProgress: progress, lastStatusCheckAt: now },
      now,
    );
    log("debug", "training_progress", { avatarId: avatar.id, progress, status: status.kind });
    return { kind: "waiting", status, avatar: { ...avatar, trainingProgress: progress, lastStatusCheckAt: now } };
  }

  /** Applies fal's final word once; a second delivery, or one for another request, changes nothing. */
  async finish(avatar: Avatar, requestId: string, result: TrainingResult): Promise<CheckOutcome> {
    if (avatar.status !== "TRAINING" || (avatar.falRequestId ?? "") !== requestId) return { kind: "not_training" };
    const now = this.#now();
    const duration = avatar.trainingStartedAt
      ? Math.round((now.getTime() - avatar.trainingStartedAt.getTime()) / 1000)
      : null;
    try {
      if (result.kind === "ok") {
        const done = await this.deps.avatars.transition(avatar, "COMPLETED", {
          finetuneId: result.loraUrl,
          trainingProgress: 100,
          trainingCompletedAt: now,
          lastStatusCheckAt: now,
          trainingConfig: { ...avatar.trainingConfig, configFileUrl: result.configUrl },
        });
        log("info", "training_completed", { avatarId: avatar.id, finetuneId: requestId, durationSeconds: duration });
        return { kind: "finished", avatar: done };
      }
      const failed = await this.deps.avatars.transition(avatar, "ERROR", {
        trainingError: result.reason,
        trainingCompletedAt: now,
        lastStatusCheckAt: now,
      });
      log("error", "training_failed", {
        avatarId: avatar.id,
        finetuneId: requestId,
        reason: result.reason,
        error: result.detail,
        durationSeconds: duration,
      });
      return { kind: "finished", avatar: failed };
    } catch (error) {
      log("info", "training_result_ignored", { avatarId: avatar.id, requestId, ...errorFields(error) });
      return { kind: "not_training" };
    }
  }

  /** Cancel: fal is asked to stop; a job fal already finished is completed instead. */
  async cancel(avatar: Avatar): Promise<CheckOutcome> {
    if (avatar.status !== "TRAINING") return { kind: "not_training" };
    // Without a request id (the start's record was cut off) there is nothing at fal to ask.
    const answer =
      avatar.falRequestId && avatar.falEndpoint
        ? await this.deps.trainer.cancel(avatar.falEndpoint, avatar.falRequestId)
        : "not_found";
    if (answer === "already_completed" && avatar.falRequestId && avatar.falEndpoint) {
      const result = await this.deps.trainer.result(avatar.falEndpoint, avatar.falRequestId);
      return this.finish(avatar, avatar.falRequestId, result);
    }
    const now = this.#now();
    const cancelled = await this.deps.avatars.transition(avatar, "CANCELLED", {
      trainingCompletedAt: now,
      lastStatusCheckAt: now,
    });
    log("info", "training_cancelled", { avatarId: avatar.id, finetuneId: avatar.falRequestId, falAnswer: answer });
    return { kind: "finished", avatar: cancelled };
  }

  #now(): Date {
    return this.deps.now?.() ?? new Date();
  }
}
