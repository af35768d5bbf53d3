import { and, asc, count, desc, eq, gt, inArray, isNotNull, lt, sql } from "drizzle-orm";
import { type DrizzleD1Database, drizzle } from "drizzle-orm/d1";
import { type AccessRule, type ClaimOutcome, type JobLimit, type JobStart, windowReopensAt } from "../../domain/access";
import type { AvatarStatus, GenerationStatus } from "../../domain/avatar";
import type {
  Avatar,
  AvatarData,
  AvatarPhoto,
  Generation,
  Language,
  PhotoAttributes,
  PhotoMetadata,
  User,
} from "../../domain/entities";
import { ACTIVE_GENERATION_STATUSES } from "../../domain/generation-lifecycle";
import {
  type Balance,
  checkLedgerEntry,
  emptyBalance,
  LEDGER_RULES,
  type LedgerEntry,
  type LedgerEntryInput,
  type LedgerOutcome,
} from "../../domain/ledger";
import type {
  AvatarPatch,
  GenerationPatch,
  InsertPhotoResult,
  MetricsSnapshot,
  NewAvatar,
  NewGeneration,
  NewPhoto,
  Page,
  Repository,
  TelegramProfile,
} from "../../domain/repository";
import { newUserValues, seenAgain, toAvatar, toGeneration, toLedgerEntry, toPhoto, toUser } from "../rows";
import * as schema from "../schema";
import { avatarPhotos, avatars, botCache, creditBalances, generations, ledgerEntries, users } from "../schema";

/** Repository over D1 through drizzle. D1 has no interactive transactions, so multi-step writes use batch(). */
/** Stars taken and given back, from the ledger; a refund whose credits were put back (Telegram refused it) is none. */
const STARS_TOTALS = `SELECT COALESCE(SUM(CASE WHEN kind = 'purchase' THEN stars END), 0) AS received,
                COALESCE(SUM(kind = 'refund'), 0) AS refunds,
                COALESCE(SUM(CASE WHEN kind = 'refund' THEN stars END), 0) AS refunded
           FROM ledger_entries e
           WHERE kind = 'purchase'
              OR (kind = 'refund' AND NOT EXISTS (SELECT 1 FROM ledger_entries g WHERE g.key = e.key || ':restored'))`;

export class D1Repository implements Repository {
  readonly db: DrizzleD1Database<typeof schema>;
  /**
   * The most frequent query (most updates and every job step read an avatar) has its SQL built once:
   * building SQL (for all queries) profiled at about 7% of the bot's CPU in the 100-user wizard.
   */
  readonly #findAvatar;

  constructor(private readonly d1: D1Database) {
    this.db = drizzle(d1, { schema });
    this.#findAvatar = this.db
      .select()
      .from(avatars)
      .where(eq(avatars.id, sql.placeholder("id")))
      .limit(1)
      .prepare();
  }

  async ping(): Promise<void> {
    await this.d1.prepare("SELECT 1").first();
  }

  async upsertUser(profile: TelegramProfile, now: Date): Promise<User> {
    const [row] = await this.db
      .insert(users)
      .values(newUserValues(profile, now))
      .onConflictDoUpdate({ target: users.telegramId, set: seenAgain(profile, now) })
      .returning();
    if (!row) throw new Error("upsert returned no user");
    return toUser(row);
  }

  async setUserLanguage(userId: string, language: Language): Promise<void> {
    await this.db.update(users).set({ languageCode: language }).where(eq(users.id, userId));
  }

  async findUserByTelegramId(telegramId: number): Promise<User | undefined> {
    const [row] = await this.db.select().from(users).where(eq(users.telegramId, telegramId)).limit(1);
    return row ? toUser(row) : undefined;
  }

  async countUserData(userId: string): Promise<{ avatars: number; photos: number; generations: number }> {
    const row = await this.d1
      .prepare(
        `SELECT (SELECT COUNT(*) FROM avatars WHERE user_id = ?1) AS avatars,
                (SELECT COUNT(*) FROM avatar_photos WHERE user_id = ?1) AS photos,
                (SELECT COUNT(*) FROM generations WHERE user_id = ?1 AND status = 'SUCCEEDED') AS generations`,
      )
      .bind(userId)
      .first<{ avatars: number; photos: number; generations: number }>();
    return row ?? { avatars: 0, photos: 0, generations: 0 };
  }

