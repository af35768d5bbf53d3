import { and, asc, count, desc, eq, gt, inArray, isNotNull, isNull, lt, lte, or, type SQL, sql } from "drizzle-orm";
import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import type postgres from "postgres";
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
import { connectPostgres } from "./connect";
import {
  accessRules,
  avatarPhotos,
  avatars,
  botCache,
  creditBalances,
  generations,
  jobStarts,
  ledgerEntries,
  metricsCounters,
  users,
} from "./schema";

type Db = PostgresJsDatabase;
type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

/**
 * Repository over Postgres (through Hyperdrive) with postgres.js under drizzle. Multi-step writes run in
 * real transactions that first lock the avatar's row, so concurrent writers to one avatar queue up.
 */
export class PgRepository implements Repository {
  #client: { sql: postgres.Sql; db: Db } | undefined;
  #busy = 0;
  #calls = 0;

  constructor(private readonly connectionString: string) {}

  /**
   * Runs `work` on this repository's one connection, opened on first use and closed as soon as no call
   * is running: a Worker invocation may hold only six sockets, and Hyperdrive pools the real connections.
   * Calls made back to back (no timer tick between them) share the connection.
   */
  async #run<T>(work: (db: Db) => Promise<T>): Promise<T> {
    const call = ++this.#calls;
    if (!this.#client) {
      const sql = connectPostgres(this.connectionString);
      this.#client = { sql, db: drizzle(sql) };
    }
    this.#busy += 1;
    try {
      return await work(this.#client.db);
    } finally {
      this.#busy -= 1;
      // Closes on the next tick unless another call has started meanwhile.
      if (this.#busy === 0) setTimeout(() => this.#calls === call && this.#close(), 0);
    }
  }

  #close(): void {
    const client = this.#client;
    if (this.#busy > 0 || !client) return;
    this.#client = undefined;
    // Ending only sends Terminate and closes the socket; a failure there leaves nothing to undo.
    client.sql.end().catch(() => {});
  }

  async ping(): Promise<void> {
    await this.#run((db) => db.execute(sql`SELECT 1`));
  }

  async upsertUser(profile: TelegramProfile, now: Date): Promise<User> {
    return this.#run(async (db) => {
      const [row] = await db
        .insert(users)
        .values(newUserValues(profile, now))
        .onConflictDoUpdate({ target: users.telegramId, set: seenAgain(profile, now) })
        .returning();
      if (!row) throw new Error("upsert returned no user");
      return toUser(row);
    });
  }

  async setUserLanguage(userId: string, language: Language): Promise<void> {
    return this.#run(async (db) => {
      await db.update(users).set({ languageCode: language }).where(eq(users.id, userId));
    });
  }

  async findUserByTelegramId(telegramId: number): Promise<User | undefined> {
    return this.#run(async (db) => {
      const [row] = await db.select().from(users).where(eq(users.telegramId, telegramId)).limit(1);
      return row ? toUser(row) : undefined;
    });
  }

  async countUserData(userId: string): Promise<{ avatars: number; photos: number; generations: number }> {
    return this.#run(async (db) => {
      const [row] = await db.execute<{ avatars: number; photos: number; generations: number }>(
        sql`SELECT (SELECT COUNT(*) FROM avatars WHERE user_id = ${userId})::int AS avatars,
                   (SELECT COUNT(*) FROM avatar_photos WHERE user_id = ${userId})::int AS photos,
                   (SELECT COUNT(*) FROM generations WHERE user_id = ${userId} AND status = 'SUCCEEDED')::int AS generations`,
      );
      return row ?? { avatars: 0, photos: 0, generations: 0 };
    });
  }

  async listUserAvatars(userId: string): Promise<Avatar[]> {
    return this.#run(async (db) => {
      return (await db.select().from(avatars).where(eq(avatars.userId, userId))).map(toAvatar);
    });
  }

  async deleteUser(userId: string): Promise<void> {
    return this.#run(async (db) => {
      await db.delete(users).where(eq(users.id, userId));
    });
  }

  async listAbandonedAvatars(before: Date, limit: number): Promise<Avatar[]> {
    return this.#run(async (db) => {
      const rows = await db
        .select()
        .from(avatars)
        .where(
          and(
            // A CANCELLED avatar that was trained is a cancelled training, kept to be trained again.
            or(
              inArray(avatars.status, ["DRAFT", "PHOTOS_UPLOADING"]),
              and(eq(avatars.status, "CANCELLED"), isNull(avatars.trainingStartedAt)),
            ),
            lt(avatars.updatedAt, before),
          ),
        )
        .limit(limit);
      return rows.map(toAvatar);
    });
  }

  async listExpiredGenerations(before: Date, limit: number): Promise<Generation[]> {
    return this.#run(async (db) => {
      const rows = await db
        .select()
        .from(generations)
        .where(and(eq(generations.status, "SUCCEEDED"), lt(generations.createdAt, before)))
        .limit(limit);
      return rows.map(toGeneration);
    });
  }

  async insertAvatar(avatar: NewAvatar, now: Date): Promise<Avatar> {
    return this.#run(async (db) => {
      const [row] = await db
        .insert(avatars)
        .values({ ...avatar, status: "DRAFT", createdAt: now, updatedAt: now })
        .returning();
      if (!row) throw new Error("insert returned no avatar");
      return toAvatar(row);
    });
  }

  async findAvatar(avatarId: string): Promise<Avatar | null> {
    return this.#run(async (db) => {
      return first(db.select().from(avatars).where(eq(avatars.id, avatarId)), toAvatar);
    });
  }

  async listAvatars(userId: string, offset: number, limit: number): Promise<Page<Avatar>> {
    return this.#run(async (db) => {
      const where = eq(avatars.userId, userId);
      return page(
        db
          .select()
          .from(avatars)
          .where(where)
          .orderBy(desc(avatars.createdAt), desc(avatars.id))
          .limit(limit)
          .offset(offset),
        db.select({ total: count() }).from(avatars).where(where),
        toAvatar,
      );
    });
  }

  async updateAvatarIf(avatarId: string, expected: AvatarStatus, patch: AvatarPatch, now: Date): Promise<boolean> {
    return this.#run(async (db) => {
      const result = await db
        .update(avatars)
        .set({ ...patch, updatedAt: now })
        .where(and(eq(avatars.id, avatarId), eq(avatars.status, expected)))
        .returning({ id: avatars.id });
      return result.length === 1;
    });
  }

  async deleteAvatar(avatarId: string): Promise<boolean> {
    return this.#run(async (db) => {
      const result = await db.delete(avatars).where(eq(avatars.id, avatarId)).returning({ id: avatars.id });
      return result.length === 1;
    });
  }

  async insertPhoto(photo: NewPhoto, maxPhotos: number, now: Date): Promise<InsertPhotoResult> {
    return this.#run(async (db) => {
      try {
        return await db.transaction(async (tx): Promise<InsertPhotoResult> => {
          const avatar = await lockAvatar(tx, photo.avatarId);
          if (avatar?.status !== "PHOTOS_UPLOADING") return { kind: "not_uploading" };
          const [held] = await tx
            .select({ n: count(), last: sql<number>`COALESCE(MAX(${avatarPhotos.uploadOrder}), 0)::int` })
            .from(avatarPhotos)
            .where(eq(avatarPhotos.avatarId, photo.avatarId));
          if ((held?.n ?? 0) >= maxPhotos) return { kind: "full" };
          const uploadOrder = (held?.last ?? 0) + 1;
          await tx.insert(avatarPhotos).values({ ...photo, uploadOrder, createdAt: now });
          return { kind: "inserted", uploadOrder, photosCount: await recountPhotos(tx, photo.avatarId, now) };
        });
      } catch (error) {
        if (violates(error, "avatar_photos_avatar_hash_idx")) return { kind: "duplicate" };
        throw error;
      }
    });
  }

  async findPhotoByHash(avatarId: string, fileHash: string): Promise<AvatarPhoto | null> {
    return this.#run(async (db) => {
      return first(
        db
          .select()
          .from(avatarPhotos)
          .where(and(eq(avatarPhotos.avatarId, avatarId), eq(avatarPhotos.fileHash, fileHash))),
        toPhoto,
      );
    });
  }

  async listPerceptualHashes(avatarId: string): Promise<string[]> {
    return this.#run(async (db) => {
      const rows = await db
        .select({ hash: avatarPhotos.perceptualHash })
        .from(avatarPhotos)
        .where(and(eq(avatarPhotos.avatarId, avatarId), isNotNull(avatarPhotos.perceptualHash)));
      return rows.flatMap((r) => (r.hash ? [r.hash] : []));
    });
  }

  async findOtherAvatarWithHash(
    userId: string,
    avatarId: string,
    fileHash: string,
  ): Promise<{ id: string; name: string | null } | null> {
    return this.#run(async (db) => {
      const [row] = await db
        .select({ id: avatars.id, name: avatars.name })
        .from(avatarPhotos)
        .innerJoin(avatars, eq(avatars.id, avatarPhotos.avatarId))
        .where(
          and(
            eq(avatarPhotos.userId, userId),
            eq(avatarPhotos.fileHash, fileHash),
            sql`${avatarPhotos.avatarId} <> ${avatarId}`,
          ),
        )
        .limit(1);
      return row ?? null;
    });
  }

  async countPhotos(avatarId: string): Promise<number> {
    return this.#run(async (db) => {
      const [row] = await db.select({ n: count() }).from(avatarPhotos).where(eq(avatarPhotos.avatarId, avatarId));
      return row?.n ?? 0;
    });
  }

  async listPhotos(avatarId: string, offset: number, limit: number): Promise<Page<AvatarPhoto>> {
    return this.#run(async (db) => {
      const where = eq(avatarPhotos.avatarId, avatarId);
      return page(
        db.select().from(avatarPhotos).where(where).orderBy(avatarPhotos.uploadOrder).limit(limit).offset(offset),
        db.select({ total: count() }).from(avatarPhotos).where(where),
        toPhoto,
      );
    });
  }

  async findPhoto(photoId: string): Promise<AvatarPhoto | null> {
    return this.#run(async (db) => {
      return first(db.select().from(avatarPhotos).where(eq(avatarPhotos.id, photoId)), toPhoto);
    });
  }

  async deletePhoto(photoId: string, now: Date): Promise<AvatarPhoto | null> {
    return this.#run(async (db) => {
      const found = await this.findPhoto(photoId);
      if (!found) return null;
      return db.transaction(async (tx) => {
        await lockAvatar(tx, found.avatarId);
        const [photo] = await tx.delete(avatarPhotos).where(eq(avatarPhotos.id, photoId)).returning();
        if (!photo) return null;
        // Two steps through negative numbers keep (avatar_id, upload_order) unique at every row update.
        await tx.execute(
          sql`UPDATE avatar_photos SET upload_order = -(upload_order - 1)
              WHERE avatar_id = ${photo.avatarId} AND upload_order > ${photo.uploadOrder}`,
        );
        await tx.execute(
          sql`UPDATE avatar_photos SET upload_order = -upload_order WHERE avatar_id = ${photo.avatarId} AND upload_order < 0`,
        );
        await recountPhotos(tx, photo.avatarId, now);
        return toPhoto(photo);
      });
    });
  }

  async listPendingPhotos(avatarId: string, limit: number): Promise<AvatarPhoto[]> {
    return this.#run(async (db) => {
      const rows = await db
        .select()
        .from(avatarPhotos)
        .where(and(eq(avatarPhotos.avatarId, avatarId), eq(avatarPhotos.validationStatus, "PENDING")))
        .orderBy(avatarPhotos.uploadOrder)
        .limit(limit);
      return rows.map(toPhoto);
    });
  }

  async markPhotoValid(
    photoId: string,
    metadata: Partial<PhotoMetadata>,
    now: Date,
    hasFace: true | null = true,
  ): Promise<void> {
    return this.#run(async (db) => {
      await db.transaction(async (tx) => {
        const [photo] = await tx
          .update(avatarPhotos)
          .set({
            validationStatus: "VALID",
            hasFace,
            // A shallow merge, as the D1 implementation's object spread.
            photoMetadata: sql`${avatarPhotos.photoMetadata} || ${JSON.stringify(metadata)}::jsonb`,
          })
          .where(eq(avatarPhotos.id, photoId))
          .returning({ avatarId: avatarPhotos.avatarId });
        if (photo) await recountPhotos(tx, photo.avatarId, now);
      });
    });
  }

  async setPhotoAttributes(photoId: string, attributes: PhotoAttributes | null): Promise<void> {
    return this.#run(async (db) => {
      await db
        .update(avatarPhotos)
        .set({ photoMetadata: sql`${avatarPhotos.photoMetadata} || ${JSON.stringify({ attributes })}::jsonb` })
        .where(eq(avatarPhotos.id, photoId));
    });
  }

  async maxPhotoSequence(avatarId: string): Promise<number> {
    return this.#run(async (db) => {
      const [row] = await db
        .select({ seq: sql<number | null>`MAX((${avatarPhotos.photoMetadata} ->> 'seq')::int)` })
        .from(avatarPhotos)
        .where(eq(avatarPhotos.avatarId, avatarId));
      return row?.seq ?? 0;
    });
  }

  async setAvatarData(avatarId: string, data: AvatarData, now: Date): Promise<void> {
    return this.#run(async (db) => {
      await db.update(avatars).set({ avatarData: data, updatedAt: now }).where(eq(avatars.id, avatarId));
    });
  }

  async findAvatarByFalRequest(requestId: string): Promise<Avatar | null> {
    return this.#run(async (db) => {
      return first(db.select().from(avatars).where(eq(avatars.falRequestId, requestId)), toAvatar);
    });
  }

  async listTrainingsToCheck(
    before: Date,
    limit: number,
  ): Promise<Array<{ id: string; trainingStartedAt: Date | null }>> {
    return this.#run(async (db) => {
      return db
        .select({ id: avatars.id, trainingStartedAt: avatars.trainingStartedAt })
        .from(avatars)
        .where(
          and(
            eq(avatars.status, "TRAINING"),
            or(isNull(avatars.lastStatusCheckAt), lt(avatars.lastStatusCheckAt, before)),
          ),
        )
        .orderBy(sql`${avatars.lastStatusCheckAt} ASC NULLS FIRST`)
        .limit(limit);
    });
  }

  async listStaleTrainingData(before: Date, limit: number): Promise<Avatar[]> {
    return this.#run(async (db) => {
      const rows = await db
        .select()
        .from(avatars)
        .where(sql`(${avatars.avatarData} #>> '{trainingData,createdAt}')::float8 < ${before.getTime()}`)
        .limit(limit);
      return rows.map(toAvatar);
    });
  }

  async insertGeneration(generation: NewGeneration, now: Date): Promise<{ row: Generation; created: boolean }> {
    return this.#run(async (db) => {
      const [row] = await db
        .insert(generations)
        .values({ ...generation, status: "QUEUED", createdAt: now })
        .onConflictDoNothing({ target: generations.intentKey })
        .returning();
      if (row) return { row: toGeneration(row), created: true };
      const existing = await first(
        db.select().from(generations).where(eq(generations.intentKey, generation.intentKey)),
        toGeneration,
      );
      if (!existing) throw new Error("insert returned no generation");
      return { row: existing, created: false };
    });
  }

  async updateGenerationIf(id: string, expected: GenerationStatus, patch: GenerationPatch): Promise<boolean> {
    return this.#run(async (db) => {
      const updated = await db
        .update(generations)
        .set(patch)
        .where(and(eq(generations.id, id), eq(generations.status, expected)))
        .returning({ id: generations.id });
      return updated.length > 0;
    });
  }

  async listOverdueGenerations(now: Date, limit: number): Promise<Generation[]> {
    return this.#run(async (db) => {
      const rows = await db
        .select()
        .from(generations)
        .where(and(inArray(generations.status, ACTIVE_GENERATION_STATUSES), lt(generations.deadlineAt, now)))
        .orderBy(asc(generations.deadlineAt))
        .limit(limit);
      return rows.map(toGeneration);
    });
  }

  async findGeneration(id: string): Promise<Generation | null> {
    return this.#run(async (db) => {
      return first(db.select().from(generations).where(eq(generations.id, id)), toGeneration);
    });
  }

  async findGenerationByFalRequest(requestId: string): Promise<Generation | null> {
    return this.#run(async (db) => {
      return first(db.select().from(generations).where(eq(generations.falRequestId, requestId)), toGeneration);
    });
  }

  async findGenerationByIntent(intentKey: string): Promise<Generation | null> {
    return this.#run(async (db) => {
      return first(db.select().from(generations).where(eq(generations.intentKey, intentKey)), toGeneration);
    });
  }

  async countActiveGenerations(userId: string): Promise<number> {
    return this.#run(async (db) => {
      const [row] = await db
        .select({ n: count() })
        .from(generations)
        .where(and(eq(generations.userId, userId), inArray(generations.status, ACTIVE_GENERATION_STATUSES)));
      return row?.n ?? 0;
    });
  }

  async listActiveGenerations(avatarId: string): Promise<Generation[]> {
    return this.#run(async (db) => {
      const rows = await db
        .select()
        .from(generations)
        .where(and(eq(generations.avatarId, avatarId), inArray(generations.status, ACTIVE_GENERATION_STATUSES)));
      return rows.map(toGeneration);
    });
  }

  async listGenerations(avatarId: string, offset: number, limit: number): Promise<Page<Generation>> {
    return this.#run(async (db) => {
      const where = and(eq(generations.avatarId, avatarId), eq(generations.status, "SUCCEEDED"));
      return page(
        db
          .select()
          .from(generations)
          .where(where)
          .orderBy(desc(generations.createdAt), desc(generations.id))
          .limit(limit)
          .offset(offset),
        db.select({ total: count() }).from(generations).where(where),
        toGeneration,
      );
    });
  }

  async listGenerationsBeside(
    avatarId: string,
    edge: Date,
    side: "older" | "newer",
    limit: number,
  ): Promise<Generation[]> {
    const older = side === "older";
    const rows = await this.#run((db) =>
      db
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
        .limit(limit),
    );
    const items = rows.map(toGeneration);
    return older ? items : items.reverse();
  }

  async completeGeneration(id: string, patch: GenerationPatch, now: Date): Promise<boolean> {
    return this.#run(async (db) => {
      return db.transaction(async (tx) => {
        const [generation] = await tx
          .update(generations)
          .set({
            status: "SUCCEEDED",
            resultKeys: patch.resultKeys ?? [],
            options: patch.options ?? {},
            completedAt: now,
            deadlineAt: null,
            falOutput: null,
          })
          .where(and(eq(generations.id, id), eq(generations.status, "DELIVERING")))
          .returning({ avatarId: generations.avatarId });
        if (!generation) return false;
        await recountGenerations(tx, generation.avatarId, now);
        return true;
      });
    });
  }

  async deleteGeneration(id: string): Promise<Generation | null> {
    return this.#run(async (db) => {
      return db.transaction(async (tx) => {
        const [row] = await tx.delete(generations).where(eq(generations.id, id)).returning();
        if (!row) return null;
        await recountGenerations(tx, row.avatarId, null);
        return toGeneration(row);
      });
    });
  }

  async getAccessRule(telegramId: number): Promise<AccessRule | null> {
    return this.#run(async (db) => {
      const row = await first(
        db.select({ rule: accessRules.rule }).from(accessRules).where(eq(accessRules.telegramId, telegramId)),
        (r) => r.rule,
      );
      return row;
    });
  }

  async setAccessRule(telegramId: number, rule: AccessRule, actorId: number, now: Date): Promise<AccessRule | null> {
    return this.#run(async (db) =>
      db.transaction(async (tx) => {
        const [before] = await tx
          .select({ rule: accessRules.rule })
          .from(accessRules)
          .where(eq(accessRules.telegramId, telegramId))
          .for("update");
        await tx
          .insert(accessRules)
          .values({ telegramId, rule, actorId, updatedAt: now })
          .onConflictDoUpdate({ target: accessRules.telegramId, set: { rule, actorId, updatedAt: now } });
        return before?.rule ?? null;
      }),
    );
  }

  async isKnownUser(telegramId: number): Promise<boolean> {
    return this.#run(async (db) => {
      const [row] = await db.select({ id: users.id }).from(users).where(eq(users.telegramId, telegramId)).limit(1);
      return row !== undefined;
    });
  }

  async claimJobStart(start: JobStart, limit: JobLimit): Promise<ClaimOutcome> {
    const since = new Date(start.startedAt.getTime() - limit.windowMs);
    return this.#run(async (db) =>
      db.transaction(async (tx): Promise<ClaimOutcome> => {
        // The user's row is the lock: one claim per user at a time, whichever avatar it is for.
        await tx.select({ id: users.id }).from(users).where(eq(users.id, start.userId)).for("update");
        const mine = and(eq(jobStarts.userId, start.userId), eq(jobStarts.kind, start.kind));
        await tx.delete(jobStarts).where(and(mine, lte(jobStarts.startedAt, since)));
        const window = await tx
          .select({ id: jobStarts.id, startedAt: jobStarts.startedAt })
          .from(jobStarts)
          .where(and(mine, gt(jobStarts.startedAt, since)));
        if (window.some((s) => s.id === start.id)) return { claimed: true };
        if (window.length >= limit.max) {
          return {
            claimed: false,
            retryAt: windowReopensAt(
              window.map((s) => s.startedAt),
              limit,
            ),
          };
        }
        await tx.insert(jobStarts).values(start).onConflictDoNothing({ target: jobStarts.id });
        return { claimed: true };
      }),
    );
  }

  async releaseJobStart(id: string): Promise<void> {
    return this.#run(async (db) => {
      await db.delete(jobStarts).where(eq(jobStarts.id, id));
    });
  }

  async incrementCounter(name: string, label: string, by = 1): Promise<void> {
    return this.#run(async (db) => {
      await db
        .insert(metricsCounters)
        .values({ name, label, value: by })
        .onConflictDoUpdate({
          target: [metricsCounters.name, metricsCounters.label],
          set: { value: sql`${metricsCounters.value} + excluded.value` },
        });
    });
  }

  async metrics(now: Date): Promise<MetricsSnapshot> {
    return this.#run(async (db) => {
      const since = new Date(now.getTime() - 14 * 86400_000).toISOString();
      const trained = sql`status = 'COMPLETED' AND training_started_at IS NOT NULL AND training_completed_at IS NOT NULL`;
      // One snapshot for every figure, as D1's batch gives.
      return db.transaction(
        async (tx) => {
          const rows = async <T>(query: SQL): Promise<T[]> =>
            [...(await tx.execute<Record<string, unknown>>(query))] as T[];
          const one = async <T>(query: SQL): Promise<T> => (await rows<T>(query))[0] as T;
          // COLLATE "C" orders as SQLite's default (bytewise) collation does.
          const avatarRows = await rows<MetricsSnapshot["avatars"][number]>(
            sql`SELECT COALESCE(avatar_type, 'UNSET') AS type, status, COUNT(*)::int AS count FROM avatars
                GROUP BY 1, 2 ORDER BY COALESCE(avatar_type, 'UNSET') COLLATE "C", status COLLATE "C"`,
          );
          const { n: completedTrainings } = await one<{ n: number }>(
            sql`SELECT COUNT(*)::int AS n FROM avatars WHERE ${trained}`,
          );
          const outcome = await one<MetricsSnapshot["trainingOutcomes"]>(
            sql`SELECT COUNT(*) FILTER (WHERE status = 'COMPLETED')::int AS completed,
                       COUNT(*) FILTER (WHERE status = 'ERROR')::int AS failed,
                       COUNT(*) FILTER (WHERE status = 'CANCELLED')::int AS cancelled
                FROM avatars WHERE training_started_at IS NOT NULL`,
          );
          const percentile = async (p: number): Promise<number | null> => {
            if (completedTrainings === 0) return null;
            const offset = Math.min(completedTrainings - 1, Math.floor(p * (completedTrainings - 1) + 0.5));
            const row = await one<{ d: number } | undefined>(
              sql`SELECT EXTRACT(EPOCH FROM training_completed_at - training_started_at)::float8 AS d FROM avatars
                  WHERE ${trained} ORDER BY d LIMIT 1 OFFSET ${offset}`,
            );
            return row?.d ?? null;
          };
          const { n: generationTotal } = await one<{ n: number }>(
            sql`SELECT COUNT(*)::int AS n FROM generations WHERE status = 'SUCCEEDED'`,
          );
          const perDay = await rows<MetricsSnapshot["generations"]["perDay"][number]>(
            sql`SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, COUNT(*)::int AS count FROM generations
                WHERE status = 'SUCCEEDED' AND created_at >= ${since}::timestamptz GROUP BY 1 ORDER BY 1`,
          );
          const photo = await one<{ n: number; originals: number; thumbnails: number; processed: number }>(
            sql`SELECT COUNT(*)::int AS n, COALESCE(SUM(file_size), 0)::float8 AS originals,
                       COALESCE(SUM((photo_metadata ->> 'thumbnailBytes')::float8), 0) AS thumbnails,
                       COALESCE(SUM((photo_metadata ->> 'processedBytes')::float8), 0) AS processed
                FROM avatar_photos`,
          );
          const zip = await one<{ n: number; bytes: number }>(
            sql`SELECT COUNT(*)::int AS n, COALESCE(SUM((avatar_data #>> '{trainingData,bytes}')::float8), 0) AS bytes
                FROM avatars WHERE avatar_data #>> '{trainingData,key}' IS NOT NULL`,
          );
          const generated = await one<{ n: number; bytes: number }>(
            sql`SELECT COALESCE(SUM(jsonb_array_length(result_keys)), 0)::int AS n,
                       COALESCE(SUM((options ->> 'bytes')::float8), 0) AS bytes
                FROM generations WHERE status = 'SUCCEEDED'`,
          );
          const refused = await rows<MetricsSnapshot["photosRefused"][number]>(
            sql`SELECT label AS reason, value::float8 AS count FROM metrics_counters
                WHERE name = 'photos_refused' ORDER BY label COLLATE "C"`,
          );
          const ledger = await rows<MetricsSnapshot["ledger"][number]>(
            sql`SELECT kind, SUM(credits)::float8 AS credits, COALESCE(SUM(stars), 0)::float8 AS stars,
                       COUNT(*)::int AS entries
                FROM ledger_entries GROUP BY kind ORDER BY kind COLLATE "C"`,
          );
          const stars = await one<MetricsSnapshot["stars"]>(
            sql`SELECT COALESCE(SUM(stars) FILTER (WHERE kind = 'purchase'), 0)::float8 AS received,
                       COUNT(*) FILTER (WHERE kind = 'refund')::int AS refunds,
                       COALESCE(SUM(stars) FILTER (WHERE kind = 'refund'), 0)::float8 AS refunded
                FROM ledger_entries e
                WHERE kind = 'purchase'
                   OR (kind = 'refund' AND NOT EXISTS (SELECT 1 FROM ledger_entries g WHERE g.key = e.key || ':restored'))`,
          );
          const counted = await rows<{ name: string; label: string; value: number }>(
            sql`SELECT name, label, value::float8 AS value FROM metrics_counters
                WHERE name IN ('access_refused', 'limit_hits') ORDER BY name COLLATE "C", label COLLATE "C"`,
          );
          return {
            avatars: avatarRows,
            trainingSeconds: { count: completedTrainings, median: await percentile(0.5), p95: await percentile(0.95) },
            trainingOutcomes: outcome,
            generations: { total: generationTotal, perDay },
            storage: [
              { kind: "originals", bytes: photo.originals, objects: photo.n },
              { kind: "thumbnails", bytes: photo.thumbnails, objects: photo.n },
              { kind: "processed", bytes: photo.processed, objects: photo.n },
              { kind: "training_zips", bytes: zip.bytes, objects: zip.n },
              { kind: "generated", bytes: generated.bytes, objects: generated.n },
            ],
            photosRefused: refused,
            ledger,
            stars,
            accessRefused: counted
              .filter((c) => c.name === "access_refused")
              .map((c) => ({ who: c.label, count: c.value })),
            limitHits: counted.filter((c) => c.name === "limit_hits").map((c) => ({ job: c.label, count: c.value })),
          };
        },
        { isolationLevel: "repeatable read", accessMode: "read only" },
      );
    });
  }

  async applyLedgerEntry(entry: LedgerEntryInput): Promise<LedgerOutcome> {
    checkLedgerEntry(entry);
    const rule = LEDGER_RULES[entry.kind];
    return this.#run(async (db) => {
      try {
        return await db.transaction(async (tx): Promise<LedgerOutcome> => {
          const now = new Date();
          await tx
            .insert(creditBalances)
            .values({ userId: entry.userId, available: 0, reserved: 0, updatedAt: now })
            .onConflictDoNothing();
          // A racing writer of the same key waits here on the unique index until the first commits.
          const [inserted] = await tx
            .insert(ledgerEntries)
            .values({
              id: crypto.randomUUID(),
              key: entry.key,
              userId: entry.userId,
              kind: entry.kind,
              credits: entry.credits,
              ref: entry.ref ?? null,
              stars: entry.stars ?? null,
              actorId: entry.actorId ?? null,
            })
            .onConflictDoNothing({ target: ledgerEntries.key })
            .returning({ id: ledgerEntries.id });
          if (!inserted) return { applied: false, reason: "duplicate", balance: await balanceIn(tx, entry.userId) };
          // The row lock queues racing writers of one user; each sees the balance the one before it left.
          const [moved] = await tx
            .update(creditBalances)
            .set({
              available: sql`${creditBalances.available} + ${rule.available * entry.credits}`,
              reserved: sql`${creditBalances.reserved} + ${rule.reserved * entry.credits}`,
              updatedAt: now,
            })
            .where(
              and(
                eq(creditBalances.userId, entry.userId),
                rule.needs === null ? undefined : sql`${creditBalances[rule.needs]} >= ${entry.credits}`,
              ),
            )
            .returning({ available: creditBalances.available, reserved: creditBalances.reserved });
          if (!moved) throw new NotCovered();
          return { applied: true, balance: { userId: entry.userId, ...moved } };
        });
      } catch (error) {
        if (!(error instanceof NotCovered)) throw error;
        return { applied: false, reason: "insufficient", balance: await balanceIn(db, entry.userId) };
      }
    });
  }

  async getBalance(userId: number): Promise<Balance> {
    return this.#run((db) => balanceIn(db, userId));
  }

  async findLedgerEntry(key: string): Promise<LedgerEntry | undefined> {
    return this.#run(async (db) => {
      const [row] = await db.select().from(ledgerEntries).where(eq(ledgerEntries.key, key)).limit(1);
      return row && toLedgerEntry(row);
    });
  }

  async listLedgerEntries(userId: number, limit: number): Promise<LedgerEntry[]> {
    return this.#run(async (db) => {
      const rows = await db
        .select()
        .from(ledgerEntries)
        .where(eq(ledgerEntries.userId, userId))
        .orderBy(desc(ledgerEntries.createdAt))
        .limit(limit);
      return rows.map(toLedgerEntry);
    });
  }

  async getCached<T>(key: string): Promise<{ value: T; updatedAt: Date } | null> {
    return this.#run(async (db) => {
      const row = await first(db.select().from(botCache).where(eq(botCache.key, key)), (cached) => cached);
      return row ? { value: row.value as T, updatedAt: row.updatedAt } : null;
    });
  }

  async putCached(key: string, value: unknown, now: Date): Promise<void> {
    return this.#run(async (db) => {
      await db
        .insert(botCache)
        .values({ key, value, updatedAt: now })
        .onConflictDoUpdate({ target: botCache.key, set: { value: sql`excluded.value`, updatedAt: now } });
    });
  }
}

