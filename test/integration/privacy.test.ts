import { env } from "cloudflare:workers";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { messagesFor } from "../../src/bot/locales";
import { jpeg, picture } from "../corpus/images";
import type { TelegramStandIn } from "../stand-ins/telegram";
import { userIdOf } from "../support/db";
import { drain, installStandIns, newUser, say, send, tap } from "../support/harness";
import { avatarCollectingPhotos } from "../support/journeys";

let telegram: TelegramStandIn;
let user = newUser();
let photo: Uint8Array;

beforeAll(async () => {
  photo = await jpeg(picture(600, 560, 4));
});

beforeEach(() => {
  ({ telegram } = installStandIns());
  user = newUser();
});

const text = () => telegram.lastBotMessage(user.id).text ?? "";

async function rowsOf(userId: string): Promise<Record<string, number>> {
  const count = async (sql: string) => (await env.DB.prepare(sql).bind(userId).first<{ n: number }>())?.n ?? 0;
  return {
    users: await count("SELECT COUNT(*) AS n FROM users WHERE id = ?"),
    avatars: await count("SELECT COUNT(*) AS n FROM avatars WHERE user_id = ?"),
    photos: await count("SELECT COUNT(*) AS n FROM avatar_photos WHERE user_id = ?"),
    generations: await count("SELECT COUNT(*) AS n FROM generations WHERE user_id = ?"),
  };
}

describe("privacy", () => {
  it("/privacy says what is stored, where, for how long and how to delete it, in both languages", async () => {
    await say(telegram, user, "/privacy");
    for (const part of [
      "What is stored",
      "Where",
      "For how long",
      "How to delete",
      "/deletemydata",
      "AI image service",
    ])
      expect(text()).toContain(part);
    // Where data lives is said in plain words: no provider or storage product names.
    expect(text()).not.toMatch(/fal|Cloudflare|\bD1\b|\bR2\b|PostgreSQL|\bS3\b/);
    const ivan = newUser("ru");
    await say(telegram, ivan, "/privacy");
    expect(telegram.lastBotMessage(ivan.id).text).toContain("Что хранится");
  });

  it("/privacy says which avatars are deleted, after how long and from when, as the cron trigger does it", async () => {
    await say(telegram, user, "/privacy");
    expect(text()).toContain(
      "• Unfinished avatars (drafts, avatars still at “Collecting photos”, and those whose creation was cancelled): deleted with their photos 7 days after their last change (a setup step, a photo added or deleted).",
    );
    expect(text()).toContain("• Training archives: deleted 7 days after they are made.");
    // GENERATION_RETENTION is unset here: pictures stay until the user deletes them.
    expect(text()).not.toContain("Generated pictures:");
    const ivan = newUser("ru");
    await say(telegram, ivan, "/privacy");
    expect(telegram.lastBotMessage(ivan.id).text).toContain(
      "• Незаконченные аватары (черновики, аватары на этапе «Сбор фотографий» и те, чьё создание отменено) удаляются вместе с фотографиями через 7 дней после последнего изменения (шаг настройки, добавленная или удалённая фотография).",
    );
    expect(telegram.lastBotMessage(ivan.id).text).toContain(
      "• Архивы для обучения удаляются через 7 дней после создания.",
    );
  });

  it("states other retention settings exactly, with Russian plural forms", () => {
    const { en, ru } = { en: messagesFor("en").privacy, ru: messagesFor("ru").privacy };
    const keep = (abandonedSeconds: number, archiveSeconds: number, picturesSeconds?: number) => ({
      abandonedSeconds,
      archiveSeconds,
      picturesSeconds,
    });
    const english = en.text(keep(86400, 3 * 3600, 30 * 86400));
    expect(english).toContain("deleted with their photos 1 day after their last change");
    expect(english).toContain("• Training archives: deleted 3 hours after they are made.");
    expect(english).toContain("• Generated pictures: deleted 30 days after they are made.");
    expect(en.text(keep(3600, 90 * 60))).toContain("1 hour after their last change");
    expect(en.text(keep(3600, 90 * 60))).toContain("deleted 90 minutes after they are made");
    for (const [seconds, words] of [
      [86400, "1 день"],
      [21 * 86400, "21 день"],
      [3 * 86400, "3 дня"],
      [22 * 86400, "22 дня"],
      [5 * 86400, "5 дней"],
      [11 * 86400, "11 дней"],
      [14 * 86400, "14 дней"],
      [3600, "1 час"],
      [2 * 3600, "2 часа"],
      [12 * 3600, "12 часов"],
      [60, "1 минуту"],
      [24 * 60, "24 минуты"],
      [90 * 60, "90 минут"],
    ] as const) {
      expect(ru.text(keep(seconds, seconds, seconds))).toContain(`через ${words} после последнего изменения`);
      expect(ru.text(keep(seconds, seconds, seconds))).toContain(
        `• Созданные изображения удаляются через ${words} после создания.`,
      );
    }
  });

  it("/deletemydata says what will go, and afterwards nothing of the user remains", async () => {
    const first = await avatarCollectingPhotos(telegram, user, "One");
    await send(telegram.photoUpdate(user, [{ bytes: photo, width: 600, height: 560 }]));
    await drain(first);
    const userId = await userIdOf(user.id);
    await env.DB.prepare(
      "INSERT INTO generations (id, avatar_id, user_id, prompt, status, fal_request_id, result_keys) VALUES (?, ?, ?, 'p', 'SUCCEEDED', 'req-1', ?)",
    )
      .bind(
        crypto.randomUUID(),
        first,
        userId,
        JSON.stringify([`avatars/user_${userId}/avatar_${first}/generated/gen_001.jpg`]),
      )
      .run();
    await env.BUCKET.put(`avatars/user_${userId}/avatar_${first}/generated/gen_001.jpg`, "jpeg");
    const other = newUser();
    await avatarCollectingPhotos(telegram, other, "Theirs");
    const otherId = await userIdOf(other.id);

    await say(telegram, user, "/deletemydata");
    expect(text()).toContain("1 avatar, 1 photo, 1 set of created pictures");
    await tap(telegram, user, "No, keep my data");
    expect((await rowsOf(userId)).avatars).toBe(1);

    await say(telegram, user, "/deletemydata");
    await tap(telegram, user, "Yes, delete everything");
    expect(text()).toContain("All your data has been deleted");
    expect(await rowsOf(userId)).toEqual({ users: 0, avatars: 0, photos: 0, generations: 0 });
    expect((await env.BUCKET.list({ prefix: `avatars/user_${userId}/` })).objects).toEqual([]);
    expect(
      await env.DB.prepare("SELECT COUNT(*) AS n FROM generations WHERE fal_request_id = 'req-1'").first<{
        n: number;
      }>(),
    ).toEqual({ n: 0 });
    // Someone else's data is untouched, and the user can start again.
    expect((await rowsOf(otherId)).avatars).toBe(1);
    await say(telegram, user, "/start");
    expect(text()).toContain("Hi, Anna!");
  });
});
