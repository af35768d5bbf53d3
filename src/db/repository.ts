import type { AvatarGender, AvatarStatus, AvatarType, FalPriority } from "../domain/avatar";
import type { AvatarRow, UserRow } from "./schema";

export type Language = "ru" | "en";

export interface TelegramProfile {
  telegramId: number;
  firstName: string | null;
  lastName: string | null;
  username: string | null;
  languageCode: Language;
}

export interface NewAvatar {
  id: string;
  userId: string;
  triggerWord: string;
  falIterations: number;
  falPriority: FalPriority;
  loraRank: number;
}

/** Fields a status-guarded update may change alongside (or instead of) the status. */
export interface AvatarPatch {
  status?: AvatarStatus;
  name?: string;
  gender?: AvatarGender;
  avatarType?: AvatarType;
  falMode?: "character" | "style" | "custom";
}

export interface Page<T> {
  items: T[];
  total: number;
}

/** The one data-access contract the services use; each database dialect implements it. */
export interface Repository {
  upsertUser(profile: TelegramProfile, now: Date): Promise<UserRow>;
  setUserLanguage(userId: string, language: Language): Promise<void>;

  insertAvatar(avatar: NewAvatar, now: Date): Promise<AvatarRow>;
  findAvatar(avatarId: string): Promise<AvatarRow | null>;
  listAvatars(userId: string, offset: number, limit: number): Promise<Page<AvatarRow>>;
  /** Applies the patch only while the avatar is still in `expected` status; false when it was not. */
  updateAvatarIf(avatarId: string, expected: AvatarStatus, patch: AvatarPatch, now: Date): Promise<boolean>;
  deleteAvatar(avatarId: string): Promise<boolean>;

  /** True when this update_id has been handled before. */
  isUpdateProcessed(updateId: number): Promise<boolean>;
  markUpdateProcessed(updateId: number, now: Date): Promise<void>;
  pruneProcessedUpdates(before: Date): Promise<number>;

  getCached<T>(key: string): Promise<{ value: T; updatedAt: Date } | null>;
  putCached(key: string, value: unknown, now: Date): Promise<void>;
}