  async listUserAvatars(userId: string): Promise<Avatar[]> {
    return (await this.db.select().from(avatars).where(eq(avatars.userId, userId))).map(toAvatar);
  }

  async deleteUser(userId: string): Promise<void> {
    await this.db.delete(users).where(eq(users.id, userId));
  }

  async listAbandonedAvatars(before: Date, limit: number): Promise<Avatar[]> {
    const rows = await this.db
      .select()
      .from(avatars)
      .where(
        and(
          // A CANCELLED avatar that was trained is a cancelled training, kept to be trained again.
          sql`(${avatars.status} IN ('DRAFT', 'PHOTOS_UPLOADING') OR (${avatars.status} = 'CANCELLED' AND ${avatars.trainingStartedAt} IS NULL))`,
          lt(avatars.updatedAt, before),
        ),
      )
      .limit(limit);
    return rows.map(toAvatar);
  }

  async listExpiredGenerations(before: Date, limit: number): Promise<Generation[]> {
    const rows = await this.db
      .select()
      .from(generations)
      .where(and(eq(generations.status, "SUCCEEDED"), lt(generations.createdAt, before)))
      .limit(limit);
    return rows.map(toGeneration);
  }

  async insertAvatar(avatar: NewAvatar, now: Date): Promise<Avatar> {
    const [row] = await this.db
      .insert(avatars)
      .values({ ...avatar, status: "DRAFT", createdAt: now, updatedAt: now })
      .returning();
    if (!row) throw new Error("insert returned no avatar");
    return toAvatar(row);
  }

