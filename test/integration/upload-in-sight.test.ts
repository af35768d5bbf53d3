import { env } from "cloudflare:workers";
import { beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createRepository } from "../../src/wiring";
import { boxDownscale, decodeJpegReference, jpeg, picture } from "../corpus/images";
import type { StoredMessage, TelegramStandIn } from "../stand-ins/telegram";
import { avatarsOf } from "../support/db";
import { drain, handOff, installStandIns, newUser, say, send, settled, tap } from "../support/harness";
import { avatarCollectingPhotos } from "../support/journeys";

let telegram: TelegramStandIn;
let user = newUser();
let sample: Uint8Array[] = [];

beforeAll(async () => {
  sample = await Promise.all(Array.from({ length: 12 }, (_, i) => jpeg(picture(640, 600, 40 + i))));
});

beforeEach(() => {
  ({ telegram } = installStandIns());
  user = newUser();
});

const photoOf = (bytes: Uint8Array, group?: string) =>
  telegram.photoUpdate(user, [{ bytes, width: 640, height: 600 }], group);
const isStatus = (m: StoredMessage) => m.from_bot && /of 50 photos|из 50 фото/.test(m.text ?? "");
const statuses = () => telegram.chat(user.id).filter(isStatus);
const last = () => telegram.chat(user.id).at(-1);

describe("every answer arrives where the user is looking", () => {
  it("puts the status below each batch, and keeps the refusals of both batches readable", async () => {
    const avatarId = await avatarCollectingPhotos(telegram, user);
    await send(photoOf(sample[0] as Uint8Array));
    await send(telegram.documentUpdate(user, new TextEncoder().encode("GIF89a…"), "party.gif"));
    await drain(avatarId);
    expect(last()).toMatchObject({ from_bot: true });
    expect(last()?.text).toContain("party.gif: GIF is not supported");

    await send(telegram.documentUpdate(user, new TextEncoder().encode("%PDF-1.7"), "scan.pdf"));
    await send(photoOf(sample[0] as Uint8Array));
    await drain(avatarId);
    const text = last()?.text ?? "";
    // The status is the last thing in the chat, and there is only one of it.
    expect(isStatus(last() as StoredMessage)).toBe(true);
    expect(statuses()).toHaveLength(1);
    // The GIF's reason survives the PDF's, and the fourth thing sent is called "Photo 4".
    expect(text).toContain("party.gif: GIF is not supported");
    expect(text).toContain("scan.pdf: PDF is not supported");
    expect(text).toContain("Photo 4: already uploaded to this avatar");
    expect(text).not.toContain("Photo 1:");
  });

  it("answers within 2 s of the first photo, while the batch window is still open", async () => {
    await avatarCollectingPhotos(telegram, user);
    const before = telegram.calls.length;
    const sentAt = Date.now();
    const first = photoOf(sample[0] as Uint8Array, "album");
    expect((await handOff(first)).status).toBe(200);
    await settled(first);
    await vi.waitFor(() => expect(telegram.callsTo("sendChatAction").length).toBeGreaterThan(0), { timeout: 2000 });
    const [ack] = telegram.callsTo("sendChatAction");
    expect(ack?.params).toMatchObject({ chat_id: user.id, action: "typing" });
    expect((ack?.at ?? Number.POSITIVE_INFINITY) - sentAt).toBeLessThan(2000);
    // Nothing was downloaded for it: the checks wait for the rest of the album.
    expect(telegram.calls.slice(before).filter((c) => c.method === "getFile" || c.method === "download")).toHaveLength(
      0,
    );
  });

  it("says how many photos it is checking before it checks the first", async () => {
    const avatarId = await avatarCollectingPhotos(telegram, user);
    for (const bytes of sample.slice(0, 6)) await send(photoOf(bytes, "album-6"));
    const firstCheck = telegram.calls.length;
    await drain(avatarId);
    const after = telegram.calls.slice(firstCheck);
    const announced = after.findIndex((c) => c.method === "sendMessage");
    const downloaded = after.findIndex((c) => c.method === "getFile");
    expect(announced).toBeGreaterThanOrEqual(0);
    expect(announced).toBeLessThan(downloaded);
    expect(String(after[announced]?.params.text)).toContain("Checking 6 more");
    expect(last()?.text).toContain("6 of 50 photos");
  });

  it("retires the old status when it cannot be deleted any more (older than 48 hours)", async () => {
    const avatarId = await avatarCollectingPhotos(telegram, user);
    await send(photoOf(sample[0] as Uint8Array));
    await drain(avatarId);
    const old = last() as StoredMessage;
    telegram.failNext("deleteMessage", 400, "Bad Request: message can't be deleted for everyone");
    await send(photoOf(sample[1] as Uint8Array));
    await drain(avatarId);
    expect(last()?.text).toContain("2 of 50 photos");
    const retired = telegram.messages.get(`${user.id}:${old.message_id}`);
    expect(retired?.text).toBe("⬇️ The upload status has moved to the bottom of the chat.");
    expect(JSON.stringify(retired?.reply_markup ?? {})).not.toContain("callback_data");
    expect(statuses()).toHaveLength(1);
  });

  it("tells a user who blocked the bot nothing more, and checks the photos all the same", async () => {
    const avatarId = await avatarCollectingPhotos(telegram, user);
    await send(photoOf(sample[0] as Uint8Array));
    telegram.failNext("sendMessage", 403, "Forbidden: bot was blocked by the user");
    await drain(avatarId);
    expect((await avatarsOf(user.id))[0]?.photos_count).toBe(1);
    expect(telegram.callsTo("deleteMessage")).toHaveLength(0);
  });
});

