import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { SessionState } from "../../src/bot/session";
import { loadSettings } from "../../src/config/settings";
import { connectPostgres } from "../../src/db/pg/connect";
import { createStorage } from "../../src/wiring";

/** Reads rows with portable SQL (`?` placeholders) from whichever database the Worker is set to use. */
export async function rows<T>(query: string, ...params: Array<string | number>): Promise<T[]> {
  const { database } = loadSettings(env);
  if (database.driver === "d1")
    return (
      await env.DB.prepare(query)
        .bind(...params)
        .all<T>()
    ).results;
  const sql = connectPostgres(database.connectionString);
  try {
    let n = 0;
    return [
      ...(await sql.unsafe(
        query.replace(/\?/g, () => `$${++n}`),
        params,
      )),
    ] as T[];
  } finally {
    await sql.end();
  }
}

export interface AvatarRecord {
  id: string;
  user_id: string;
  name: string | null;
  gender: string | null;
  avatar_type: string | null;
  status: string;
  fal_mode: string | null;
  fal_iterations: number;
  fal_priority: string;
  lora_rank: number;
  trigger_word: string;
  photos_count: number;
}

export async function avatarsOf(telegramId: number): Promise<AvatarRecord[]> {
  return rows<AvatarRecord>(
    "SELECT a.* FROM avatars a JOIN users u ON u.id = a.user_id WHERE u.telegram_id = ? ORDER BY a.created_at",
    telegramId,
  );
}

export async function userIdOf(telegramId: number): Promise<string> {
  const [row] = await rows<{ id: string }>("SELECT id FROM users WHERE telegram_id = ?", telegramId);
  if (!row) throw new Error(`no user ${telegramId}`);
  return row.id;
}

export async function countRows(table: string): Promise<number> {
  const [row] = await rows<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${table}`);
  return Number(row?.n ?? 0);
}

export async function sessionOf(telegramId: number): Promise<SessionState> {
  return env.CHAT_SESSION.getByName(String(telegramId)).getState();
}

export async function userExists(telegramId: number): Promise<boolean> {
  return (await rows("SELECT 1 FROM users WHERE telegram_id = ?", telegramId)).length > 0;
}

/** Whether the user's chat session has taken this update into its inbox. */
export async function isAccepted(telegramId: number, updateId: number): Promise<boolean> {
  return runInDurableObject(env.CHAT_SESSION.getByName(String(telegramId)), async (_, state) => {
    // The inbox is made by the first update the session takes in.
    const sql = state.storage.sql;
    if (sql.exec("SELECT 1 FROM sqlite_master WHERE name = 'inbox'").toArray().length === 0) return false;
    return sql.exec("SELECT 1 FROM inbox WHERE update_id = ?", updateId).toArray().length > 0;
  });
}

/** The keys stored under a prefix, sorted, in whichever storage the Worker is set to use. */
export async function storedKeys(prefix: string): Promise<string[]> {
  const storage = createStorage(env);
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await storage.list(prefix, cursor);
    keys.push(...page.keys.map((k) => k.key));
    cursor = page.cursor;
  } while (cursor);
  return keys.sort();
}