  async findAvatar(avatarId: string): Promise<Avatar | null> {
    return mapped((await this.#findAvatar.all({ id: avatarId }))[0], toAvatar);
  }

  async listAvatars(userId: string, offset: number, limit: number): Promise<Page<Avatar>> {
    const [items, totals] = await this.db.batch([
      this.db
        .select()
        .from(avatars)
        .where(eq(avatars.userId, userId))
        .orderBy(desc(avatars.createdAt), desc(avatars.id))
        .limit(limit)
        .offset(offset),
      this.db.select({ total: count() }).from(avatars).where(eq(avatars.userId, userId)),
    ]);
    return { items: items.map(toAvatar), total: totals[0]?.total ?? 0 };
  }

  async updateAvatarIf(avatarId: string, expected: AvatarStatus, patch: AvatarPatch, now: Date): Promise<boolean> {
    const result = await this.db
      .update(avatars)
      .set({ ...patch, updatedAt: now })
      .where(and(eq(avatars.id, avatarId), eq(avatars.status, expected)))
      .returning({ id: avatars.id });
    return result.length === 1;
  }

  async deleteAvatar(avatarId: string): Promise<boolean> {
    const result = await this.db.delete(avatars).where(eq(avatars.id, avatarId)).returning({ id: avatars.id });
    return result.length === 1;
  }

  async insertPhoto(photo: NewPhoto, maxPhotos: number, now: Date): Promise<InsertPhotoResult> {
    const avatar = await this.d1
      .prepare(
        "SELECT status, (SELECT COUNT(*) FROM avatar_photos WHERE avatar_id = ?1) AS n FROM avatars WHERE id = ?1",
      )
      .bind(photo.avatarId)
      .first<{ status: string; n: number }>();
    if (avatar?.status !== "PHOTOS_UPLOADING") return { kind: "not_uploading" };
    if (avatar.n >= maxPhotos) return { kind: "full" };
    try {
      const [inserted] = await this.d1.batch([
        this.d1
          .prepare(
            `INSERT INTO avatar_photos (id, avatar_id, user_id, minio_key, file_hash, upload_order, validation_status,
               file_size, width, height, format, has_face, quality_score, photo_metadata, created_at, perceptual_hash)
             SELECT ?1, ?2, ?3, ?4, ?5, (SELECT COALESCE(MAX(upload_order), 0) + 1 FROM avatar_photos WHERE avatar_id = ?2),
               ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?16
             WHERE (SELECT status FROM avatars WHERE id = ?2) = 'PHOTOS_UPLOADING'
               AND (SELECT COUNT(*) FROM avatar_photos WHERE avatar_id = ?2) < ?15`,
          )
          .bind(
            photo.id,
            photo.avatarId,
            photo.userId,
            photo.minioKey,
            photo.fileHash,
            photo.validationStatus,
            photo.fileSize,
            photo.width,
            photo.height,
            photo.format,
            photo.hasFace === null ? null : photo.hasFace ? 1 : 0,
            photo.qualityScore,
            JSON.stringify(photo.photoMetadata),
            now.getTime(),
            maxPhotos,
            photo.perceptualHash,
          ),
        this.recountStatement(photo.avatarId, now),
      ]);
      if ((inserted?.meta.changes ?? 0) === 0) return { kind: "full" };
    } catch (error) {
      if (String(error).includes("UNIQUE constraint failed: avatar_photos.avatar_id, avatar_photos.file_hash")) {
        return { kind: "duplicate" };
      }
      throw error;
    }
    const row = await this.d1
      .prepare(
        "SELECT p.upload_order AS o, a.photos_count AS c FROM avatar_photos p JOIN avatars a ON a.id = p.avatar_id WHERE p.id = ?",
      )
      .bind(photo.id)
      .first<{ o: number; c: number }>();
    return { kind: "inserted", uploadOrder: row?.o ?? 0, photosCount: row?.c ?? 0 };
  }

  async findPhotoByHash(avatarId: string, fileHash: string): Promise<AvatarPhoto | null> {
    const row = await this.db.query.avatarPhotos.findFirst({
      where: and(eq(avatarPhotos.avatarId, avatarId), eq(avatarPhotos.fileHash, fileHash)),
    });
    return mapped(row, toPhoto);
  }

  async listPerceptualHashes(avatarId: string): Promise<string[]> {
    const rows = await this.db
      .select({ hash: avatarPhotos.perceptualHash })
      .from(avatarPhotos)
      .where(and(eq(avatarPhotos.avatarId, avatarId), isNotNull(avatarPhotos.perceptualHash)));
    return rows.flatMap((r) => (r.hash ? [r.hash] : []));
  }

  async findOtherAvatarWithHash(
    userId: string,
    avatarId: string,
    fileHash: string,
  ): Promise<{ id: string; name: string | null } | null> {
    const row = await this.d1
      .prepare(
        `SELECT a.id, a.name FROM avatar_photos p JOIN avatars a ON a.id = p.avatar_id
         WHERE p.user_id = ? AND p.file_hash = ? AND p.avatar_id != ? LIMIT 1`,
      )
      .bind(userId, fileHash, avatarId)
      .first<{ id: string; name: string | null }>();
    return row ?? null;
  }

  async countPhotos(avatarId: string): Promise<number> {
    const [row] = await this.db.select({ n: count() }).from(avatarPhotos).where(eq(avatarPhotos.avatarId, avatarId));
    return row?.n ?? 0;
  }

  async listPhotos(avatarId: string, offset: number, limit: number): Promise<Page<AvatarPhoto>> {
    const [items, totals] = await this.db.batch([
      this.db
        .select()
        .from(avatarPhotos)
        .where(eq(avatarPhotos.avatarId, avatarId))
        .orderBy(avatarPhotos.uploadOrder)
        .limit(limit)
        .offset(offset),
      this.db.select({ total: count() }).from(avatarPhotos).where(eq(avatarPhotos.avatarId, avatarId)),
    ]);
    return { items: items.map(toPhoto), total: totals[0]?.total ?? 0 };
  }

  async findPhoto(photoId: string): Promise<AvatarPhoto | null> {
    return mapped(await this.db.query.avatarPhotos.findFirst({ where: eq(avatarPhotos.id, photoId) }), toPhoto);
  }

  async deletePhoto(photoId: string, now: Date): Promise<AvatarPhoto | null> {
    const photo = await this.findPhoto(photoId);
    if (!photo) return null;
    // Two steps through negative numbers keep (avatar_id, upload_order) unique at every row update.
    const [deleted] = await this.d1.batch([
      this.d1.prepare("DELETE FROM avatar_photos WHERE id = ?").bind(photoId),
      this.d1
        .prepare("UPDATE avatar_photos SET upload_order = -(upload_order - 1) WHERE avatar_id = ? AND upload_order > ?")
        .bind(photo.avatarId, photo.uploadOrder),
      this.d1
        .prepare("UPDATE avatar_photos SET upload_order = -upload_order WHERE avatar_id = ? AND upload_order < 0")
        .bind(photo.avatarId),
      this.recountStatement(photo.avatarId, now),
    ]);
    return (deleted?.meta.changes ?? 0) > 0 ? photo : null;
  }

  async listPendingPhotos(avatarId: string, limit: number): Promise<AvatarPhoto[]> {
    const rows = await this.db
      .select()
      .from(avatarPhotos)
      .where(and(eq(avatarPhotos.avatarId, avatarId), eq(avatarPhotos.validationStatus, "PENDING")))
      .orderBy(avatarPhotos.uploadOrder)
      .limit(limit);
    return rows.map(toPhoto);
  }

  async markPhotoValid(
    photoId: string,
    metadata: Partial<PhotoMetadata>,
    now: Date,
    hasFace: true | null = true,
  ): Promise<void> {
    const photo = await this.findPhoto(photoId);
    if (!photo) return;
    await this.d1.batch([
      this.d1
        .prepare("UPDATE avatar_photos SET validation_status = 'VALID', has_face = ?, photo_metadata = ? WHERE id = ?")
        .bind(hasFace ? 1 : null, JSON.stringify({ ...photo.photoMetadata, ...metadata }), photoId),
      this.recountStatement(photo.avatarId, now),
    ]);
  }

  async setPhotoAttributes(photoId: string, attributes: PhotoAttributes | null): Promise<void> {
    await this.d1
      .prepare(
        "UPDATE avatar_photos SET photo_metadata = json_set(photo_metadata, '$.attributes', json(?)) WHERE id = ?",
      )
      .bind(JSON.stringify(attributes), photoId)
      .run();
  }

  async maxPhotoSequence(avatarId: string): Promise<number> {
    const row = await this.d1
      .prepare(
        "SELECT MAX(CAST(json_extract(photo_metadata, '$.seq') AS INTEGER)) AS seq FROM avatar_photos WHERE avatar_id = ?",
      )
      .bind(avatarId)
      .first<{ seq: number | null }>();
    return row?.seq ?? 0;
  }

  private recountStatement(avatarId: string, now: Date): D1PreparedStatement {
    return this.d1
      .prepare(
        `UPDATE avatars SET updated_at = ?2,
           photos_count = (SELECT COUNT(*) FROM avatar_photos WHERE avatar_id = ?1 AND validation_status = 'VALID')
         WHERE id = ?1`,
      )
      .bind(avatarId, now.getTime());
  }

  async setAvatarData(avatarId: string, data: AvatarData, now: Date): Promise<void> {
    await this.db.update(avatars).set({ avatarData: data, updatedAt: now }).where(eq(avatars.id, avatarId));
  }

  async findAvatarByFalRequest(requestId: string): Promise<Avatar | null> {
    return mapped(await this.db.query.avatars.findFirst({ where: eq(avatars.falRequestId, requestId) }), toAvatar);
  }

  async listTrainingsToCheck(
    before: Date,
    limit: number,
  ): Promise<Array<{ id: string; trainingStartedAt: Date | null }>> {
    return this.db
      .select({ id: avatars.id, trainingStartedAt: avatars.trainingStartedAt })
      .from(avatars)
      .where(and(eq(avatars.status, "TRAINING"), sql`COALESCE(${avatars.lastStatusCheckAt}, 0) < ${before.getTime()}`))
      .orderBy(sql`COALESCE(${avatars.lastStatusCheckAt}, 0)`)
      .limit(limit);
  }

  async listStaleTrainingData(before: Date, limit: number): Promise<Avatar[]> {
    const rows = await this.db
      .select()
      .from(avatars)
      .where(sql`json_extract(${avatars.avatarData}, '$.trainingData.createdAt') < ${before.getTime()}`)
      .limit(limit);
    return rows.map(toAvatar);
  }

  async insertGeneration(generation: NewGeneration, now: Date): Promise<{ row: Generation; created: boolean }> {
    const [row] = await this.db
      .insert(generations)
      .values({ ...generation, status: "QUEUED", createdAt: now })
      .onConflictDoNothing({ target: generations.intentKey })
      .returning();
    if (row) return { row: toGeneration(row), created: true };
    const existing = await this.db.query.generations.findFirst({
      where: eq(generations.intentKey, generation.intentKey),
    });
    if (!existing) throw new Error("insert returned no generation");
    return { row: toGeneration(existing), created: false };
  }

  async updateGenerationIf(id: string, expected: GenerationStatus, patch: GenerationPatch): Promise<boolean> {
    const updated = await this.db
      .update(generations)
      .set(patch)
      .where(and(eq(generations.id, id), eq(generations.status, expected)))
      .returning({ id: generations.id });
    return updated.length > 0;
  }

  async listOverdueGenerations(now: Date, limit: number): Promise<Generation[]> {
    const rows = await this.db
      .select()
      .from(generations)
      .where(and(inArray(generations.status, ACTIVE_GENERATION_STATUSES), lt(generations.deadlineAt, now)))
      .orderBy(asc(generations.deadlineAt))
      .limit(limit);
    return rows.map(toGeneration);
  }

  async findGeneration(id: string): Promise<Generation | null> {
    return mapped(await this.db.query.generations.findFirst({ where: eq(generations.id, id) }), toGeneration);
  }

  async findGenerationByFalRequest(requestId: string): Promise<Generation | null> {
    const row = await this.db.query.generations.findFirst({ where: eq(generations.falRequestId, requestId) });
    return mapped(row, toGeneration);
  }

  async findGenerationByIntent(intentKey: string): Promise<Generation | null> {
    const row = await this.db.query.generations.findFirst({ where: eq(generations.intentKey, intentKey) });
    return mapped(row, toGeneration);
  }

  async countActiveGenerations(userId: string): Promise<number> {
    const [row] = await this.db
      .select({ n: count() })
      .from(generations)
      .where(and(eq(generations.userId, userId), inArray(generations.status, ACTIVE_GENERATION_STATUSES)));
    return row?.n ?? 0;
  }

  async listActiveGenerations(avatarId: string): Promise<Generation[]> {
    const rows = await this.db
      .select()
      .from(generations)
      .where(and(eq(generations.avatarId, avatarId), inArray(generations.status, ACTIVE_GENERATION_STATUSES)));
    return rows.map(toGeneration);
  }

  async listGenerations(avatarId: string, offset: number, limit: number): Promise<Page<Generation>> {
    const where = and(eq(generations.avatarId, avatarId), eq(generations.status, "SUCCEEDED"));
    const [items, totals] = await this.db.batch([
      this.db
        .select()
        .from(generations)
        .where(where)
        .orderBy(desc(generations.createdAt), desc(generations.id))
        .limit(limit)
        .offset(offset),
      this.db.select({ total: count() }).from(generations).where(where),
    ]);
    return { items: items.map(toGeneration), total: totals[0]?.total ?? 0 };
  }

  async listGenerationsBeside(
    avatarId: string,
    edge: Date,
    side: "older" | "newer",
    limit: number,
  ): Promise<Generation[]> {
    const older = side === "older";
    const rows = await this.db
      .select()
      .from(generations)
      .where(
        and(
          eq(generations.avatarId, avatarId),
          eq(generations.status, "SUCCEEDED"),
          older ? lt(generations.createdAt, edge) : gt(generations.createdAt, edge),
        ),
      )
      .orderBy(
        ...(older
          ? [desc(generations.createdAt), desc(generations.id)]
          : [asc(generations.createdAt), asc(generations.id)]),
      )
      .limit(limit);
    const items = rows.map(toGeneration);
    return older ? items : items.reverse();
  }

  async completeGeneration(id: string, patch: GenerationPatch, now: Date): Promise<boolean> {
    const [updated] = await this.d1.batch([
      this.d1
        .prepare(
          "UPDATE generations SET status = 'SUCCEEDED', result_keys = ?, options = ?, completed_at = ?, deadline_at = NULL, fal_output = NULL WHERE id = ? AND status = 'DELIVERING'",
        )
        .bind(JSON.stringify(patch.resultKeys ?? []), JSON.stringify(patch.options ?? {}), now.getTime(), id),
      this.d1
        .prepare(
          `UPDATE avatars SET generations_count = (SELECT COUNT(*) FROM generations WHERE avatar_id = avatars.id AND status = 'SUCCEEDED'), updated_at = ?
           WHERE id = (SELECT avatar_id FROM generations WHERE id = ?)`,
        )
        .bind(now.getTime(), id),
    ]);
    return (updated?.meta.changes ?? 0) > 0;
  }

  async deleteGeneration(id: string): Promise<Generation | null> {
    const row = await this.findGeneration(id);
    if (!row) return null;
    await this.d1.batch([
      this.d1.prepare("DELETE FROM generations WHERE id = ?").bind(id),
      this.d1
        .prepare(
          "UPDATE avatars SET generations_count = (SELECT COUNT(*) FROM generations WHERE avatar_id = ?1 AND status = 'SUCCEEDED') WHERE id = ?1",
        )
        .bind(row.avatarId),
    ]);
    return row;
  }

  async getAccessRule(telegramId: number): Promise<AccessRule | null> {
    const row = await this.d1
      .prepare("SELECT rule FROM access_rules WHERE telegram_id = ?")
      .bind(telegramId)
      .first<{ rule: AccessRule }>();
    return row?.rule ?? null;
  }

  async setAccessRule(telegramId: number, rule: AccessRule, actorId: number, now: Date): Promise<AccessRule | null> {
    const [before] = await this.d1.batch([
      this.d1.prepare("SELECT rule FROM access_rules WHERE telegram_id = ?").bind(telegramId),
      this.d1
        .prepare(
          `INSERT INTO access_rules (telegram_id, rule, actor_id, updated_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (telegram_id) DO UPDATE SET rule = excluded.rule, actor_id = excluded.actor_id, updated_at = excluded.updated_at`,
        )
        .bind(telegramId, rule, actorId, now.getTime()),
    ]);
    return (before?.results[0] as { rule: AccessRule } | undefined)?.rule ?? null;
  }

  async isKnownUser(telegramId: number): Promise<boolean> {
    return (await this.d1.prepare("SELECT 1 FROM users WHERE telegram_id = ?").bind(telegramId).first()) !== null;
  }

  async claimJobStart(start: JobStart, limit: JobLimit): Promise<ClaimOutcome> {
    const since = start.startedAt.getTime() - limit.windowMs;
    // One statement decides: D1 runs a batch's statements in order, as one transaction.
    const [, inserted, window] = await this.d1.batch([
      this.d1
        .prepare("DELETE FROM job_starts WHERE user_id = ? AND kind = ? AND started_at <= ?")
        .bind(start.userId, start.kind, since),
      this.d1
        .prepare(
          `INSERT INTO job_starts (id, user_id, kind, started_at) SELECT ?1, ?2, ?3, ?4
           WHERE (SELECT COUNT(*) FROM job_starts WHERE user_id = ?2 AND kind = ?3 AND started_at > ?5) < ?6
           ON CONFLICT (id) DO NOTHING`,
        )
        .bind(start.id, start.userId, start.kind, start.startedAt.getTime(), since, limit.max),
      this.d1
        .prepare("SELECT id, started_at FROM job_starts WHERE user_id = ? AND kind = ? AND started_at > ?")
        .bind(start.userId, start.kind, since),
    ]);
    const starts = (window?.results ?? []) as Array<{ id: string; started_at: number }>;
    if ((inserted?.meta.changes ?? 0) > 0 || starts.some((s) => s.id === start.id)) return { claimed: true };
    return {
      claimed: false,
      retryAt: windowReopensAt(
        starts.map((s) => new Date(s.started_at)),
        limit,
      ),
    };
  }

  async releaseJobStart(id: string): Promise<void> {
    await this.d1.prepare("DELETE FROM job_starts WHERE id = ?").bind(id).run();
  }

  async incrementCounter(name: string, label: string, by = 1): Promise<void> {
    await this.d1
      .prepare(
        "INSERT INTO metrics_counters (name, label, value) VALUES (?, ?, ?) ON CONFLICT (name, label) DO UPDATE SET value = value + excluded.value",
      )
      .bind(name, label, by)
      .run();
  }

  async metrics(now: Date): Promise<MetricsSnapshot> {
    const since = now.getTime() - 14 * 86400_000;
    const duration = "(training_completed_at - training_started_at) / 1000.0";
    const [
      avatarRows,
      trainingCount,
      outcomes,
      generationTotal,
      perDay,
      photoStorage,
      zipStorage,
      generatedStorage,
      refused,
      ledger,
      accessAndLimits,
    ] = await this.d1.batch([
      this.d1.prepare(
        "SELECT COALESCE(avatar_type, 'UNSET') AS type, status, COUNT(*) AS count FROM avatars GROUP BY 1, 2 ORDER BY 1, 2",
      ),
      this.d1.prepare(
        `SELECT COUNT(*) AS n FROM avatars WHERE status = 'COMPLETED' AND training_started_at IS NOT NULL AND training_completed_at IS NOT NULL`,
      ),
      this.d1.prepare(
        `SELECT SUM(status = 'COMPLETED') AS completed, SUM(status = 'ERROR') AS failed, SUM(status = 'CANCELLED') AS cancelled
           FROM avatars WHERE training_started_at IS NOT NULL`,
      ),
      this.d1.prepare("SELECT COUNT(*) AS n FROM generations WHERE status = 'SUCCEEDED'"),
      this.d1
        .prepare(
          `SELECT date(created_at / 1000, 'unixepoch') AS day, COUNT(*) AS count FROM generations
             WHERE status = 'SUCCEEDED' AND created_at >= ? GROUP BY 1 ORDER BY 1`,
        )
        .bind(since),
      this.d1.prepare(
        `SELECT COUNT(*) AS n, COALESCE(SUM(file_size), 0) AS originals,
                  COALESCE(SUM(json_extract(photo_metadata, '$.thumbnailBytes')), 0) AS thumbnails,
                  COALESCE(SUM(json_extract(photo_metadata, '$.processedBytes')), 0) AS processed
           FROM avatar_photos`,
      ),
      this.d1.prepare(
        `SELECT COUNT(*) AS n, COALESCE(SUM(json_extract(avatar_data, '$.trainingData.bytes')), 0) AS bytes
           FROM avatars WHERE json_extract(avatar_data, '$.trainingData.key') IS NOT NULL`,
      ),
      this.d1.prepare(
        `SELECT COALESCE(SUM(json_array_length(result_keys)), 0) AS n, COALESCE(SUM(json_extract(options, '$.bytes')), 0) AS bytes
           FROM generations WHERE status = 'SUCCEEDED'`,
      ),
      this.d1.prepare(
        "SELECT label AS reason, value AS count FROM metrics_counters WHERE name = 'photos_refused' ORDER BY label",
      ),
      this.d1.prepare(
        `SELECT kind, SUM(credits) AS credits, COALESCE(SUM(stars), 0) AS stars, COUNT(*) AS entries
           FROM ledger_entries GROUP BY kind ORDER BY kind`,
      ),
      this.d1.prepare(
        "SELECT name, label, value FROM metrics_counters WHERE name IN ('access_refused', 'limit_hits') ORDER BY name, label",
      ),
    ]);
    const counted = (accessAndLimits?.results ?? []) as Array<{ name: string; label: string; value: number }>;
    const completedTrainings = Number((trainingCount?.results[0] as { n?: number } | undefined)?.n ?? 0);
    const percentile = async (p: number): Promise<number | null> => {
      if (completedTrainings === 0) return null;
      const offset = Math.min(completedTrainings - 1, Math.floor(p * (completedTrainings - 1) + 0.5));
      const row = await this.d1
        .prepare(
          `SELECT ${duration} AS d FROM avatars WHERE status = 'COMPLETED' AND training_started_at IS NOT NULL
           AND training_completed_at IS NOT NULL ORDER BY d LIMIT 1 OFFSET ?`,
        )
        .bind(offset)
        .first<{ d: number }>();
      return row?.d ?? null;
    };
    const photo = photoStorage?.results[0] as { n: number; originals: number; thumbnails: number; processed: number };
    const zip = zipStorage?.results[0] as { n: number; bytes: number };
    const generated = generatedStorage?.results[0] as { n: number; bytes: number };
    const stars = await this.d1.prepare(STARS_TOTALS).first<MetricsSnapshot["stars"]>();
    const outcome = outcomes?.results[0] as {
      completed: number | null;
      failed: number | null;
      cancelled: number | null;
    };
    return {
      avatars: (avatarRows?.results ?? []) as MetricsSnapshot["avatars"],
      trainingSeconds: { count: completedTrainings, median: await percentile(0.5), p95: await percentile(0.95) },
      trainingOutcomes: {
        completed: outcome.completed ?? 0,
        failed: outcome.failed ?? 0,
        cancelled: outcome.cancelled ?? 0,
      },
      generations: {
        total: Number((generationTotal?.results[0] as { n?: number } | undefined)?.n ?? 0),
        perDay: (perDay?.results ?? []) as MetricsSnapshot["generations"]["perDay"],
      },
      storage: [
        { kind: "originals", bytes: photo.originals, objects: photo.n },
        { kind: "thumbnails", bytes: photo.thumbnails, objects: photo.n },
        { kind: "processed", bytes: photo.processed, objects: photo.n },
        { kind: "training_zips", bytes: zip.bytes, objects: zip.n },
        { kind: "generated", bytes: generated.bytes, objects: generated.n },
      ],
      photosRefused: (refused?.results ?? []) as MetricsSnapshot["photosRefused"],
      ledger: (ledger?.results ?? []) as MetricsSnapshot["ledger"],
      stars: stars ?? { received: 0, refunds: 0, refunded: 0 },
      accessRefused: counted.filter((c) => c.name === "access_refused").map((c) => ({ who: c.label, count: c.value })),
      limitHits: counted.filter((c) => c.name === "limit_hits").map((c) => ({ job: c.label, count: c.value })),
    };
  }

  async applyLedgerEntry(entry: LedgerEntryInput): Promise<LedgerOutcome> {
    checkLedgerEntry(entry);
    const rule = LEDGER_RULES[entry.kind];
    const id = crypto.randomUUID();
    const now = Date.now();
    // One batch is one transaction. The entry goes in only if its key is new and the balance covers it;
    // the balance moves only if that very entry (by its fresh id) went in. No read decides before the write.
    const covered = rule.needs === null ? "1" : `${rule.needs} >= ?5`;
    const [, , , result] = await this.d1.batch([
      this.d1
        .prepare(
          "INSERT INTO credit_balances (user_id, available, reserved, updated_at) VALUES (?, 0, 0, ?) ON CONFLICT (user_id) DO NOTHING",
        )
        .bind(entry.userId, now),
      this.d1
        .prepare(
          `INSERT INTO ledger_entries (id, key, user_id, kind, credits, ref, stars, actor_id)
           SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8
           WHERE NOT EXISTS (SELECT 1 FROM ledger_entries WHERE key = ?2)
             AND (SELECT ${covered} FROM credit_balances WHERE user_id = ?3)`,
        )
        .bind(
          id,
          entry.key,
          entry.userId,
          entry.kind,
          entry.credits,
          entry.ref ?? null,
          entry.stars ?? null,
          entry.actorId ?? null,
        ),
      this.d1
        .prepare(
          `UPDATE credit_balances SET available = available + ?1, reserved = reserved + ?2, updated_at = ?3
           WHERE user_id = ?4 AND EXISTS (SELECT 1 FROM ledger_entries WHERE id = ?5)`,
        )
        .bind(rule.available * entry.credits, rule.reserved * entry.credits, now, entry.userId, id),
      this.d1
        .prepare(
          `SELECT b.available, b.reserved, e.id AS entry FROM credit_balances b
           LEFT JOIN ledger_entries e ON e.key = ?2 WHERE b.user_id = ?1`,
        )
        .bind(entry.userId, entry.key),
    ]);
    const row = result?.results[0] as { available: number; reserved: number; entry: string | null } | undefined;
    const balance: Balance = row
      ? { userId: entry.userId, available: row.available, reserved: row.reserved }
      : emptyBalance(entry.userId);
    if (row?.entry === id) return { applied: true, balance };
    return { applied: false, reason: row?.entry ? "duplicate" : "insufficient", balance };
  }

  async getBalance(userId: number): Promise<Balance> {
    const row = await this.db.query.creditBalances.findFirst({ where: eq(creditBalances.userId, userId) });
    return row ? { userId, available: row.available, reserved: row.reserved } : emptyBalance(userId);
  }

  async findLedgerEntry(key: string): Promise<LedgerEntry | undefined> {
    const row = await this.db.query.ledgerEntries.findFirst({ where: eq(ledgerEntries.key, key) });
    return row && toLedgerEntry(row);
  }

  async listLedgerEntries(userId: number, limit: number): Promise<LedgerEntry[]> {
    const rows = await this.db
      .select()
      .from(ledgerEntries)
      .where(eq(ledgerEntries.userId, userId))
      // rowid breaks ties between entries written in the same millisecond, in the order they were written.
      .orderBy(desc(ledgerEntries.createdAt), desc(sql`rowid`))
      .limit(limit);
    return rows.map(toLedgerEntry);
  }

  async getCached<T>(key: string): Promise<{ value: T; updatedAt: Date } | null> {
    const row = await this.db.query.botCache.findFirst({ where: eq(botCache.key, key) });
    return row ? { value: row.value as T, updatedAt: row.updatedAt } : null;
  }

  async putCached(key: string, value: unknown, now: Date): Promise<void> {
    await this.db
      .insert(botCache)
      .values({ key, value, updatedAt: now })
      .onConflictDoUpdate({ target: botCache.key, set: { value: sql`excluded.value`, updatedAt: now } });
  }
}

/** The record a found row maps onto, or null for none. */
function mapped<R, T>(row: R | undefined, map: (row: R) => T): T | null {
  return row === undefined ? null : map(row);
}