describe("one truth per number", () => {
  it("/cancel → My avatars → Continue uploading → 8 photos: one live status, and card, status, Done and viewer agree", async () => {
    const avatarId = await avatarCollectingPhotos(telegram, user);
    for (const bytes of sample.slice(0, 3)) await send(photoOf(bytes, "first"));
    await drain(avatarId);
    const oldStatus = last() as StoredMessage;
    expect(oldStatus.text).toContain("3 of 50 photos");

    await say(telegram, user, "/cancel");
    await tap(telegram, user, "🗂 My avatars");
    await tap(telegram, user, /^Me ·/);
    await tap(telegram, user, "📤 Continue uploading");
    const newStatus = last() as StoredMessage;
    expect(newStatus.text).toContain("3 of 50 photos");
    // The old status is gone the moment the new one is made.
    expect(telegram.messages.has(`${user.id}:${oldStatus.message_id}`)).toBe(false);

    for (const bytes of sample.slice(3, 11)) await send(photoOf(bytes, "second"));
    await drain(avatarId);
    expect(statuses()).toHaveLength(1);
    expect(last()?.text).toContain("11 of 50 photos");
    expect((await avatarsOf(user.id))[0]?.photos_count).toBe(11);

    await tap(telegram, user, "🤳 View photos");
    expect(last()?.caption).toMatch(/^Photo 1 of 11\b/);
    await tap(telegram, user, "⬅️ Back");
    expect(last()?.text).toContain("📸 11 photos (up to 50)");
    await tap(telegram, user, "⬅️ My avatars");
    expect(last()?.text).toMatch(/^Your avatars \(1\)\n\n• Me · .*\b11 photos\b/);

    const status = statuses()[0] as StoredMessage;
    await tap(telegram, user, "✅ Done", status.message_id);
    expect(telegram.messages.get(`${user.id}:${status.message_id}`)?.text).toContain(
      "Me is ready for training with 11 photos",
    );
  });

  it("says the same number of missing photos on the status, its Done button and Done's answer", async () => {
    const avatarId = await avatarCollectingPhotos(telegram, user);
    for (const bytes of sample.slice(0, 2)) await send(photoOf(bytes));
    await drain(avatarId);
    const status = last() as StoredMessage;
    expect(status.text).toContain("2 of 50 photos");
    expect(status.text).toContain("Send 3 more");
    await tap(telegram, user, "Done (3 more needed)");
    expect(telegram.callsTo("answerCallbackQuery").at(-1)?.params.text).toMatch(/\b3 more\b/);
  });

  it("follows a deleted photo on the status at once", async () => {
    const avatarId = await avatarCollectingPhotos(telegram, user);
    for (const bytes of sample.slice(0, 6)) await send(photoOf(bytes));
    await drain(avatarId);
    const status = last() as StoredMessage;
    await tap(telegram, user, "🤳 View photos");
    await tap(telegram, user, "🗑 Delete photo");
    await tap(telegram, user, "Yes, delete");
    expect(telegram.messages.get(`${user.id}:${status.message_id}`)?.text).toContain("5 of 50 photos");
    expect(last()?.caption).toMatch(/^Photo 1 of 5\b/);
  });
});

describe("numbers that add up", () => {
  it("fills the bar towards the minimum for training, full at enough", async () => {
    const avatarId = await avatarCollectingPhotos(telegram, user);
    for (const bytes of sample.slice(0, 2)) await send(photoOf(bytes));
    await drain(avatarId);
    expect(last()?.text).toContain("▰▰▰▰▱▱▱▱▱▱ 2 of 5 needed for training");
    for (const bytes of sample.slice(2, 6)) await send(photoOf(bytes));
    await drain(avatarId);
    expect(last()?.text).toContain("▰▰▰▰▰▰▰▰▰▰ enough for training");
    expect(last()?.text).toContain("6 of 50 photos");
  });
});

describe("a photo and the same photo as a file", () => {
  it("count once: the second is refused as already uploaded, in either order", async () => {
    const avatarId = await avatarCollectingPhotos(telegram, user);
    // The file keeps the camera's bytes; the photo is Telegram's smaller, recompressed copy.
    const original = await jpeg(picture(1600, 1200, 77), { quality: 95 });
    const compressed = await jpeg(boxDownscale(await decodeJpegReference(original), 800), {
      quality: 70,
    });
    await send(telegram.documentUpdate(user, original, "IMG_0077.jpg"));
    await send(telegram.photoUpdate(user, [{ bytes: compressed, width: 800, height: 600 }]));
    await send(telegram.photoUpdate(user, [{ bytes: sample[0] as Uint8Array, width: 640, height: 600 }]));
    await drain(avatarId);
    const stored = (await createRepository(env).listPhotos(avatarId, 0, 50)).items;
    expect(stored).toHaveLength(2);
    expect(stored.every((p) => /^[0-9a-f]{16}$/.test(p.perceptualHash ?? ""))).toBe(true);
    expect(last()?.text).toContain("2 of 5 needed for training");
    expect(last()?.text).toContain("Photo 2: already uploaded to this avatar");

    const other = await avatarCollectingPhotos(telegram, user, "Other");
    await send(telegram.photoUpdate(user, [{ bytes: compressed, width: 800, height: 600 }]));
    await send(telegram.documentUpdate(user, original, "IMG_0077.jpg"));
    await drain(other);
    expect((await createRepository(env).listPhotos(other, 0, 50)).items).toHaveLength(1);
    expect(last()?.text).toContain("IMG_0077.jpg: already uploaded to this avatar");
  });
});
