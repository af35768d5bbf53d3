import { evictDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { messagesFor } from "../../src/bot/locales";
import { type BatchLine, renderUploadProgress } from "../../src/bot/screens/upload-progress";
import { AVATAR_SETTING_DEFAULTS } from "../../src/config/settings";
import type { ObjectStorage } from "../../src/domain/object-storage";
import type { Repository } from "../../src/domain/repository";
import { createRepository, createStorage } from "../../src/wiring";
import { jpeg, picture, png, webp } from "../corpus/images";
import { parseHtml } from "../stand-ins/bot-api-spec";
import type { TelegramStandIn } from "../stand-ins/telegram";
import { avatarsOf, userIdOf } from "../support/db";
import { deliver, drain, installStandIns, lastAnswer, newUser, send, tap } from "../support/harness";
import { avatarCollectingPhotos } from "../support/journeys";

let telegram: TelegramStandIn;
let user = newUser();
let sample: Uint8Array[] = [];

beforeAll(async () => {
  sample = await Promise.all([1, 2, 3, 4, 5, 6, 7].map((seed) => jpeg(picture(640, 600, seed))));
});

beforeEach(() => {
  ({ telegram } = installStandIns());
  user = newUser();
});

const progressText = () => telegram.lastBotMessage(user.id).text ?? "";

// Rows and objects are read through the Repository and ObjectStorage the Worker is configured with,
// so these tests run unchanged on D1 + R2 and on Postgres + S3 (see vitest.config.ts).
async function photosOf(avatarId: string) {
  return (await createRepository(env).listPhotos(avatarId, 0, 1000)).items;
}

async function objectsUnder(prefix: string): Promise<string[]> {
  return (await createStorage(env).list(prefix)).keys.map((o) => o.key).sort();
}

async function sendPhoto(bytes: Uint8Array, mediaGroupId?: string): Promise<void> {
  await send(telegram.photoUpdate(user, [{ bytes, width: 640, height: 600 }], mediaGroupId));
}

describe("uploading photos", () => {
  it("stores an album of five as one batch, with one progress message, and Done makes the avatar ready", async () => {
    const avatarId = await avatarCollectingPhotos(telegram, user);
    const sentBefore = telegram.callsTo("sendMessage").length;
    for (const bytes of sample.slice(0, 5)) await sendPhoto(bytes, "album-1");
    // The webhook only queued them.
    expect(await env.AVATAR_WORKSPACE.getByName(avatarId).pendingCount()).toBe(5);
    expect(telegram.callsTo("getFile")).toHaveLength(0);

    await drain(avatarId);
    expect(telegram.callsTo("sendMessage").length).toBe(sentBefore + 1);
    expect(progressText()).toContain("Me: 5 of 50 photos");
    expect(progressText()).toContain("▰");
    expect(progressText()).toContain("Enough for training");

    const rows = await photosOf(avatarId);
    expect(rows.map((r) => r.uploadOrder)).toEqual([1, 2, 3, 4, 5]);
    expect(rows.every((r) => r.validationStatus === "VALID" && r.hasFace === true && r.format === "jpg")).toBe(true);
    for (const row of rows) expect(row.qualityScore).toBeGreaterThan(0);
    const userId = await userIdOf(user.id);
    const prefix = `avatars/user_${userId}/avatar_${avatarId}/photos/`;
    expect(await objectsUnder(prefix)).toEqual(
      [1, 2, 3, 4, 5]
        .flatMap((n) => {
          const nnn = String(n).padStart(3, "0");
          return [
            `${prefix}original/photo_${nnn}.jpg`,
            `${prefix}processed/crop_${nnn}.jpg`,
            `${prefix}thumbnails/thumb_${nnn}.jpg`,
          ];
        })
        .sort(),
    );
    const original = await createStorage(env).get(`${prefix}original/photo_001.jpg`);
    expect(new Uint8Array((await original?.arrayBuffer()) ?? new ArrayBuffer(0))).toEqual(sample[0]);
    expect((await avatarsOf(user.id))[0]?.photos_count).toBe(5);

    await tap(telegram, user, "✅ Done");
    expect((await avatarsOf(user.id))[0]?.status).toBe("READY_FOR_TRAINING");
    expect(progressText()).toContain("Me is ready for training with 5 photos");
  });

  it("says how many more are needed, and Done below the minimum says so and changes nothing", async () => {
    const avatarId = await avatarCollectingPhotos(telegram, user);
    await sendPhoto(sample[0] as Uint8Array);
    await sendPhoto(sample[1] as Uint8Array);
    await drain(avatarId);
    expect(progressText()).toContain("2 of 50");
    expect(progressText()).toContain("Send 3 more photos to reach the minimum of 5.");
    await tap(telegram, user, "Done (3 more needed)");
    expect(lastAnswer(telegram)).toBe("Add 3 more photos first: training needs at least 5.");
    expect((await avatarsOf(user.id))[0]?.status).toBe("PHOTOS_UPLOADING");
  });

  it("refuses a duplicate within the avatar, and the same photo twice at once stores one", async () => {
    const avatarId = await avatarCollectingPhotos(telegram, user);
    await sendPhoto(sample[0] as Uint8Array, "a");
    await sendPhoto(sample[0] as Uint8Array, "a");
    await drain(avatarId);
    expect(await photosOf(avatarId)).toHaveLength(1);
    expect(progressText()).toContain("Photo 2: already uploaded to this avatar. Send a different photo.");
  });

  it("accepts a photo already in another of the user's avatars, with a gentle note", async () => {
    const first = await avatarCollectingPhotos(telegram, user, "First");
    await sendPhoto(sample[0] as Uint8Array);
    await drain(first);
    const second = await avatarCollectingPhotos(telegram, user, "Second");
    await sendPhoto(sample[0] as Uint8Array);
    await drain(second);
    expect(await photosOf(second)).toHaveLength(1);
    expect(progressText()).toContain("Photo 1 is also in your avatar “First”; added here too.");
  });

  it("keeps exactly 50 when 60 arrive at once, with a dense upload order", async () => {
    const avatarId = await avatarCollectingPhotos(telegram, user);
    const small = await Promise.all(
      Array.from({ length: 60 }, (_, i) => jpeg(picture(520, 512, 100 + i), { quality: 60 })),
    );
    await Promise.all(
      small.map((bytes, i) =>
        send(telegram.photoUpdate(user, [{ bytes, width: 520, height: 512 }], `g${Math.floor(i / 10)}`)),
      ),
    );
    await drain(avatarId);
    const rows = await photosOf(avatarId);
    expect(rows).toHaveLength(50);
    expect(rows.map((r) => r.uploadOrder)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect((await avatarsOf(user.id))[0]?.photos_count).toBe(50);
    expect(progressText()).toContain("50 of 50");
    // The ten refused share one line, numbered in the order they were sent.
    expect(progressText().match(/the avatar already has 50 photos/g)).toHaveLength(1);
    expect(progressText()).toContain(
      "• Photos 51, 52, 53, 54, 55, 56, 57, and 3 more: the avatar already has 50 photos, the most it takes. Delete some to add new ones.",
    );
    const userId = await userIdOf(user.id);
    expect(await objectsUnder(`avatars/user_${userId}/avatar_${avatarId}/`)).toHaveLength(150);
  }, 60_000);

  it("says how to start when a photo arrives with no avatar collecting, and keeps nothing", async () => {
    await send(telegram.textUpdate(user, "/start"));
    await sendPhoto(sample[0] as Uint8Array);
    expect(progressText()).toContain("No avatar is collecting photos right now, so I did not keep this one.");
    expect(telegram.buttonData(telegram.lastBotMessage(user.id), "➕ Create avatar")).toBe("new");
  });
});

describe("the webhook under load", () => {
  it("only queues: ten large files in flight cost the webhook no download and no decode", async () => {
    const avatarId = await avatarCollectingPhotos(telegram, user);
    const large = await jpeg(picture(4096, 3072), { quality: 70 });
    for (let i = 0; i < 10; i++) {
      const response = await deliver(telegram.documentUpdate(user, large, `IMG_${i}.jpg`, { mediaGroupId: "big" }));
      expect(response.status).toBe(200);
    }
    expect(telegram.callsTo("getFile")).toHaveLength(0);
    expect(await env.AVATAR_WORKSPACE.getByName(avatarId).pendingCount()).toBe(10);
    await drain(avatarId);
    // The same picture ten times: stored once, nine refusals in one progress message.
    expect(await photosOf(avatarId)).toHaveLength(1);
    expect(progressText().match(/already uploaded/g)).toHaveLength(1);
    expect(progressText()).toContain(
      "• Photos IMG_1.jpg, IMG_2.jpg, IMG_3.jpg, IMG_4.jpg, IMG_5.jpg, IMG_6.jpg, IMG_7.jpg, and 2 more: already uploaded",
    );
  }, 60_000);

  it("moves the status below the next batch and retires the old one", async () => {
    const avatarId = await avatarCollectingPhotos(telegram, user);
    await sendPhoto(sample[0] as Uint8Array);
    await drain(avatarId);
    const progress = telegram.lastBotMessage(user.id);
    await sendPhoto(sample[1] as Uint8Array);
    await drain(avatarId);
    const chat = telegram.chat(user.id);
    expect(chat.at(-1)?.from_bot).toBe(true);
    expect(chat.at(-1)?.text).toContain("2 of 50");
    expect(chat.at(-1)?.message_id).not.toBe(progress.message_id);
    expect(telegram.messages.has(`${user.id}:${progress.message_id}`)).toBe(false);
    expect(chat.filter((m) => m.text?.includes("of 50 photos"))).toHaveLength(1);
  });
});

describe("photos sent as files", () => {
  it.each([
    ["PNG", async () => png(picture(700, 600)), "portrait.png", "png"],
    ["lossy WEBP", async () => webp(picture(700, 600)), "portrait.webp", "webp"],
    ["lossless WEBP", async () => webp(picture(600, 600), true), "portrait.webp", "webp"],
    ["progressive JPEG", async () => jpeg(picture(900, 700), { progressive: true }), "p.jpg", "jpg"],
  ])("accepts a %s by its bytes, whatever its name says", async (_kind, make, name, format) => {
    const avatarId = await avatarCollectingPhotos(telegram, user);
    await send(telegram.documentUpdate(user, await make(), name, { mimeType: "application/octet-stream" }));
    await drain(avatarId);
    const [row] = await photosOf(avatarId);
    expect(row?.format).toBe(format);
    expect(progressText()).toContain("1 of 50");
  });
});

/** A file name of 255 UTF-16 code units, as long as Telegram passes them: Cyrillic, an emoji, markup characters. */
function longName(n: number): string {
  const stem = `${n}_R&D <черновик> 😀 ${"отпуск_на_море_".repeat(20)}`;
  return `${stem.slice(0, 251)}.jpg`;
}

describe("the progress message within Telegram's 4096 characters", () => {
  it("20 refusals of files with 255-character names fit, and Telegram accepts the message", async () => {
    user = newUser("ru");
    const avatarId = await avatarCollectingPhotos(telegram, user);
    for (let n = 1; n <= 20; n++) {
      const name = longName(n);
      expect(name).toHaveLength(255);
      await send(telegram.documentUpdate(user, new Uint8Array(10), name, { declaredSize: 11 * 1024 * 1024 }));
    }
    await drain(avatarId);
    expect(telegram.calls.filter((c) => !c.ok)).toEqual([]);
    const text = progressText();
    // `text` is what the user sees, measured in UTF-16 code units as Telegram measures it.
    expect(text.length).toBeLessThanOrEqual(4096);
    expect(text).toContain("Не приняты:");
    // One line for the twenty, naming the first seven and counting the rest.
    expect(text.match(/больше 10 МБ/g)).toHaveLength(1);
    expect(text).toContain("\n• Фото 1_R&D <черновик> 😀 отпуск_на_мо…море_отпуск.jpg, 2_R&D");
    // Names are cut in the middle, keeping how they start and end; markup is shown, not parsed.
    expect(text).toContain(", 7_R&D <черновик> 😀 отпуск_на_мо…море_отпуск.jpg и ещё 13: больше 10 МБ.");
  });

  it("folds the oldest lines into one when they would not fit, in both languages", () => {
    const refused = (n: number): BatchLine => ({
      label: { fileName: longName(n), index: n },
      outcome: { kind: "refused", reason: "too_small", width: 320 + n, height: 240 },
    });
    const noted = (n: number): BatchLine => ({
      label: { fileName: longName(n), index: n },
      outcome: {
        kind: "accepted",
        uploadOrder: n,
        photosCount: n,
        alsoIn: `${n}`.padEnd(40, "Я"),
        faceChecked: true,
        photoId: crypto.randomUUID(),
        advice: [],
      },
    });
    const lines = Array.from({ length: 25 }, (_, i) => [refused(i + 1), noted(100 + i)]).flat();
    const render = (language: "en" | "ru") =>
      renderUploadProgress(messagesFor(language), AVATAR_SETTING_DEFAULTS, {
        avatarId: crypto.randomUUID(),
        avatarName: "Имя & <b>".padEnd(40, "ы"),
        count: 25,
        pending: 3,
        awaitingFaceCheck: 2,
        lines,
      }).text;

    for (const [language, more, refusedTitle, notesTitle] of [
      ["en", /^…and (\d+) more$/, "Not accepted:", "Good to know:"],
      ["ru", /^…и ещё (\d+) фото$/, "Не приняты:", "Обратите внимание:"],
    ] as const) {
      const html = render(language);
      const visible = parseHtml(html);
      expect(visible.length).toBeLessThanOrEqual(4096);
      const shown = visible.split("\n");
      // Each list keeps its newest lines, says how many older ones it left out, and counts every line.
      for (const [title, from] of [
        [refusedTitle, 1],
        [notesTitle, 100],
      ] as const) {
        const at = shown.indexOf(title);
        const folded = Number(more.exec(shown[at + 1] ?? "")?.[1]);
        const listed = shown.slice(at + 2).findIndex((line) => !line.startsWith("• "));
        const count = listed === -1 ? shown.length - at - 2 : listed;
        expect(folded + count).toBe(25);
        expect(count).toBeGreaterThan(0);
        expect(shown[at + 1 + count]).toContain(`• ${from + 24}_R&D`);
      }
    }
  });
});

describe("what goes wrong", () => {
  it("refuses a file over 10 MB without downloading it, and one over 20 MB without asking for it", async () => {
    const avatarId = await avatarCollectingPhotos(telegram, user);
    await send(telegram.documentUpdate(user, new Uint8Array(10), "huge.jpg", { declaredSize: 11 * 1024 * 1024 }));
    await send(telegram.documentUpdate(user, new Uint8Array(10), "giant.jpg", { declaredSize: 25 * 1000 * 1000 }));
    await drain(avatarId);
    expect(telegram.callsTo("getFile")).toHaveLength(0);
    expect(progressText()).toContain("Photos huge.jpg and giant.jpg: larger than 10 MB");
    expect(await photosOf(avatarId)).toEqual([]);
    const { photosRefused } = await createRepository(env).metrics(new Date());
    expect(photosRefused.find((r) => r.reason === "too_big")?.count).toBeGreaterThanOrEqual(2);
  });

  it("reports a storage failure in the middle of a batch, keeps the rest and leaves nothing behind", async () => {
    const avatarId = await avatarCollectingPhotos(telegram, user);
    for (const bytes of sample.slice(0, 3)) await sendPhoto(bytes);
    const storage = Object.getPrototypeOf(createStorage(env)) as ObjectStorage;
    const realPut = storage.put;
    let puts = 0;
    storage.put = function (this: ObjectStorage, ...args: Parameters<ObjectStorage["put"]>) {
      puts += 1;
      // The second photo's thumbnail: its original is already stored and must be taken back.
      if (puts === 5) return Promise.reject(new Error("the store is unavailable"));
      return realPut.apply(this, args);
    };
    try {
      await drain(avatarId);
    } finally {
      storage.put = realPut;
    }
    const rows = await photosOf(avatarId);
    expect(rows.map((r) => r.uploadOrder)).toEqual([1, 2]);
    expect(progressText()).toContain("Photo 2: we could not save it. Please send this photo again.");
    const userId = await userIdOf(user.id);
    expect(await objectsUnder(`avatars/user_${userId}/avatar_${avatarId}/`)).toHaveLength(6);
  });

  it("removes the stored objects when the database refuses the row", async () => {
    const avatarId = await avatarCollectingPhotos(telegram, user);
    await sendPhoto(sample[0] as Uint8Array);
    const repo = Object.getPrototypeOf(createRepository(env)) as Repository;
    const realInsert = repo.insertPhoto;
    repo.insertPhoto = () => Promise.reject(new Error("database is locked"));
    try {
      await drain(avatarId);
    } finally {
      repo.insertPhoto = realInsert;
    }
    expect(await photosOf(avatarId)).toEqual([]);
    expect(progressText()).toContain("we could not save it. Please send this photo again.");
    const userId = await userIdOf(user.id);
    expect(await objectsUnder(`avatars/user_${userId}/avatar_${avatarId}/`)).toEqual([]);
    // Sending it again works.
    await sendPhoto(sample[0] as Uint8Array);
    await drain(avatarId);
    expect(await photosOf(avatarId)).toHaveLength(1);
  });

  it("answers the webhook while photos wait, and the queue survives a restart of the object", async () => {
    const avatarId = await avatarCollectingPhotos(telegram, user);
    const response = await deliver(
      telegram.photoUpdate(user, [{ bytes: sample[0] as Uint8Array, width: 640, height: 600 }]),
    );
    expect(response.status).toBe(200);
    const workspace = env.AVATAR_WORKSPACE.getByName(avatarId);
    expect(await workspace.pendingCount()).toBe(1);
    await evictDurableObject(workspace);
    await drain(avatarId);
    expect(await photosOf(avatarId)).toHaveLength(1);
  });
});
