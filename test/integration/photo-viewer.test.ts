import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { jpeg, picture } from "../corpus/images";
import type { TelegramStandIn } from "../stand-ins/telegram";
import { avatarsOf, rows, storedKeys, userIdOf } from "../support/db";
import { drain, installStandIns, lastAnswer, newUser, say, send, tap } from "../support/harness";
import { avatarCollectingPhotos } from "../support/journeys";

let telegram: TelegramStandIn;
let user = newUser();
let sample: Uint8Array[] = [];

beforeAll(async () => {
  sample = await Promise.all([1, 2, 3].map((seed) => jpeg(picture(600, 560, seed))));
});

beforeEach(() => {
  ({ telegram } = installStandIns());
  user = newUser();
});

async function withThreePhotos(): Promise<string> {
  const avatarId = await avatarCollectingPhotos(telegram, user);
  for (const bytes of sample) await send(telegram.photoUpdate(user, [{ bytes, width: 600, height: 560 }], "album"));
  await drain(avatarId);
  return avatarId;
}

const photoIds = (avatarId: string) =>
  rows<{ id: string }>("SELECT id FROM avatar_photos WHERE avatar_id = ? ORDER BY upload_order", avatarId);

const caption = () => telegram.lastBotMessage(user.id).caption ?? "";
const buttons = () =>
  (
    telegram.lastBotMessage(user.id).reply_markup as { inline_keyboard: Array<Array<{ text: string }>> }
  ).inline_keyboard.map((row) => row.map((b) => b.text));

