import { sql } from "drizzle-orm";
import { check, index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { ACCESS_RULES, LIMITED_JOBS } from "../domain/access";
import {
  AVATAR_GENDERS,
  AVATAR_STATUSES,
  AVATAR_TYPES,
  FAL_PRIORITIES,
  GENERATION_STATUSES,
  PHOTO_VALIDATION_STATUSES,
} from "../domain/avatar";
import {
  type AvatarData,
  type FalImages,
  type GenerationOptions,
  LANGUAGES,
  type PhotoMetadata,
  type TrainingConfig,
} from "../domain/entities";
import { LEDGER_KINDS } from "../domain/ledger";
import { inList } from "./check-sql";

// JSON columns are typed by what is written; rows are read through rows.ts, which parses them into the
// domain's types, so a row an older version wrote still reads.
const timestamp = (name: string) => integer(name, { mode: "timestamp_ms" });
const createdAt = () => timestamp("created_at").notNull().default(sql`(unixepoch('subsec') * 1000)`);

export const users = sqliteTable("users", {
  id: text("id").primaryKey(),
  telegramId: integer("telegram_id").notNull().unique(),
  languageCode: text("language_code", { enum: LANGUAGES }).notNull(),
  firstName: text("first_name"),
  lastName: text("last_name"),
  username: text("username"),
  createdAt: createdAt(),
  lastSeenAt: timestamp("last_seen_at").notNull(),
});

export const avatars = sqliteTable(
  "avatars",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name"),
    gender: text("gender", { enum: AVATAR_GENDERS }),
    avatarType: text("avatar_type", { enum: AVATAR_TYPES }),
    status: text("status", { enum: AVATAR_STATUSES }).notNull().default("DRAFT"),
    /** What a generation needs from fal: the trained LoRA file's URL. */
    finetuneId: text("finetune_id"),
    /** fal's queue request id of the current or last training; never the LoRA itself. */
    falRequestId: text("fal_request_id"),
    falEndpoint: text("fal_endpoint"),
    trainingError: text("training_error"),
    lastStatusCheckAt: timestamp("last_status_check_at"),
    trainingProgress: integer("training_progress").notNull().default(0),
    trainingStartedAt: timestamp("training_started_at"),
    trainingCompletedAt: timestamp("training_completed_at"),
    falMode: text("fal_mode", { enum: ["character", "style", "custom"] }),
    falIterations: integer("fal_iterations").notNull(),
    falPriority: text("fal_priority", { enum: FAL_PRIORITIES }).notNull(),
    triggerWord: text("trigger_word").notNull().unique(),
    loraRank: integer("lora_rank").notNull(),
    avatarData: text("avatar_data", { mode: "json" }).$type<AvatarData>().notNull().default({}),
    trainingConfig: text("training_config", { mode: "json" }).$type<TrainingConfig>().notNull().default({}),
    photosCount: integer("photos_count").notNull().default(0),
    generationsCount: integer("generations_count").notNull().default(0),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at").notNull(),
  },
  (t) => [
    index("avatars_user_created_idx").on(t.userId, t.createdAt),
    index("avatars_status_idx").on(t.status),
    uniqueIndex("avatars_fal_request_idx").on(t.falRequestId),
    index("avatars_training_check_idx").on(t.status, t.lastStatusCheckAt),
    check("avatars_status_check", inList("status", AVATAR_STATUSES)),
    check("avatars_gender_check", sql`gender IS NULL OR ${inList("gender", AVATAR_GENDERS)}`),
    check("avatars_type_check", sql`avatar_type IS NULL OR ${inList("avatar_type", AVATAR_TYPES)}`),
    check("avatars_priority_check", inList("fal_priority", FAL_PRIORITIES)),
    check("avatars_progress_check", sql`training_progress BETWEEN 0 AND 100`),
    check("avatars_counts_check", sql`photos_count >= 0 AND generations_count >= 0`),
  ],
);

