import { loadSettings } from "./config/settings";
import type { Avatar } from "./domain/entities";
import type { ObjectStorage } from "./domain/object-storage";
import type { Repository } from "./domain/repository";
import { errorFields, log } from "./log";
import { DataLifecycle } from "./services/data-lifecycle";
import { createRepository, createStorage } from "./wiring";

/**
 * Trainings nudged per run. Each nudge is one Durable Object call (a subrequest); fal is polled by
 * each avatar's own alarm, with its own budget. 250 a minute keeps a run far inside the 1000
 * subrequests of a paid plan and still reaches 2,000 lapsed trainings within 8 minutes.
 */
export const TRAININGS_PER_RUN = 250;
/** Avatars whose overdue generations are swept per run (one Durable Object call each). */
export const SWEEPS_PER_RUN = 100;
/** Training archives deleted per run; each costs one delete and one update. */
export const ARCHIVES_PER_RUN = 100;
/** Abandoned avatars and expired generations removed per run; a backlog drains over later runs. */
export const EXPIRED_PER_RUN = 50;

export interface CronDeps {
  repo: Repository;
  storage: ObjectStorage;
  /** Wakes an avatar's workspace so it polls fal for its training. */
  followTraining: (avatarId: string) => Promise<void>;
  /** Stops an avatar's workspace before the avatar is deleted. */
  stopAvatar: (avatar: Avatar) => Promise<void>;
  /** Makes an avatar's workspace end its jobs that are past their deadline. */
  sweepAvatar?: (avatarId: string) => Promise<void>;
}

/** The Cron Trigger's work; each job is bounded and safe to run again. */
export async function runScheduled(
  controller: ScheduledController,
  env: Env,
  deps?: CronDeps,
): Promise<Record<string, number>> {
  try {
    const settings = loadSettings(env);
    const { repo, storage, followTraining, stopAvatar } = deps ?? {
      repo: createRepository(env),
      storage: createStorage(env),
      followTraining: (avatarId: string) => env.AVATAR_WORKSPACE.getByName(avatarId).followTraining(),
      stopAvatar: (avatar: Avatar) => env.AVATAR_WORKSPACE.getByName(avatar.id).shutdown(),
    };
    const lifecycle = new DataLifecycle(repo, storage, stopAvatar);
    const now = controller.scheduledTime;

    // Trainings not heard from within the check interval: their workspace's alarm may have lapsed.
    const lapsed = await repo.listTrainingsToCheck(
      new Date(now - settings.avatar.TRAINING_CHECK_INTERVAL * 1000),
      TRAININGS_PER_RUN,
    );
    const nudges = await Promise.allSettled(lapsed.map((t) => followTraining(t.id)));

    // Generations past their deadline: their workspace ends each one and tells the user why.
    const sweepAvatar = deps?.sweepAvatar ?? ((avatarId: string) => env.AVATAR_WORKSPACE.getByName(avatarId).sweep());
    const overdue = await repo.listOverdueGenerations(new Date(now), SWEEPS_PER_RUN);
    const sweeps = await Promise.allSettled([...new Set(overdue.map((g) => g.avatarId))].map(sweepAvatar));
    for (const sweep of sweeps) {
      if (sweep.status === "rejected") log("error", "cron_sweep_failed", errorFields(sweep.reason));
    }

    // Retention: each row is its own step, so one that fails is logged, counted and left for a later run.
    const archives = await lifecycle.removeStaleTrainingArchives(
      new Date(now - settings.avatar.TRAINING_DATA_TTL * 1000),
      ARCHIVES_PER_RUN,
      new Date(now),
    );
    const abandoned = await lifecycle.removeAbandonedAvatars(
      new Date(now - settings.abandonedAvatarTtlSeconds * 1000),
      EXPIRED_PER_RUN,
    );
    const generations =
      settings.generationRetentionSeconds === undefined
        ? { done: 0, failed: 0 }
        : await lifecycle.removeExpiredGenerations(
            new Date(now - settings.generationRetentionSeconds * 1000),
            EXPIRED_PER_RUN,
          );

    const summary = {
      abandonedAvatarsDeleted: abandoned.done,
      abandonedAvatarsFailed: abandoned.failed,
      generationsExpired: generations.done,
      generationsFailed: generations.failed,
      generationsSwept: sweeps.filter((s) => s.status === "fulfilled").length,
      trainingsNudged: nudges.filter((n) => n.status === "fulfilled").length,
      nudgesFailed: nudges.filter((n) => n.status === "rejected").length,
      archivesDeleted: archives.done,
      archivesFailed: archives.failed,
    };
    log("info", "cron_finished", { cron: controller.cron, ...summary });
    return summary;
  } catch (error) {
    log("error", "cron_failed", { cron: controller.cron, ...errorFields(error) });
    throw error;
  }
}
