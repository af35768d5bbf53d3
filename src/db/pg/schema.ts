import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  check,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  timestamp as pgTimestamp,
  primaryKey,
  text,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { ACCESS_RULES, LIMITED_JOBS } from "../../domain/access";
import {
  AVATAR_GENDERS,
  AVATAR_STATUSES,
  AVATAR_TYPES,
  FAL_PRIORITIES,
  GENERATION_STATUSES,
  PHOTO_VALIDATION_STATUSES,
} from "../../domain/avatar";
import {
  type AvatarData,
  type FalImages,
  type GenerationOptions,
  LANGUAGES,
  type PhotoMetadata,
  type TrainingConfig,
} from "../../domain/entities";
import { LEDGER_KINDS } from "../../domain/ledger";
import { inList } from "../check-sql";
import type { AvatarPhotoRow, AvatarRow, GenerationRow, LedgerEntryRow, UserRow } from "../schema";

// The same tables, names, checks and indexes as ../schema.ts (D1), in Postgres types: timestamptz for
// times, boolean, jsonb, bigint for Telegram's ids. Rows come out as the shared row types.

const timestamp = (name: string) => pgTimestamp(name, { withTimezone: true, mode: "date" });
const createdAt = () => timestamp("created_at").notNull().defaultNow();

export const users = pgTable("users", {
  id: text("id").primaryKey(),
  telegramId: bigint("telegram_id", { mode: "number" }).notNull().unique(),
  languageCode: text("language_code", { enum: LANGUAGES }).notNull(),
  firstName: text("first_name"),
  lastName: text("last_name"),
  username: text("username"),
  createdAt: createdAt(),
  lastSeenAt: timestamp("last_seen_at").notNull(),
});

export const avatars = pgTable(
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
    finetuneId: text("finetune_id"),
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
    avatarData: jsonb("avatar_data").$type<AvatarData>().notNull().default({}),
    trainingConfig: jsonb("training_config").$type<TrainingConfig>().notNull().default({}),
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

export const avatarPhotos = pgTable(
  "avatar_photos",
  {
    id: text("id").primaryKey(),
    avatarId: text("avatar_id")
      .notNull()
      .references(() => avatars.id, { onDelete: "cascade" }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
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
    hasFace: boolean("has_face"),
    qualityScore: doublePrecision("quality_score"),
    validationError: text("validation_error"),
    photoMetadata: jsonb("photo_metadata").$type<Partial<PhotoMetadata>>().notNull().default({}),
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

export const generations = pgTable(
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
    options: jsonb("options").$type<Partial<GenerationOptions>>().notNull().default({}),
    seed: bigint("seed", { mode: "number" }),
    falRequestId: text("fal_request_id").unique(),
    status: text("status", { enum: GENERATION_STATUSES }).notNull().default("QUEUED"),
    error: text("error"),
    /** One intent (a button under one message, one typed prompt): at most one generation and one fal job. */
    intentKey: text("intent_key").unique(),
    /** When the cron sweep ends this generation if it is still active (null once it has ended). */
    deadlineAt: timestamp("deadline_at"),
    /** fal's output, kept while the pictures are copied and sent (DELIVERING). */
    falOutput: jsonb("fal_output").$type<FalImages | null>(),
    /** Delivery tries so far; a delivery that keeps failing ends with the pictures in the gallery. */
    attempts: integer("attempts").notNull().default(0),
    resultKeys: jsonb("result_keys").$type<string[]>().notNull().default([]),
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

export const metricsCounters = pgTable(
  "metrics_counters",
  {
    name: text("name").notNull(),
    label: text("label").notNull(),
    value: bigint("value", { mode: "number" }).notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.name, t.label] })],
);

export const botCache = pgTable("bot_cache", {
  key: text("key").primaryKey(),
  value: jsonb("value").$type<unknown>().notNull(),
  updatedAt: timestamp("updated_at").notNull(),
});

export const ledgerEntries = pgTable(
  "ledger_entries",
  {
    id: text("id").primaryKey(),
    key: text("key").notNull().unique(),
    userId: bigint("user_id", { mode: "number" }).notNull(),
    kind: text("kind", { enum: LEDGER_KINDS }).notNull(),
    credits: integer("credits").notNull(),
    ref: text("ref"),
    stars: integer("stars"),
    actorId: bigint("actor_id", { mode: "number" }),
    createdAt: createdAt(),
  },
  (t) => [
    index("ledger_entries_user_created_idx").on(t.userId, t.createdAt),
    index("ledger_entries_kind_idx").on(t.kind),
    check("ledger_entries_kind_check", inList("kind", LEDGER_KINDS)),
    check("ledger_entries_credits_check", sql`credits > 0`),
  ],
);

export const creditBalances = pgTable(
  "credit_balances",
  {
    userId: bigint("user_id", { mode: "number" }).primaryKey(),
    available: integer("available").notNull().default(0),
    reserved: integer("reserved").notNull().default(0),
    updatedAt: timestamp("updated_at").notNull(),
  },
  () => [check("credit_balances_check", sql`available >= 0 AND reserved >= 0`)],
);

export const accessRules = pgTable(
  "access_rules",
  {
    telegramId: bigint("telegram_id", { mode: "number" }).primaryKey(),
    rule: text("rule", { enum: ACCESS_RULES }).notNull(),
    actorId: bigint("actor_id", { mode: "number" }).notNull(),
    updatedAt: timestamp("updated_at").notNull(),
  },
  () => [check("access_rules_rule_check", inList("rule", ACCESS_RULES))],
);

export const jobStarts = pgTable(
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

// The services see one set of row types; this fails to compile if the two schemas drift apart.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type AllTrue<T extends true[]> = T;
export type PgRowsAreTheSharedRows = AllTrue<
  [
    Same<typeof users.$inferSelect, UserRow>,
    Same<typeof avatars.$inferSelect, AvatarRow>,
    Same<typeof avatarPhotos.$inferSelect, AvatarPhotoRow>,
    Same<typeof generations.$inferSelect, GenerationRow>,
    Same<typeof ledgerEntries.$inferSelect, LedgerEntryRow>,
  ]
>;
