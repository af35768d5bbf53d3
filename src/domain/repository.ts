import type { AccessRule, ClaimOutcome, JobLimit, JobStart } from "./access";
import type { AvatarGender, AvatarStatus, AvatarType, FalPriority, GenerationStatus } from "./avatar";
import type {
  Avatar,
  AvatarData,
  AvatarPhoto,
  FalImages,
  FalMode,
  Generation,
  GenerationOptions,
  Language,
  PhotoAttributes,
  PhotoMetadata,
  TrainingConfig,
  User,
} from "./entities";
import type { Balance, LedgerEntry, LedgerEntryInput, LedgerKind, LedgerOutcome } from "./ledger";

/** Who sent an update, as Telegram describes them. */
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
  falMode?: FalMode;
  falPriority?: FalPriority;
  falIterations?: number;
  loraRank?: number;
  falRequestId?: string | null;
  falEndpoint?: string | null;
  finetuneId?: string | null;
  trainingProgress?: number;
  trainingStartedAt?: Date | null;
  trainingCompletedAt?: Date | null;
  trainingError?: string | null;
  lastStatusCheckAt?: Date | null;
  trainingConfig?: TrainingConfig;
  avatarData?: AvatarData;
}

export interface NewPhoto {
  id: string;
  avatarId: string;
  userId: string;
  minioKey: string;
  fileHash: string;
  perceptualHash: string | null;
  validationStatus: "PENDING" | "VALID";
  fileSize: number;
  width: number;
  height: number;
  format: string;
  hasFace: boolean | null;
  qualityScore: number | null;
  photoMetadata: PhotoMetadata;
}

export type InsertPhotoResult =
  | { kind: "inserted"; uploadOrder: number; photosCount: number }
  | { kind: "full" }
  | { kind: "duplicate" }
  | { kind: "not_uploading" };

export interface NewGeneration {
  id: string;
  avatarId: string;
  userId: string;
  prompt: string;
  preset: string | null;
  options: GenerationOptions;
  seed: number;
  intentKey: string;
  deadlineAt: Date;
}

export interface GenerationPatch {
  status?: GenerationStatus;
  falRequestId?: string | null;
  deadlineAt?: Date | null;
  falOutput?: FalImages | null;
  attempts?: number;
  error?: string | null;
  resultKeys?: string[];
  options?: GenerationOptions;
  startedAt?: Date | null;
  completedAt?: Date | null;
}

export interface MetricsSnapshot {
  avatars: Array<{ type: string; status: string; count: number }>;
  trainingSeconds: { count: number; median: number | null; p95: number | null };
  trainingOutcomes: { completed: number; failed: number; cancelled: number };
  generations: { total: number; perDay: Array<{ day: string; count: number }> };
  storage: Array<{ kind: string; bytes: number; objects: number }>;
  photosRefused: Array<{ reason: string; count: number }>;
  /** Credits moved by each kind of ledger entry, all time (kinds with no entries are left out). */
  ledger: Array<{ kind: LedgerKind; credits: number; stars: number; entries: number }>;
  /** Telegram Stars taken for credits, and refunds given back (a refund Telegram refused is not one). */
  stars: { received: number; refunds: number; refunded: number };
  /** Updates refused by the access rules: `stranger` (nothing stored) or `denied` (a known user). */
  accessRefused: Array<{ who: string; count: number }>;
  /** Jobs refused by the per-user limits, by job. */
  limitHits: Array<{ job: string; count: number }>;
}

export interface Page<T> {
  items: T[];
  total: number;
}

/** The one data-access contract the services use; each database dialect implements it. */
export interface Repository {
  /** Answers once the database does (for /health). */
  ping(): Promise<void>;

