import type { Repository } from "../db/repository";
import type { AvatarRow } from "../db/schema";
import { log } from "../log";
import { avatarPrefix, userPrefix } from "../storage/keys";
import { deletePrefix, type ObjectStorage } from "../storage/object-storage";

/** Deleting a user's data on request, and the retention rules the cron trigger applies. */
export class DataLifecycle {
  constructor(
    private readonly repo: Repository,
    private readonly storage: ObjectStorage,
    /** Stops the avatar's Durable Object work (queued photos, a running training at fal). */
    private readonly stopAvatar: (avatar: AvatarRow) => Promise<void>,
  ) {}

  /** Everything of the user: their avatars' work is stopped, their files and then their rows go. */
  async deleteUserData(userId: string): Promise<void> {
    const avatars = await this.repo.listUserAvatars(userId);
    for (const avatar of avatars) await this.stopAvatar(avatar);
    const objects = await deletePrefix(this.storage, userPrefix(userId));
    await this.repo.deleteUser(userId);
    log("info", "user_data_deleted", { userId, avatars: avatars.length, objects });
  }

  /** DRAFT and CANCELLED avatars untouched since `before`, with their files; at most `limit` a run. */
  async removeAbandonedAvatars(before: Date, limit: number): Promise<number> {
    const abandoned = await this.repo.listAbandonedAvatars(before, limit);
    for (const avatar of abandoned) {
      await this.stopAvatar(avatar);
      await deletePrefix(this.storage, avatarPrefix(avatar.userId, avatar.id));
      await this.repo.deleteAvatar(avatar.id);
      log("info", "avatar_expired", { avatarId: avatar.id, userId: avatar.userId, status: avatar.status });
    }
    return abandoned.length;
  }

  /** Generation results older than `before`; at most `limit` a run. */
  async removeExpiredGenerations(before: Date, limit: number): Promise<number> {
    const expired = await this.repo.listExpiredGenerations(before, limit);
    for (const generation of expired) {
      if (generation.resultKeys.length > 0) await this.storage.delete(generation.resultKeys);
      await this.repo.deleteGeneration(generation.id);
    }
    if (expired.length > 0) log("info", "generations_expired", { count: expired.length });
    return expired.length;
  }
}
