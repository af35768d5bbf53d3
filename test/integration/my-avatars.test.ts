import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { cb } from "../../src/bot/callback-data";
import type { TelegramStandIn } from "../stand-ins/telegram";
import { avatarsOf, userIdOf } from "../support/db";
import { installStandIns, lastAnswer, newUser, say, send, tap } from "../support/harness";

let telegram: TelegramStandIn;
let user = newUser();

beforeEach(() => {
  ({ telegram } = installStandIns());
  user = newUser();
});

const lastText = () => telegram.lastBotMessage(user.id).text ?? "";

async function createAvatar(owner = user, name = "Look"): Promise<string> {
  await say(telegram, owner, "/start");
  await tap(telegram, owner, /Create|Создать/);
  await tap(telegram, owner, /Character|Персонаж/);
  await tap(telegram, owner, /Male|Мужской/);
  await say(telegram, owner, name);
  const avatars = await avatarsOf(owner.id);
  const avatar = avatars.find((a) => a.name === name);
  if (!avatar) throw new Error("avatar not created");
  return avatar.id;
}

describe("My avatars", () => {
  it("says so when there are none", async () => {
    await say(telegram, user, "/start");
    await tap(telegram, user, "🗂 My avatars");
    expect(lastText()).toContain("You have no avatars yet");
  });

  it("lists avatars newest first, five to a page, with status, photo count and date", async () => {
    for (const name of ["One", "Two", "Three", "Four", "Five", "Six", "Seven"]) await createAvatar(user, name);
    await say(telegram, user, "/start");
    await tap(telegram, user, "🗂 My avatars");
    const first = lastText();
    expect(first).toContain("Your avatars (7), page 1 of 2");
    expect(first.indexOf("Seven")).toBeLessThan(first.indexOf("Three"));
    expect(first).not.toContain("Two");
    expect(first).toContain("📤 Collecting photos · 📸 0 photos (up to 50) · created");

    await tap(telegram, user, "▶️");
    const second = lastText();
    expect(second).toContain("page 2 of 2");
    expect(second).toContain("Two");
    expect(second).toContain("One");
    await tap(telegram, user, "◀️");
    expect(lastText()).toContain("page 1 of 2");
  });

  it("opens a card with the actions its status allows", async () => {
    await createAvatar(user, "Card");
    await say(telegram, user, "/start");
    await tap(telegram, user, "🗂 My avatars");
    await tap(telegram, user, /^Card/);
    expect(lastText()).toContain("Avatar Card\n📤 Collecting photos\nType: 👤 Character\n📸 0 photos (up to 50)");
    await tap(telegram, user, "📤 Continue uploading");
    expect(lastText()).toContain("📸 Avatar Card: 0 of 50 photos");
    expect(lastText()).toContain("Send 5 more photos to reach the minimum of 5.");
  });

  it("shows a cancelled draft and lets the user delete it", async () => {
    await say(telegram, user, "/start");
    await tap(telegram, user, "➕ Create avatar");
    await tap(telegram, user, "✖️ Cancel");
    await tap(telegram, user, "Yes, cancel");
    await tap(telegram, user, "🗂 My avatars");
    expect(lastText()).toContain("Untitled · 🚫 Cancelled");
  });

  it("deletes an avatar after confirmation, with its rows and stored files", async () => {
    const avatarId = await createAvatar(user, "Gone");
    const userId = await userIdOf(user.id);
    const prefix = `avatars/user_${userId}/avatar_${avatarId}/`;
    await env.BUCKET.put(`${prefix}photos/original/photo_001.jpg`, "jpeg");
    await env.BUCKET.put(`${prefix}photos/thumbnails/thumb_001.jpg`, "jpeg");
    const otherId = await createAvatar(user, "Kept");
    await env.BUCKET.put(`avatars/user_${userId}/avatar_${otherId}/photos/original/photo_001.jpg`, "jpeg");

    await say(telegram, user, "/start");
    await tap(telegram, user, "🗂 My avatars");
    await tap(telegram, user, /^Gone/);
    await tap(telegram, user, "🗑 Delete");
    expect(lastText()).toContain("Delete avatar Gone?");
    await tap(telegram, user, "Yes, delete");

    expect(lastAnswer(telegram)).toBe("Avatar deleted.");
    expect((await avatarsOf(user.id)).map((a) => a.name)).toEqual(["Kept"]);
    expect((await env.BUCKET.list({ prefix })).objects).toEqual([]);
    expect((await env.BUCKET.list({ prefix: `avatars/user_${userId}/avatar_${otherId}/` })).objects).toHaveLength(1);
    expect(lastText()).toContain("Your avatars (1)");
  });

  it("keeps the avatar when the user says no", async () => {
    await createAvatar(user, "Stay");
    await say(telegram, user, "/start");
    await tap(telegram, user, "🗂 My avatars");
    await tap(telegram, user, /^Stay/);
    await tap(telegram, user, "🗑 Delete");
    await tap(telegram, user, "No, keep it");
    expect(lastText()).toContain("Stay\n📤 Collecting photos");
    expect(await avatarsOf(user.id)).toHaveLength(1);
  });

  it("answers a second tap on a used delete button plainly, with the list", async () => {
    await createAvatar(user, "Twice");
    await say(telegram, user, "/start");
    await tap(telegram, user, "🗂 My avatars");
    await tap(telegram, user, /^Twice/);
    await tap(telegram, user, "🗑 Delete");
    const confirm = telegram.lastBotMessage(user.id);
    const data = telegram.buttonData(confirm, "Yes, delete");
    await send(telegram.callbackUpdate(user, confirm.message_id, data));
    await send(telegram.callbackUpdate(user, confirm.message_id, data));
    expect(lastAnswer(telegram)).toBe("This avatar has already been deleted.");
    expect(lastText()).toContain("You have no avatars yet");
    expect(await avatarsOf(user.id)).toEqual([]);
  });
});