  upsertUser(profile: TelegramProfile, now: Date): Promise<User>;
  setUserLanguage(userId: string, language: Language): Promise<void>;
  /** The user with this Telegram id, if the bot has met them (whom to tell of a refund, in their language). */
  findUserByTelegramId(telegramId: number): Promise<User | undefined>;
  /** What a user has: for the deletion confirmation. */
  countUserData(userId: string): Promise<{ avatars: number; photos: number; generations: number }>;
  /** Every avatar of the user (ids and what is needed to stop their work). */
  listUserAvatars(userId: string): Promise<Avatar[]>;
  /** Deletes the user; avatars, photos and generations go with it (foreign keys cascade). */
  deleteUser(userId: string): Promise<void>;
  /**
   * DRAFT, PHOTOS_UPLOADING and CANCELLED avatars last changed before `before` (updated_at, which moves with
   * every status change and every photo stored or deleted); not one whose training was cancelled
   * (CANCELLED with training_started_at set), which is kept to be trained again.
   */
  listAbandonedAvatars(before: Date, limit: number): Promise<Avatar[]>;
  /** Succeeded generations older than `before`. */
  listExpiredGenerations(before: Date, limit: number): Promise<Generation[]>;

  insertAvatar(avatar: NewAvatar, now: Date): Promise<Avatar>;
  findAvatar(avatarId: string): Promise<Avatar | null>;
  listAvatars(userId: string, offset: number, limit: number): Promise<Page<Avatar>>;
  /** Applies the patch only while the avatar is still in `expected` status; false when it was not. */
  updateAvatarIf(avatarId: string, expected: AvatarStatus, patch: AvatarPatch, now: Date): Promise<boolean>;
  deleteAvatar(avatarId: string): Promise<boolean>;
  findAvatarByFalRequest(requestId: string): Promise<Avatar | null>;
  /** Replaces avatar_data whatever the status (bookkeeping such as the training archive's key). */
  setAvatarData(avatarId: string, data: AvatarData, now: Date): Promise<void>;
  /** Trainings not checked since `before`, least recently checked first. */
  listTrainingsToCheck(before: Date, limit: number): Promise<Array<{ id: string; trainingStartedAt: Date | null }>>;
  /** Avatars whose training archive was written before `before`. */
  listStaleTrainingData(before: Date, limit: number): Promise<Avatar[]>;

  /**
   * Adds a photo at the next dense upload_order and recounts photos_count, atomically, only while
   * the avatar is collecting photos and holds fewer than `maxPhotos`.
   */
  insertPhoto(photo: NewPhoto, maxPhotos: number, now: Date): Promise<InsertPhotoResult>;
  findPhotoByHash(avatarId: string, fileHash: string): Promise<AvatarPhoto | null>;
  /** The perceptual hashes of the avatar's photos (those that have one). */
  listPerceptualHashes(avatarId: string): Promise<string[]>;
  /** Another of the user's avatars that already holds a photo with this hash. */
  findOtherAvatarWithHash(
    userId: string,
    avatarId: string,
    fileHash: string,
  ): Promise<{ id: string; name: string | null } | null>;
  countPhotos(avatarId: string): Promise<number>;
  listPhotos(avatarId: string, offset: number, limit: number): Promise<Page<AvatarPhoto>>;
  findPhoto(photoId: string): Promise<AvatarPhoto | null>;
  /** Removes the photo, closes the gap in upload_order and recounts; null when it was already gone. */
  deletePhoto(photoId: string, now: Date): Promise<AvatarPhoto | null>;
  /** Photos kept while their face check could not run (fal unavailable), oldest first. */
  listPendingPhotos(avatarId: string, limit: number): Promise<AvatarPhoto[]>;
  /**
   * Records a late face check: the photo becomes VALID and photos_count is recounted. `hasFace` is
   * null for a photo that counts unchecked (fal's face check could not run by its deadline).
   */
  markPhotoValid(photoId: string, metadata: Partial<PhotoMetadata>, now: Date, hasFace?: true | null): Promise<void>;
  /** Records what the likeness coach's vision check saw (null: it could not run); a gone photo is a no-op. */
  setPhotoAttributes(photoId: string, attributes: PhotoAttributes | null): Promise<void>;
  /** The highest number used in the avatar's object keys so far (keys are never reused). */
  maxPhotoSequence(avatarId: string): Promise<number>;