/** The first row the query finds, as its record; null for none. */
async function first<R, T>(query: { limit(n: number): PromiseLike<R[]> }, map: (row: R) => T): Promise<T | null> {
  const [row] = await query.limit(1);
  return row === undefined ? null : map(row);
}

async function page<R, T>(
  items: PromiseLike<R[]>,
  totals: PromiseLike<Array<{ total: number }>>,
  map: (row: R) => T,
): Promise<Page<T>> {
  const [rows, [total]] = await Promise.all([items, totals]);
  return { items: rows.map(map), total: total?.total ?? 0 };
}

/** Thrown inside a ledger transaction to roll back an entry the balance does not cover. */
class NotCovered extends Error {}

async function balanceIn(db: Db | Tx, userId: number): Promise<Balance> {
  const [row] = await db
    .select({ available: creditBalances.available, reserved: creditBalances.reserved })
    .from(creditBalances)
    .where(eq(creditBalances.userId, userId))
    .limit(1);
  return row ? { userId, ...row } : emptyBalance(userId);
}

/** Locks the avatar's row for the rest of the transaction: one photo write per avatar at a time. */
async function lockAvatar(tx: Tx, avatarId: string): Promise<{ status: AvatarStatus } | undefined> {
  const [row] = await tx.select({ status: avatars.status }).from(avatars).where(eq(avatars.id, avatarId)).for("update");
  return row;
}

