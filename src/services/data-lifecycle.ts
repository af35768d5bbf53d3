import type { Avatar } from "../domain/entities";
import { deletePrefix, type ObjectStorage } from "../domain/object-storage";
import type { Repository } from "../domain/repository";
import { avatarPrefix, userPrefix } from "../domain/storage-keys";
import { errorFields, log } from "../log";

/** Deleting a user's data on request, and the retention rules the cron trigger applies. */
export class DataLifecycle {
  constructor(
    private readonly repo: Repository,
    private readonly storage: ObjectStorage,
    /** Stops the avatar's Durable Object work (queued photos, a running training at fal). */
    private readonly stopAvatar: (avatar: Avatar) => Promise<void>,
  ) {}

  /** Everything of the user: their avatars' work is stopped, their files and then their rows go. */
  async deleteUserData(userId: string): Promise<void> {
    const avatars = await this.repo.listUserAvatars(userId);
    for (const avatar of avatars) await this.stopAvatar(avatar);
    const objects = await deletePrefix(this.storage, userPrefix(userId));
    await this.repo.deleteUser(userId);
    log("info", "user_data_deleted", { userId, avatars: avatars.length, objects });
  }

  /**
   * Training archives written before `before`: the object, then its key in avatar_data; at most `limit` a run.
   * Each is its own step: one that fails is logged and skipped, and the rest still go.
   */
  async removeStaleTrainingArchives(before: Date, limit: number, now: Date): Promise<RetentionCount> {
    const stale = await this.repo.listStaleTrainingData(before, limit);
    return eachOnItsOwn(
      stale,
      "training_archive_delete_failed",
      (avatar) => ({ avatarId: avatar.id, userId: avatar.userId, key: avatar.avatarData.trainingData?.key }),
      async (avatar) => {
        const { trainingData, ...rest } = avatar.avatarData;
        if (trainingData?.key) await this.storage.delete(trainingData.key);
        await this.repo.setAvatarData(avatar.id, rest, now);
      },
    );
  }

  /**
   * DRAFT, PHOTOS_UPLOADING and cancelled-draft avatars unchanged since `before`, with their files; at
   * most `limit` a run. An avatar whose training was cancelled is not one of them: the bot told its
   * user they can train it later. One that fails is logged and skipped, and stays for a later run.
   */
  async removeAbandonedAvatars(before: Date, limit: number): Promise<RetentionCount> {
    const abandoned = await this.repo.listAbandonedAvatars(before, limit);
    return eachOnItsOwn(
      abandoned,
      "avatar_expiry_failed",
      (avatar) => ({ avatarId: avatar.id, userId: avatar.userId, status: avatar.status }),
      async (avatar) => {
        await this.stopAvatar(avatar);
        await deletePrefix(this.storage, avatarPrefix(avatar.userId, avatar.id));
        await this.repo.deleteAvatar(avatar.id);
        log("info", "avatar_expired", { avatarId: avatar.id, userId: avatar.userId, status: avatar.status });
      },
    );
  }

  /** Generation results older than `before`; at most `limit` a run. One that fails is logged and skipped. */
  async removeExpiredGenerations(before: Date, limit: number): Promise<RetentionCount> {
    const expired = await this.repo.listExpiredGenerations(before, limit);
    const count = await eachOnItsOwn(
      expired,
      "generation_expiry_failed",
      (generation) => ({ generationId: generation.id, avatarId: generation.avatarId, userId: generation.userId }),
      async (generation) => {
        if (generation.resultKeys.length > 0) await this.storage.delete(generation.resultKeys);
        await this.repo.deleteGeneration(generation.id);
      },
    );
    if (count.done > 0) log("info", "generations_expired", { count: count.done });
    return count;
  }
}

/** What one retention job did in a run: rows finished, and rows that failed and wait for a later run. */
export interface RetentionCount {
  done: number;
  failed: number;
}

/** Runs `work` for each row; a row's failure is logged with its ids and counted, and never stops the others. */
async function eachOnItsOwn<T>(
  rows: T[],
  failureEvent: string,
  idsOf: (row: T) => Record<string, unknown>,
  work: (row: T) => Promise<void>,
): Promise<RetentionCount> {
  const count: RetentionCount = { done: 0, failed: 0 };
  for (const row of rows) {
    try {
      await work(row);
      count.done += 1;
    } catch (error) {
      count.failed += 1;
      log("error", failureEvent, { ...idsOf(row), ...errorFields(error) });
    }
  }
  return count;
}