describe("another user's avatar", () => {
  it.each([
    ["card", (avatarId: string) => cb("card", { avatarId }), "This avatar no longer exists"],
    ["delete", (avatarId: string) => cb("delete", { avatarId }), "This avatar no longer exists"],
    // A confirmation for an avatar that is not there reads as one pressed after it was deleted.
    ["deleteConfirm", (avatarId: string) => cb("deleteConfirm", { avatarId }), "This avatar has already been deleted."],
    ["upload", (avatarId: string) => cb("upload", { avatarId }), "This avatar no longer exists"],
    ["wizardResume", (avatarId: string) => cb("wizardResume", { avatarId }), "This avatar no longer exists"],
    [
      "wizardCancelConfirm",
      (avatarId: string) => cb("wizardCancelConfirm", { avatarId }),
      "This avatar no longer exists",
    ],
    ["wizardType", (avatarId: string) => cb("wizardType", { avatarId, type: "STYLE" }), "This avatar no longer exists"],
  ])("gets the same answer as a missing one for %s, and nothing changes", async (_kind, payload, expected) => {
    const owner = newUser("ru");
    const victimId = await createAvatar(owner, "Чужой");
    const before = await avatarsOf(owner.id);

    await say(telegram, user, "/start");
    const menu = telegram.lastBotMessage(user.id);
    await send(telegram.callbackUpdate(user, menu.message_id, payload(victimId)));
    const foreignAnswer = lastAnswer(telegram);

    await send(telegram.callbackUpdate(user, menu.message_id, payload(crypto.randomUUID())));
    expect(foreignAnswer).toBe(lastAnswer(telegram));
    expect(foreignAnswer).toContain(expected);
    expect(await avatarsOf(owner.id)).toEqual(before);
  });

  it("treats a forged or unknown payload as an out-of-date button", async () => {
    await say(telegram, user, "/start");
    const menu = telegram.lastBotMessage(user.id);
    await send(telegram.callbackUpdate(user, menu.message_id, "ad:../../etc"));
    expect(lastAnswer(telegram)).toContain("out of date");
  });
});
