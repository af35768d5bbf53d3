import { env } from "cloudflare:workers";
import type { SessionState } from "../../src/bot/session";

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
  const { results } = await env.DB.prepare(
    "SELECT a.* FROM avatars a JOIN users u ON u.id = a.user_id WHERE u.telegram_id = ? ORDER BY a.created_at",
  )
    .bind(telegramId)
    .all<AvatarRecord>();
  return results;
}

export async function userIdOf(telegramId: number): Promise<string> {
  const row = await env.DB.prepare("SELECT id FROM users WHERE telegram_id = ?")
    .bind(telegramId)
    .first<{ id: string }>();
  if (!row) throw new Error(`no user ${telegramId}`);
  return row.id;
}

export async function countRows(table: string): Promise<number> {
  const row = await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${table}`).first<{ n: number }>();
  return row?.n ?? 0;
}

export async function sessionOf(telegramId: number): Promise<SessionState> {
  return env.CHAT_SESSION.getByName(String(telegramId)).getState();
}

export async function userExists(telegramId: number): Promise<boolean> {
  return (await env.DB.prepare("SELECT 1 FROM users WHERE telegram_id = ?").bind(telegramId).first()) !== null;
}

export async function isProcessed(updateId: number): Promise<boolean> {
  return (await env.DB.prepare("SELECT 1 FROM processed_updates WHERE update_id = ?").bind(updateId).first()) !== null;
}
