import type { UserFromGetMe } from "grammy/types";
import type { Settings } from "../config/settings";
import type { Repository } from "../domain/repository";
import { log } from "../log";
import { telegramApi } from "./api";

const TTL_MS = 24 * 3600 * 1000;
const memo = new Map<string, { info: UserFromGetMe; at: number }>();

/** The bot's getMe answer: from this isolate's memory, then the database, and only then from Telegram. */
export async function getBotInfo(settings: Settings, repo: Repository, now = Date.now()): Promise<UserFromGetMe> {
  const botId = settings.telegramBotToken.split(":")[0] ?? "";
  const key = `getMe:${botId}`;
  const hot = memo.get(key);
  if (hot && now - hot.at < TTL_MS) return hot.info;
  const stored = await repo.getCached<UserFromGetMe>(key);
  if (stored && now - stored.updatedAt.getTime() < TTL_MS) {
    memo.set(key, { info: stored.value, at: stored.updatedAt.getTime() });
    return stored.value;
  }
  const info = await telegramApi(settings).getMe();
  await repo.putCached(key, info, new Date(now));
  memo.set(key, { info, at: now });
  log("info", "bot_info_refreshed", { botId: info.id, username: info.username });
  return info;
}

/** For tests: forget what this isolate remembers. */
export function forgetBotInfo(): void {
  memo.clear();
}
