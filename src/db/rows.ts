import type { Avatar, AvatarPhoto, Generation, User } from "../domain/entities";
import type { LedgerEntry } from "../domain/ledger";
import type { TelegramProfile } from "../domain/repository";
import {
  parseAvatarData,
  parseFalImages,
  parseGenerationOptions,
  parsePhotoMetadata,
  parseStringList,
  parseTrainingConfig,
} from "./json-columns";
import type { AvatarPhotoRow, AvatarRow, GenerationRow, LedgerEntryRow, UserRow } from "./schema";

// Rows onto the domain's records, the same on every database (the Postgres schema's rows are these
// row types too: db/pg/schema.ts checks it). The one place a JSON column is read.

export function toUser(row: UserRow): User {
  return { ...row };
}

export function toAvatar(row: AvatarRow): Avatar {
  return {
    ...row,
    avatarData: parseAvatarData(row.avatarData),
    trainingConfig: parseTrainingConfig(row.trainingConfig),
  };
}

export function toPhoto(row: AvatarPhotoRow): AvatarPhoto {
  return { ...row, photoMetadata: parsePhotoMetadata(row.photoMetadata) };
}

export function toGeneration(row: GenerationRow): Generation {
  return {
    ...row,
    options: parseGenerationOptions(row.options),
    falOutput: parseFalImages(row.falOutput),
    resultKeys: parseStringList(row.resultKeys),
  };
}

export function toLedgerEntry(row: LedgerEntryRow): LedgerEntry {
  const { ref, stars, actorId, ...rest } = row;
  return {
    ...rest,
    ...(ref === null ? {} : { ref }),
    ...(stars === null ? {} : { stars }),
    ...(actorId === null ? {} : { actorId }),
  };
}

/** A user row as first seen, and what a later sighting refreshes: the same on every database. */
export function newUserValues(profile: TelegramProfile, now: Date) {
  return {
    id: crypto.randomUUID(),
    telegramId: profile.telegramId,
    languageCode: profile.languageCode,
    ...seenAgain(profile, now),
    createdAt: now,
  };
}

export function seenAgain(profile: TelegramProfile, now: Date) {
  return { firstName: profile.firstName, lastName: profile.lastName, username: profile.username, lastSeenAt: now };
}

// A domain record has exactly its row's fields: this fails to compile if a column is added to one only.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type AllTrue<T extends true[]> = T;
export type RecordsMatchRows = AllTrue<
  [
    Same<keyof User, keyof UserRow>,
    Same<keyof Avatar, keyof AvatarRow>,
    Same<keyof AvatarPhoto, keyof AvatarPhotoRow>,
    Same<keyof Generation, keyof GenerationRow>,
  ]
>;