export const avatarPhotos = sqliteTable(
  "avatar_photos",
  {
    id: text("id").primaryKey(),
    avatarId: text("avatar_id")
      .notNull()
      .references(() => avatars.id, { onDelete: "cascade" }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** The object key of the original in whichever store is configured (R2 or S3); the spec's name. */
    minioKey: text("minio_key").notNull(),
    fileHash: text("file_hash").notNull(),
    /** A 64-bit dHash of the picture (16 hex digits), to find the same photo sent again in other bytes. */
    perceptualHash: text("perceptual_hash"),
    uploadOrder: integer("upload_order").notNull(),
    validationStatus: text("validation_status", { enum: PHOTO_VALIDATION_STATUSES }).notNull().default("PENDING"),
    fileSize: integer("file_size").notNull(),
    width: integer("width"),
    height: integer("height"),
    format: text("format").notNull(),
    hasFace: integer("has_face", { mode: "boolean" }),
    qualityScore: real("quality_score"),
    validationError: text("validation_error"),
    photoMetadata: text("photo_metadata", { mode: "json" }).$type<Partial<PhotoMetadata>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("avatar_photos_avatar_order_idx").on(t.avatarId, t.uploadOrder),
    uniqueIndex("avatar_photos_avatar_hash_idx").on(t.avatarId, t.fileHash),
    index("avatar_photos_user_hash_idx").on(t.userId, t.fileHash),
    check("avatar_photos_status_check", inList("validation_status", PHOTO_VALIDATION_STATUSES)),
    check("avatar_photos_quality_check", sql`quality_score IS NULL OR quality_score BETWEEN 0 AND 1`),
  ],
);

export const generations = sqliteTable(
  "generations",
  {
    id: text("id").primaryKey(),
    avatarId: text("avatar_id")
      .notNull()
      .references(() => avatars.id, { onDelete: "cascade" }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    prompt: text("prompt").notNull(),
    preset: text("preset"),
    options: text("options", { mode: "json" }).$type<Partial<GenerationOptions>>().notNull().default({}),
    seed: integer("seed"),
    falRequestId: text("fal_request_id").unique(),
    status: text("status", { enum: GENERATION_STATUSES }).notNull().default("QUEUED"),
    error: text("error"),
    /** One intent (a button under one message, one typed prompt): at most one generation and one fal job. */
    intentKey: text("intent_key").unique(),
    /** When the cron sweep ends this generation if it is still active (null once it has ended). */
    deadlineAt: timestamp("deadline_at"),
    /** fal's output, kept while the pictures are copied and sent (DELIVERING). */
    falOutput: text("fal_output", { mode: "json" }).$type<FalImages | null>(),
    /** Delivery tries so far; a delivery that keeps failing ends with the pictures in the gallery. */
    attempts: integer("attempts").notNull().default(0),
    resultKeys: text("result_keys", { mode: "json" }).$type<string[]>().notNull().default([]),
    createdAt: createdAt(),
    startedAt: timestamp("started_at"),
    completedAt: timestamp("completed_at"),
  },
  (t) => [
    index("generations_avatar_created_idx").on(t.avatarId, t.createdAt),
    index("generations_user_status_idx").on(t.userId, t.status),
    index("generations_deadline_idx").on(t.deadlineAt),
    check("generations_status_check", inList("status", GENERATION_STATUSES)),
  ],
);

/** Counters kept as things happen, for figures no row can give (refused photos leave no rows). */
export const metricsCounters = sqliteTable(
  "metrics_counters",
  {
    name: text("name").notNull(),
    label: text("label").notNull(),
    value: integer("value").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.name, t.label] })],
);

/** Small key/value facts the Worker caches across isolates, such as the bot's getMe answer. */
export const botCache = sqliteTable("bot_cache", {
  key: text("key").primaryKey(),
  value: text("value", { mode: "json" }).$type<unknown>().notNull(),
  updatedAt: timestamp("updated_at").notNull(),
});

/**
 * Credits, append-only: every grant, purchase, reserve, charge, release and refund, once per key. Keyed by
 * the Telegram id (no foreign key), so money records outlive a deleted user's data and a grant may precede
 * the user's first message.
 */
export const ledgerEntries = sqliteTable(
  "ledger_entries",
  {
    id: text("id").primaryKey(),
    key: text("key").notNull().unique(),
    userId: integer("user_id").notNull(),
    kind: text("kind", { enum: LEDGER_KINDS }).notNull(),
    credits: integer("credits").notNull(),
    ref: text("ref"),
    stars: integer("stars"),
    actorId: integer("actor_id"),
    createdAt: createdAt(),
  },
  (t) => [
    index("ledger_entries_user_created_idx").on(t.userId, t.createdAt),
    index("ledger_entries_kind_idx").on(t.kind),
    check("ledger_entries_kind_check", inList("kind", LEDGER_KINDS)),
    check("ledger_entries_credits_check", sql`credits > 0`),
  ],
);

/** Each user's balance, changed only in the same batch as the ledger entry that moves it. */
export const creditBalances = sqliteTable(
  "credit_balances",
  {
    userId: integer("user_id").primaryKey(),
    available: integer("available").notNull().default(0),
    reserved: integer("reserved").notNull().default(0),
    updatedAt: timestamp("updated_at").notNull(),
  },
  () => [check("credit_balances_check", sql`available >= 0 AND reserved >= 0`)],
);

/** The admins' /allow and /deny, by Telegram id: no user row needed, so a stranger can be let in first. */
export const accessRules = sqliteTable(
  "access_rules",
  {
    telegramId: integer("telegram_id").primaryKey(),
    rule: text("rule", { enum: ACCESS_RULES }).notNull(),
    actorId: integer("actor_id").notNull(),
    updatedAt: timestamp("updated_at").notNull(),
  },
  () => [check("access_rules_rule_check", inList("rule", ACCESS_RULES))],
);

/**
 * Trainings and generations started, for the per-user limits' rolling windows. Kept apart from the
 * jobs: a retrained avatar overwrites its training's times, and a deleted picture must not free a start.
 */
export const jobStarts = sqliteTable(
  "job_starts",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    kind: text("kind", { enum: LIMITED_JOBS }).notNull(),
    startedAt: timestamp("started_at").notNull(),
  },
  (t) => [
    index("job_starts_user_kind_idx").on(t.userId, t.kind, t.startedAt),
    check("job_starts_kind_check", inList("kind", LIMITED_JOBS)),
  ],
);

export type UserRow = typeof users.$inferSelect;
export type AvatarRow = typeof avatars.$inferSelect;
export type AvatarPhotoRow = typeof avatarPhotos.$inferSelect;
export type GenerationRow = typeof generations.$inferSelect;
export type LedgerEntryRow = typeof ledgerEntries.$inferSelect;
