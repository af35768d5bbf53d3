import { and, asc, count, desc, eq, gt, inArray, isNotNull, lt, sql } from "drizzle-orm";
import { type DrizzleD1Database, drizzle } from "drizzle-orm/d1";
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
import { newUserValues, seenAgain, toAvatar, toGeneration, toPhoto, toUser } from "../rows";
import * as schema from "../schema";
import { avatarPhotos, avatars, botCache, generations, users } from "../schema";

/** Repository over D1 through drizzle. D1 has no interactive transactions, so multi-step writes use batch(). */
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
    ]);
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
    };
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