async function recountPhotos(tx: Tx, avatarId: string, now: Date): Promise<number> {
  const [row] = await tx
    .update(avatars)
    .set({
      updatedAt: now,
      photosCount: sql`(SELECT COUNT(*) FROM avatar_photos WHERE avatar_id = ${avatarId} AND validation_status = 'VALID')`,
    })
    .where(eq(avatars.id, avatarId))
    .returning({ photosCount: avatars.photosCount });
  return row?.photosCount ?? 0;
}

/** Recounts succeeded generations; `now` also touches updated_at (a deletion leaves it, as on D1). */
async function recountGenerations(tx: Tx, avatarId: string, now: Date | null): Promise<void> {
  await tx
    .update(avatars)
    .set({
      generationsCount: sql`(SELECT COUNT(*) FROM generations WHERE avatar_id = ${avatarId} AND status = 'SUCCEEDED')`,
      ...(now ? { updatedAt: now } : {}),
    })
    .where(eq(avatars.id, avatarId));
}

/** True when `error` (or what drizzle wrapped) is Postgres refusing a row under this unique index. */
function violates(error: unknown, constraint: string): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    const pg = e as Error & { code?: string; constraint_name?: string };
    if (pg.code === "23505" && pg.constraint_name === constraint) return true;
  }
  return false;
}
