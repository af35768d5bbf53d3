import { and, count, desc, eq, lt, sql } from "drizzle-orm";
import { type DrizzleD1Database, drizzle } from "drizzle-orm/d1";
import type { AvatarStatus } from "../../domain/avatar";
import type { AvatarPatch, Language, NewAvatar, Page, Repository, TelegramProfile } from "../repository";
import * as schema from "../schema";
import { avatars, botCache, processedUpdates, users } from "../schema";

/** Repository over D1 through drizzle. D1 has no interactive transactions, so multi-step writes use batch(). */
export class D1Repository implements Repository {
  readonly db: DrizzleD1Database<typeof schema>;

  constructor(d1: D1Database) {
    this.db = drizzle(d1, { schema });
  }

  async upsertUser(profile: TelegramProfile, now: Date): Promise<schema.UserRow> {
    const [row] = await this.db
      .insert(users)
      .values({
        id: crypto.randomUUID(),
        telegramId: profile.telegramId,
        languageCode: profile.languageCode,
        firstName: profile.firstName,
        lastName: profile.lastName,
        username: profile.username,
        createdAt: now,
        lastSeenAt: now,
      })
      .onConflictDoUpdate({
        target: users.telegramId,
        set: { firstName: profile.firstName, lastName: profile.lastName, username: profile.username, lastSeenAt: now },
      })
      .returning();
    if (!row) throw new Error("upsert returned no user");
    return row;
  }

  async setUserLanguage(userId: string, language: Language): Promise<void> {
    await this.db.update(users).set({ languageCode: language }).where(eq(users.id, userId));
  }

  async insertAvatar(avatar: NewAvatar, now: Date): Promise<schema.AvatarRow> {
    const [row] = await this.db
      .insert(avatars)
      .values({ ...avatar, status: "DRAFT", createdAt: now, updatedAt: now })
      .returning();
    if (!row) throw new Error("insert returned no avatar");
    return row;
  }

  async findAvatar(avatarId: string): Promise<schema.AvatarRow | null> {
    const row = await this.db.query.avatars.findFirst({ where: eq(avatars.id, avatarId) });
    return row ?? null;
  }

  async listAvatars(userId: string, offset: number, limit: number): Promise<Page<schema.AvatarRow>> {
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
    return { items, total: totals[0]?.total ?? 0 };
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

  async isUpdateProcessed(updateId: number): Promise<boolean> {
    const row = await this.db.query.processedUpdates.findFirst({ where: eq(processedUpdates.updateId, updateId) });
    return row !== undefined;
  }

  async markUpdateProcessed(updateId: number, now: Date): Promise<void> {
    await this.db.insert(processedUpdates).values({ updateId, processedAt: now }).onConflictDoNothing();
  }

  async pruneProcessedUpdates(before: Date): Promise<number> {
    const result = await this.db
      .delete(processedUpdates)
      .where(lt(processedUpdates.processedAt, before))
      .returning({ id: processedUpdates.updateId });
    return result.length;
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