describe("the photo viewer", () => {
  it("pages through thumbnails, one photo at a time", async () => {
    await withThreePhotos();
    await tap(telegram, user, "🤳 View photos");
    expect(telegram.callsTo("sendPhoto")).toHaveLength(1);
    expect(caption()).toContain("Photo 1 of 3");
    expect(caption()).toContain("Face: found");
    await tap(telegram, user, "▶️");
    expect(caption()).toContain("Photo 2 of 3");
    expect(telegram.callsTo("editMessageMedia")).toHaveLength(1);
    await tap(telegram, user, "▶️");
    expect(caption()).toContain("Photo 3 of 3");
    await tap(telegram, user, "◀️");
    expect(caption()).toContain("Photo 2 of 3");
  });

  it("deletes a photo after confirmation, renumbers the rest and removes its files", async () => {
    const avatarId = await withThreePhotos();
    await tap(telegram, user, "🤳 View photos");
    await tap(telegram, user, "▶️");
    await tap(telegram, user, "🗑 Delete photo");
    // The question is in the photo's caption, over its answers, for as long as it is open.
    expect(caption()).toBe(
      "🗑 Delete this photo?\nPhoto 2 of 3. It leaves the avatar and its files are removed; this cannot be undone.",
    );
    expect(buttons()).toEqual([["Yes, delete", "No, keep"]]);
    expect(lastAnswer(telegram)).toBeUndefined();
    expect(await photoIds(avatarId)).toHaveLength(3);
    await tap(telegram, user, "Yes, delete");
    expect(lastAnswer(telegram)).toBe("Photo deleted.");
    expect(caption()).toContain("Photo 2 of 2");

    const results = await rows<{ upload_order: number; minio_key: string }>(
      "SELECT upload_order, minio_key FROM avatar_photos WHERE avatar_id = ? ORDER BY upload_order",
      avatarId,
    );
    expect(results.map((r) => r.upload_order)).toEqual([1, 2]);
    expect(results.map((r) => r.minio_key.split("/").at(-1))).toEqual(["photo_001.jpg", "photo_003.jpg"]);
    expect((await avatarsOf(user.id))[0]?.photos_count).toBe(2);
    const userId = await userIdOf(user.id);
    const keys = await storedKeys(`avatars/user_${userId}/avatar_${avatarId}/`);
    expect(keys.filter((k) => k.includes("_002."))).toEqual([]);
    expect(keys).toHaveLength(6);

    // The next photo gets a fresh number, never a deleted one's.
    await send(telegram.photoUpdate(user, [{ bytes: await jpeg(picture(600, 560, 9)), width: 600, height: 560 }]));
    await drain(avatarId);
    const after = await storedKeys(`avatars/user_${userId}/avatar_${avatarId}/photos/original/`);
    expect(after.map((key) => key.split("/").at(-1))).toEqual(["photo_001.jpg", "photo_003.jpg", "photo_004.jpg"]);
  });

  it("goes back from a photo to the avatar's card, and says so when the last photo is deleted", async () => {
    await withThreePhotos();
    await tap(telegram, user, "🤳 View photos");
    await tap(telegram, user, "⬅️ Back");
    expect(telegram.lastBotMessage(user.id).text).toContain("Me\n📤 Collecting photos");
    await tap(telegram, user, "🤳 View photos");
    for (let i = 0; i < 3; i++) {
      await tap(telegram, user, "🗑 Delete photo");
      await tap(telegram, user, "Yes, delete");
    }
    expect(telegram.lastBotMessage(user.id).text).toContain("This avatar has no photos yet");
    expect(telegram.calls.filter((c) => !c.ok)).toEqual([]);
  });

  it("keeps the photo when the user says no", async () => {
    const avatarId = await withThreePhotos();
    await tap(telegram, user, "🤳 View photos");
    await tap(telegram, user, "🗑 Delete photo");
    expect(caption()).toContain("Delete this photo?\nPhoto 1 of 3.");
    await tap(telegram, user, "No, keep");
    expect(caption()).toContain("Photo 1 of 3");
    expect(caption()).not.toContain("Delete");
    expect(buttons()).toEqual([["▶️"], ["🗑 Delete photo"], ["⬅️ Back"]]);
    expect(await photoIds(avatarId)).toHaveLength(3);
  });

  it("refuses another user's photo like a missing one", async () => {
    const avatarId = await withThreePhotos();
    const results = await photoIds(avatarId);
    const stranger = newUser();
    await say(telegram, stranger, "/start");
    const menu = telegram.lastBotMessage(stranger.id);
    await send(telegram.callbackUpdate(stranger, menu.message_id, `pxok:${results[0]?.id}:0`));
    // The same answer a photo already deleted gets: nothing says the photo exists.
    expect(lastAnswer(telegram)).toBe("This photo has already been deleted.");
    expect(await photoIds(avatarId)).toHaveLength(3);
  });

  it("answers a delete confirmation pressed again plainly, and deletes nothing more", async () => {
    const avatarId = await withThreePhotos();
    await tap(telegram, user, "🤳 View photos");
    await tap(telegram, user, "🗑 Delete photo");
    const viewer = telegram.lastBotMessage(user.id);
    const yes = telegram.buttonData(viewer, "Yes, delete");
    await send(telegram.callbackUpdate(user, viewer.message_id, yes));
    await send(telegram.callbackUpdate(user, viewer.message_id, yes));
    expect(lastAnswer(telegram)).toBe("This photo has already been deleted.");
    expect(await photoIds(avatarId)).toHaveLength(2);
  });

  it("deleting the avatar removes its photos' rows and files", async () => {
    const avatarId = await withThreePhotos();
    await say(telegram, user, "/start");
    await tap(telegram, user, "🗂 My avatars");
    await tap(telegram, user, /^Me/);
    await tap(telegram, user, "🗑 Delete");
    await tap(telegram, user, "Yes, delete");
    expect(await photoIds(avatarId)).toEqual([]);
    const userId = await userIdOf(user.id);
    expect(await storedKeys(`avatars/user_${userId}/`)).toEqual([]);
  });
});

describe("compressed photos", () => {
  it("decodes Telegram's pre-scaled variant and stores the largest as the original", async () => {
    const avatarId = await avatarCollectingPhotos(telegram, user);
    const large = await jpeg(picture(2560, 1920), { quality: 60 });
    const medium = await jpeg(picture(1280, 960), { quality: 70 });
    const small = await jpeg(picture(320, 240));
    await send(
      telegram.photoUpdate(user, [
        { bytes: small, width: 320, height: 240 },
        { bytes: medium, width: 1280, height: 960 },
        { bytes: large, width: 2560, height: 1920 },
      ]),
    );
    await drain(avatarId);
    const [photo] = await rows<Record<string, unknown>>(
      "SELECT width, height, file_size FROM avatar_photos WHERE avatar_id = ?",
      avatarId,
    );
    expect(photo).toMatchObject({ width: 2560, height: 1920, file_size: large.length });
    const downloads = telegram.callsTo("getFile").map((c) => c.params.file_id);
    expect(downloads).toHaveLength(2);
  });
});