  /** Records an intent once: a second insert with the same intent_key returns the first row, not new. */
  insertGeneration(generation: NewGeneration, now: Date): Promise<{ row: Generation; created: boolean }>;
  /** Applies the patch only while the generation is still in `expected` status; false when it was not. */
  updateGenerationIf(id: string, expected: GenerationStatus, patch: GenerationPatch): Promise<boolean>;
  /** Active generations whose deadline has passed, oldest deadline first (the cron sweep). */
  listOverdueGenerations(now: Date, limit: number): Promise<Generation[]>;
  findGeneration(id: string): Promise<Generation | null>;
  findGenerationByFalRequest(requestId: string): Promise<Generation | null>;
  findGenerationByIntent(intentKey: string): Promise<Generation | null>;
  /** Active (not yet SUCCEEDED or FAILED) generations of a user (the concurrency cap). */
  countActiveGenerations(userId: string): Promise<number>;
  listActiveGenerations(avatarId: string): Promise<Generation[]>;
  listGenerations(avatarId: string, offset: number, limit: number): Promise<Page<Generation>>;
  /**
   * Up to `limit` succeeded generations made strictly before (`older`) or after (`newer`) `edge`, the
   * nearest to it, newest first: the gallery pages by the sets it shows, so a delete never shifts a page.
   */
  listGenerationsBeside(avatarId: string, edge: Date, side: "older" | "newer", limit: number): Promise<Generation[]>;
  /** Marks a DELIVERING generation SUCCEEDED and counts it on the avatar, atomically, once. */
  completeGeneration(id: string, patch: GenerationPatch, now: Date): Promise<boolean>;
  deleteGeneration(id: string): Promise<Generation | null>;

  /** The admins' rule for a Telegram user, or null when they set none. */
  getAccessRule(telegramId: number): Promise<AccessRule | null>;
  /** Records an admin's /allow or /deny (the latest wins); answers the rule it replaced, or null. */
  setAccessRule(telegramId: number, rule: AccessRule, actorId: number, now: Date): Promise<AccessRule | null>;
  /** Whether the bot has a user row for this Telegram user. */
  isKnownUser(telegramId: number): Promise<boolean>;
  /**
   * Records a job start only while the user's starts of its kind within the window stay under the
   * limit, atomically per user, so parallel starts on several avatars cannot pass it together.
   * Starts that left the window are forgotten; a repeated id is claimed once.
   */
  claimJobStart(start: JobStart, limit: JobLimit): Promise<ClaimOutcome>;
  /** Gives a start back (the job never ran: a refused submit, a stale tap). */
  releaseJobStart(id: string): Promise<void>;

  incrementCounter(name: string, label: string, by?: number): Promise<void>;
  /** The figures behind /stats and /metrics, from cheap aggregate queries and the counters. */
  metrics(now: Date): Promise<MetricsSnapshot>;

  /**
   * Appends a ledger entry and moves the balance in one atomic write, once per key: a used key is a
   * no-op ("duplicate"); a reserve or refund beyond `available` (a charge or release beyond `reserved`)
   * changes nothing ("insufficient"). Both are decided inside that write, so racing callers cannot overspend.
   */
  applyLedgerEntry(entry: LedgerEntryInput): Promise<LedgerOutcome>;
  /** The user's balance; zero for a user with no entries. */
  getBalance(userId: number): Promise<Balance>;
  findLedgerEntry(key: string): Promise<LedgerEntry | undefined>;
  /** The user's latest entries, newest first. */
  listLedgerEntries(userId: number, limit: number): Promise<LedgerEntry[]>;

  getCached<T>(key: string): Promise<{ value: T; updatedAt: Date } | null>;
  putCached(key: string, value: unknown, now: Date): Promise<void>;
}
