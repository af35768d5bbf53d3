import { runDurableObjectAlarm } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { cb } from "../../src/bot/callback-data";
import type { ObjectStorage } from "../../src/domain/object-storage";
import { PRESETS, presetsFor, sanitizePrompt } from "../../src/domain/presets";
import { createStorage } from "../../src/wiring";
import { jpeg, picture } from "../corpus/images";
import type { FalStandIn } from "../stand-ins/fal";
import type { TelegramStandIn } from "../stand-ins/telegram";
import { userIdOf } from "../support/db";
import { installStandIns, lastAnswer, newUser, say, send, tap } from "../support/harness";

let telegram: TelegramStandIn;
let fal: FalStandIn;
let user = newUser();
let image: Uint8Array;

beforeAll(async () => {
  image = await jpeg(picture(768, 1024, 3));
});

beforeEach(() => {
  ({ telegram, fal } = installStandIns());
  user = newUser();
});

const LORA = "https://v3.fal.media/files/lora/pytorch_lora_weights.safetensors";

/** A user with a trained avatar, as training leaves it. */
async function trainedAvatar(status = "COMPLETED"): Promise<string> {
  await say(telegram, user, "/start");
  const userId = await userIdOf(user.id);
  const id = crypto.randomUUID();
  await env.DB.prepare(
    `INSERT INTO avatars (id, user_id, name, gender, avatar_type, status, fal_iterations, fal_priority, trigger_word, lora_rank, finetune_id, updated_at)
     VALUES (?, ?, 'Ann', 'FEMALE', 'CHARACTER', ?, 500, 'quality', ?, 32, ?, 0)`,
  )
    .bind(id, userId, status, `ohx${id.slice(0, 7)}`, status === "COMPLETED" ? LORA : null)
    .run();
  return id;
}

async function openMenu(avatarId: string): Promise<void> {
  const menu = telegram.lastBotMessage(user.id);
  await send(telegram.callbackUpdate(user, menu.message_id, `g:${avatarId}`));
}

/** fal finishes the latest job with `count` images; `nsfw` flags some of them. */
async function falDraws(count: number, nsfw: boolean[] = []): Promise<string> {
  const job = fal.job();
  const images = Array.from({ length: count }, (_, i) => {
    const url = `https://v3.fal.media/files/gen/${job.id}_${i}.jpg`;
    fal.media.set(url, { bytes: image, contentType: "image/jpeg" });
    return { url, width: 768, height: 1024, content_type: "image/jpeg" };
  });
  fal.succeed(job.id, {
    images,
    seed: 42,
    has_nsfw_concepts: images.map((_, i) => nsfw[i] ?? false),
    prompt: job.input.prompt,
    timings: { inference: 2.1 },
  });
  const response = await exports.default.fetch(await fal.webhook(job.id));
  expect(response.status).toBe(200);
  return job.id;
}

async function submitted(avatarId: string): Promise<void> {
  await runDurableObjectAlarm(env.AVATAR_WORKSPACE.getByName(avatarId));
}

/** The user picks `preset` from the avatar's menu, and fal draws `count` pictures. */
async function madePictures(avatarId: string, preset: string, count: number): Promise<void> {
  await openMenu(avatarId);
  await tap(telegram, user, preset);
  await submitted(avatarId);
  await falDraws(count);
}

/** How many generated pictures are stored for the avatar. */
async function storedPictures(avatarId: string): Promise<number> {
  const userId = await userIdOf(user.id);
  return (await env.BUCKET.list({ prefix: `avatars/user_${userId}/avatar_${avatarId}/generated/` })).objects.length;
}

async function generations(avatarId: string) {
  const { results } = await env.DB.prepare("SELECT * FROM generations WHERE avatar_id = ? ORDER BY created_at")
    .bind(avatarId)
    .all<Record<string, unknown>>();
  return results;
}

describe("presets", () => {
  it("offers at least 12 for people and some for styles, each in both languages, each with the trigger word", () => {
    expect(presetsFor("CHARACTER").length).toBeGreaterThanOrEqual(12);
    expect(presetsFor("STYLE").length).toBeGreaterThanOrEqual(4);
    for (const preset of PRESETS) {
      expect(preset.title.en).not.toBe("");
      expect(preset.title.ru).not.toBe("");
      expect(preset.prompt("ohxtoken", "woman")).toContain("ohxtoken");
    }
  });

  it("sanitises own prompts", () => {
    expect(sanitizePrompt("  a\u0000 cat\n\ton  the\u202E moon ", "ohx")).toEqual({
      ok: true,
      prompt: "ohx, a cat on the moon",
    });
    expect(sanitizePrompt("OHX at the beach", "ohx")).toEqual({ ok: true, prompt: "OHX at the beach" });
    expect(sanitizePrompt("\u0001\u0002\u0003", "ohx")).toEqual({ ok: false, reason: "empty" });
    expect(sanitizePrompt("x".repeat(501), "ohx")).toEqual({ ok: false, reason: "too_long" });
  });
});

describe("generating pictures", () => {
  it("runs a preset, then an own prompt, then a repeat: albums, rows, objects and the counter", async () => {
    const avatarId = await trainedAvatar();
    await openMenu(avatarId);
    expect(telegram.lastBotMessage(user.id).text).toContain("Ann: what shall we make?");
    expect(telegram.lastBotMessage(user.id).text).toContain("Shape: Portrait 3:4 · 2 pictures at a time");

    await tap(telegram, user, "📸 Portrait studio");
    expect(telegram.lastBotMessage(user.id).text).toContain("Drawing…");
    expect(telegram.callsTo("sendChatAction").at(-1)?.params.action).toBe("upload_photo");
    await submitted(avatarId);
    const first = fal.job();
    expect(first.app).toBe("fal-ai/flux-lora");
    expect(first.input).toMatchObject({
      loras: [{ path: LORA, scale: 1 }],
      image_size: "portrait_4_3",
      num_images: 2,
      enable_safety_checker: true,
    });
    expect(String(first.input.prompt)).toContain("photo of ohx");
    await falDraws(2);
    const album = telegram.callsTo("sendMediaGroup");
    expect(album).toHaveLength(1);
    const media = (album[0]?.params.media ?? []) as Array<{ caption?: string }>;
    // What was asked, in the user's words: never the prompt template nor the trigger word.
    expect(media[0]?.caption).toBe("Ann · Portrait studio · portrait 3:4");

    await tap(telegram, user, "🎨 Another style");
    await tap(telegram, user, "✍️ My prompt");
    await say(telegram, user, "  riding a horse\u0007 on the moon ");
    await submitted(avatarId);
    expect(String(fal.job().input.prompt)).toMatch(/^ohx\w+, riding a horse on the moon$/);
    await falDraws(1);
    expect(telegram.callsTo("sendPhoto").at(-1)?.params.caption).toBe(
      "Ann · your prompt “riding a horse on the moon” · portrait 3:4",
    );

    await tap(telegram, user, "✨ More like this");
    await submitted(avatarId);
    expect(String(fal.job().input.prompt)).toMatch(/riding a horse on the moon$/);
    await falDraws(1);

    const rows = await generations(avatarId);
    expect(rows.map((r) => [r.status, r.preset])).toEqual([
      ["SUCCEEDED", "studio"],
      ["SUCCEEDED", null],
      ["SUCCEEDED", null],
    ]);
    expect(rows.every((r) => typeof r.fal_request_id === "string" && Number.isInteger(r.seed))).toBe(true);
    const userId = await userIdOf(user.id);
    const keys = (
      await env.BUCKET.list({ prefix: `avatars/user_${userId}/avatar_${avatarId}/generated/` })
    ).objects.map((o) => o.key.split("/").at(-1));
    // Named by their generation, so storing a picture again overwrites it instead of orphaning one.
    const named = rows.flatMap((r) => (JSON.parse(String(r.result_keys)) as string[]).map((k) => k.split("/").at(-1)));
    expect(keys.sort()).toEqual(named.sort());
    expect(keys).toHaveLength(4);
    expect(keys.every((k) => /^gen_[0-9a-f-]{36}_\d\.jpg$/.test(k ?? ""))).toBe(true);
    const avatar = await env.DB.prepare("SELECT generations_count FROM avatars WHERE id = ?")
      .bind(avatarId)
      .first<{ generations_count: number }>();
    expect(avatar?.generations_count).toBe(3);
  });

  it("shows a prompt with <, > and & in the picture's caption as it was typed", async () => {
    const avatarId = await trainedAvatar();
    await openMenu(avatarId);
    await tap(telegram, user, "✍️ My prompt");
    await say(telegram, user, "a <b>cat</b> & a dog > a mouse");
    await submitted(avatarId);
    await falDraws(1);
    const pictures = telegram
      .chat(user.id)
      .filter((m) => m.from_bot && m.caption)
      .at(-1);
    expect(pictures?.caption).toBe("Ann · your prompt “a <b>cat</b> & a dog > a mouse” · portrait 3:4");
    // One picture of the two asked for: the second one's credits went back, and the user is told.
    expect(telegram.lastBotMessage(user.id).text).toBe(
      "Fewer pictures came out than you asked for. Those missing cost nothing: 10 credits are back on your balance.",
    );
  });

  it("changes the format and the number of images with one tap each", async () => {
    const avatarId = await trainedAvatar();
    await openMenu(avatarId);
    await tap(telegram, user, "📐 Portrait 3:4");
    await tap(telegram, user, "📐 Stories 9:16");
    await tap(telegram, user, "🔢 2 pictures");
    expect(telegram.lastBotMessage(user.id).text).toContain("Shape: Landscape 16:9 · 3 pictures at a time");
    await tap(telegram, user, "🎬 Cinematic");
    await submitted(avatarId);
    expect(fal.job().input).toMatchObject({ image_size: "landscape_16_9", num_images: 3 });
  });

  it("caps generations running at once and says so", async () => {
    const avatarId = await trainedAvatar();
    await openMenu(avatarId);
    await tap(telegram, user, "🎬 Cinematic");
    const menu = telegram
      .chat(user.id)
      .filter((m) => m.text?.includes("what shall we make"))
      .at(-1);
    await send(telegram.callbackUpdate(user, menu?.message_id ?? 0, `gp:${avatarId}:anime`));
    await send(telegram.callbackUpdate(user, menu?.message_id ?? 0, `gp:${avatarId}:noir`));
    expect(lastAnswer(telegram)).toBe(
      "You already have 2 pictures being made, the most at once. Wait for them to arrive, then try again.",
    );
    expect(await generations(avatarId)).toHaveLength(2);
  });

  it("does not send or store what fal flags as NSFW", async () => {
    const avatarId = await trainedAvatar();
    await openMenu(avatarId);
    await tap(telegram, user, "🏖 Summer beach");
    await submitted(avatarId);
    await falDraws(2, [true, true]);
    expect(telegram.lastBotMessage(user.id).text).toContain("flagged as not safe for work");
    expect(telegram.callsTo("sendMediaGroup")).toHaveLength(0);
    const [row] = await generations(avatarId);
    expect(row).toMatchObject({ status: "FAILED", error: "nsfw" });
    const userId = await userIdOf(user.id);
    expect((await env.BUCKET.list({ prefix: `avatars/user_${userId}/` })).objects).toEqual([]);
  });

  it("ends a fal failure and a timeout with a clear message, never stuck in progress", async () => {
    const avatarId = await trainedAvatar();
    await openMenu(avatarId);
    await tap(telegram, user, "🗡 Fantasy hero");
    await submitted(avatarId);
    fal.fail(fal.job().id, 422, {
      detail: [{ loc: ["body", "loras", 0, "path"], msg: "could not load LoRA", type: "value_error" }],
    });
    await runDurableObjectAlarm(env.AVATAR_WORKSPACE.getByName(avatarId));
    // fal's words (422, the field path) go to the log; the user reads a plain reason and what to do.
    const failure = telegram.lastBotMessage(user.id).text ?? "";
    expect(failure).toContain("The picture could not be made. The service could not work with these photos");
    expect(failure).not.toMatch(/422|loras|LoRA|fal/);
    expect((await generations(avatarId))[0]).toMatchObject({ status: "FAILED", error: "rejected" });

    await tap(telegram, user, "🎨 Another style");
    await tap(telegram, user, "🌃 Cyberpunk");
    await submitted(avatarId);
    await env.DB.prepare("UPDATE generations SET deadline_at = ? WHERE status = 'RUNNING'")
      .bind(Date.now() - 3600_000)
      .run();
    await runDurableObjectAlarm(env.AVATAR_WORKSPACE.getByName(avatarId));
    expect(telegram.lastBotMessage(user.id).text).toContain(
      "It took far longer than it ever should, so I stopped waiting. Try again.",
    );
    expect((await generations(avatarId)).map((g) => g.status)).toEqual(["FAILED", "FAILED"]);
  });

  it("refuses an avatar that is not trained, and another user's avatar", async () => {
    const untrained = await trainedAvatar("READY_FOR_TRAINING");
    await openMenu(untrained);
    expect(lastAnswer(telegram)).toBe("This avatar is not trained yet. Train it first, then create pictures.");
    const owner = user;
    const foreign = await trainedAvatar();
    user = newUser();
    await say(telegram, user, "/start");
    await openMenu(foreign);
    expect(lastAnswer(telegram)).toContain("This avatar no longer exists");
    const menu = telegram.lastBotMessage(user.id);
    await send(telegram.callbackUpdate(user, menu.message_id, `gp:${foreign}:studio`));
    expect(await generations(foreign)).toEqual([]);
    void owner;
  });

  it("refuses an over-long prompt and one made of control characters", async () => {
    const avatarId = await trainedAvatar();
    await openMenu(avatarId);
    await tap(telegram, user, "✍️ My prompt");
    await say(telegram, user, "y".repeat(501));
    expect(telegram.lastBotMessage(user.id).text).toContain("longer than 500 characters");
    await say(telegram, user, "\u0001\u0002\u200B");
    expect(telegram.lastBotMessage(user.id).text).toContain("The description is empty");
    expect(await generations(avatarId)).toEqual([]);
  });
});

/** Messages after this id are the gallery's (set by openGallery). */
let galleryAfter = 0;

/** The gallery's photo messages in the chat now whose caption starts with `start`, oldest first. */
function setMessages(start = "") {
  return telegram
    .chat(user.id)
    .filter((m) => m.message_id > galleryAfter && m.from_bot && m.photo && (m.caption ?? "").startsWith(start));
}

function labels(message: { reply_markup?: unknown } | undefined): string[][] {
  const rows = (message?.reply_markup as { inline_keyboard?: Array<Array<{ text: string }>> } | undefined)
    ?.inline_keyboard;
  return (rows ?? []).map((row) => row.map((button) => button.text));
}

/** The calls made since `from` (an index into telegram.calls). */
const since = (from: number, method: string) => telegram.calls.slice(from).filter((c) => c.method === method);

async function openGallery(avatarId: string): Promise<number> {
  await openMenu(avatarId);
  const from = telegram.calls.length;
  galleryAfter = telegram.lastBotMessage(user.id).message_id;
  await tap(telegram, user, /My pictures|Мои изображения/);
  return from;
}

async function ownPrompt(avatarId: string, words: string, count = 1): Promise<void> {
  await openMenu(avatarId);
  await tap(telegram, user, /My prompt|Свой запрос/);
  await say(telegram, user, words);
  await submitted(avatarId);
  await falDraws(count);
}

/** Every gallery button a set's message can carry, for `generationId`. */
function replays(generationId: string): string[] {
  return [
    cb("genSend", { generationId }),
    cb("genRepeat", { generationId }),
    cb("genDelete", { generationId, page: 0 }),
    cb("genDeleteConfirm", { generationId }),
    cb("genDeleteKeep", { generationId }),
  ];
}

const SET_BUTTONS = [["✨ More like this"], ["📨 Send again", "🗑 Delete"]];

describe("the gallery", () => {
  it("shows each set as its picture, captioned and with its own three buttons, a page at a time with the pager last", async () => {
    const avatarId = await trainedAvatar();
    await madePictures(avatarId, "📸 Portrait studio", 2);
    await ownPrompt(avatarId, "reading a book in a rainy café, candles and an old cat on the table");
    await madePictures(avatarId, "🎬 Cinematic", 1);
    await openMenu(avatarId);
    await tap(telegram, user, "📐 Portrait 3:4");
    await tap(telegram, user, "📐 Stories 9:16");
    await tap(telegram, user, "🌸 Anime");
    await submitted(avatarId);
    await falDraws(2);

    const from = await openGallery(avatarId);
    const shown = since(from, "sendPhoto");
    expect(shown.map((c) => String(c.params.caption).split("\n")[0])).toEqual([
      "Ann · Anime · landscape 16:9",
      "Ann · Cinematic · portrait 3:4",
      "Ann · your prompt “reading a book in a rainy café, candles…” · portrait 3:4",
    ]);
    expect(String(shown[0]?.params.caption)).toMatch(/^Ann · Anime · landscape 16:9\n2 pictures · \d+ \w+ \d{4}$/);
    expect(String(shown[1]?.params.caption)).toContain("\n1 picture · ");
    // Telegram already has the pictures: they are shown by file id, not uploaded again.
    const rows = await generations(avatarId);
    const fileIds = rows.map((r) => (JSON.parse(String(r.options)) as { fileIds: string[] }).fileIds[0]);
    expect(shown.map((c) => c.params.photo)).toEqual([fileIds[3], fileIds[2], fileIds[1]]);
    for (const message of setMessages("Ann · ")) expect(labels(message)).toEqual(SET_BUTTONS);
    for (const call of shown) {
      expect(String(call.params.caption)).not.toMatch(/ohx|photo of|studio portrait|cel shading|film still/);
    }
    const pager = telegram.lastBotMessage(user.id);
    expect(pager.text).toBe("🏞 Pictures of Ann, newest first. Older ones: tap “Older ▶️”.");
    expect(labels(pager)).toEqual([["Older ▶️"], ["⬅️ Back"]]);

    const older = telegram.calls.length;
    await tap(telegram, user, "Older ▶️");
    expect(since(older, "deleteMessage").map((c) => c.params.message_id)).toEqual([pager.message_id]);
    expect(since(older, "sendPhoto").map((c) => String(c.params.caption).split("\n")[0])).toEqual([
      "Ann · Portrait studio · portrait 3:4",
    ]);
    expect(telegram.lastBotMessage(user.id).text).toBe("🏞 Pictures of Ann, newest first. That is all of them.");
    expect(labels(telegram.lastBotMessage(user.id))).toEqual([["◀️ Newer"], ["⬅️ Back"]]);

    const newer = telegram.calls.length;
    await tap(telegram, user, "◀️ Newer");
    expect(since(newer, "sendPhoto")).toHaveLength(3);
    expect(since(newer, "sendPhoto")[0]?.params.caption).toContain("Anime");
    expect(labels(telegram.lastBotMessage(user.id))).toEqual([["Older ▶️"], ["⬅️ Back"]]);
  }, 60_000);

  it("captions in Russian from what was asked, with Russian plural forms, and asks before deleting in Russian", async () => {
    user = newUser("ru");
    const avatarId = await trainedAvatar();
    await madePictures(avatarId, "🎬 Кинокадр", 2);
    const album = telegram.callsTo("sendMediaGroup").at(-1)?.params.media as Array<{ caption?: string }>;
    expect(album[0]?.caption).toBe("Ann · Кинокадр · портрет 3:4");
    await ownPrompt(avatarId, "верхом на лошади по луне");
    expect(telegram.callsTo("sendPhoto").at(-1)?.params.caption).toBe(
      "Ann · ваш запрос «верхом на лошади по луне» · портрет 3:4",
    );

    const from = await openGallery(avatarId);
    const captions = since(from, "sendPhoto").map((c) => String(c.params.caption));
    expect(captions[0]).toMatch(/^Ann · ваш запрос «верхом на лошади по луне» · портрет 3:4\n1 изображение · /);
    expect(captions[1]).toMatch(/^Ann · Кинокадр · портрет 3:4\n2 изображения · /);
    expect(labels(setMessages("Ann · Кинокадр")[0])).toEqual([["✨ Ещё такие"], ["📨 Прислать снова"], ["🗑 Удалить"]]);
    expect(telegram.lastBotMessage(user.id).text).toBe(
      "🏞 Изображения аватара «Ann», сначала новые. Это все изображения.",
    );

    const cinema = setMessages("Ann · Кинокадр")[0];
    await tap(telegram, user, "🗑 Удалить", cinema?.message_id);
    expect(setMessages("🗑")[0]?.caption).toBe(
      "🗑 Удалить эти изображения?\nAnn · Кинокадр · портрет 3:4\n2 изображения удалятся безвозвратно.",
    );
    await tap(telegram, user, "Да, удалить", cinema?.message_id);
    expect(lastAnswer(telegram)).toBe("Удалено.");
    expect(telegram.messages.get(`${user.id}:${cinema?.message_id}`)?.caption).toBe(
      "🗑 Удалено: Ann · Кинокадр · портрет 3:4",
    );
  }, 60_000);

  it("asks before deleting, in the set's own message; then deletes its row and pictures and leaves every other set as it was", async () => {
    const avatarId = await trainedAvatar();
    await madePictures(avatarId, "📸 Portrait studio", 1);
    await madePictures(avatarId, "🎬 Cinematic", 2);
    await madePictures(avatarId, "🌸 Anime", 1);
    await openGallery(avatarId);
    const cinema = setMessages("Ann · Cinematic")[0];
    const others = () =>
      setMessages()
        .filter((m) => m.message_id !== cinema?.message_id)
        .map((m) => ({ id: m.message_id, caption: m.caption, buttons: labels(m), edited: m.edited ?? false }));
    const before = others();
    const cinemaId = String((await generations(avatarId)).find((r) => r.preset === "cinema")?.id);
    expect(before.map((m) => m.caption?.split("\n")[0])).toEqual([
      "Ann · Anime · portrait 3:4",
      "Ann · Portrait studio · portrait 3:4",
    ]);

    await tap(telegram, user, "🗑 Delete", cinema?.message_id);
    const asking = telegram.messages.get(`${user.id}:${cinema?.message_id}`);
    expect(asking?.caption).toBe(
      "🗑 Delete these pictures?\nAnn · Cinematic · portrait 3:4\nBoth pictures will be deleted for good.",
    );
    expect(labels(asking)).toEqual([["Yes, delete", "No, keep"]]);
    expect(await generations(avatarId)).toHaveLength(3);
    expect(await storedPictures(avatarId)).toBe(4);

    await tap(telegram, user, "No, keep", cinema?.message_id);
    const kept = telegram.messages.get(`${user.id}:${cinema?.message_id}`);
    expect(kept?.caption).toMatch(/^Ann · Cinematic · portrait 3:4\n2 pictures · /);
    expect(labels(kept)).toEqual(SET_BUTTONS);

    await tap(telegram, user, "🗑 Delete", cinema?.message_id);
    await tap(telegram, user, "Yes, delete", cinema?.message_id);
    expect(lastAnswer(telegram)).toBe("Deleted.");
    const gone = telegram.messages.get(`${user.id}:${cinema?.message_id}`);
    expect(gone?.caption).toBe("🗑 Deleted: Ann · Cinematic · portrait 3:4");
    expect(labels(gone)).toEqual([]);
    // Nothing renumbered or redrawn under the finger.
    expect(others()).toEqual(before);
    const rows = await generations(avatarId);
    expect(rows.map((r) => r.preset)).toEqual(["studio", "anime"]);
    const userId = await userIdOf(user.id);
    const stored = (
      await env.BUCKET.list({ prefix: `avatars/user_${userId}/avatar_${avatarId}/generated/` })
    ).objects.map((o) => o.key);
    expect(stored.sort()).toEqual(rows.flatMap((r) => JSON.parse(String(r.result_keys)) as string[]).sort());
    const count = await env.DB.prepare("SELECT generations_count FROM avatars WHERE id = ?")
      .bind(avatarId)
      .first<{ generations_count: number }>();
    expect(count?.generations_count).toBe(2);

    // Its old buttons, tapped again or replayed, say plainly that the set is gone.
    for (const data of replays(cinemaId)) {
      await send(telegram.callbackUpdate(user, cinema?.message_id ?? 0, data));
      expect(lastAnswer(telegram)).toBe("These pictures are no longer in your gallery: they were deleted.");
    }
    expect(await generations(avatarId)).toHaveLength(2);
  }, 60_000);

  it("answers another user's set plainly, as a missing one, and touches nothing", async () => {
    const avatarId = await trainedAvatar();
    await madePictures(avatarId, "📸 Portrait studio", 2);
    const [row] = await generations(avatarId);
    const owner = user;
    user = newUser();
    await say(telegram, user, "/start");
    const menu = telegram.lastBotMessage(user.id);
    const from = telegram.calls.length;
    for (const data of replays(String(row?.id))) {
      await send(telegram.callbackUpdate(user, menu.message_id, data));
      expect(lastAnswer(telegram)).toBe("These pictures are no longer in your gallery: they were deleted.");
    }
    expect(since(from, "sendPhoto")).toEqual([]);
    expect(since(from, "sendMediaGroup")).toEqual([]);
    expect(telegram.lastBotMessage(user.id).text).toBe(menu.text);
    user = owner;
    expect(await generations(avatarId)).toHaveLength(1);
    expect(await storedPictures(avatarId)).toBe(2);
  });

  it("sends a set again as an album by the file ids Telegram has, or from storage when it no longer knows them", async () => {
    const avatarId = await trainedAvatar();
    await madePictures(avatarId, "🎬 Cinematic", 3);
    await openGallery(avatarId);
    const [row] = await generations(avatarId);
    const fileIds = (JSON.parse(String(row?.options)) as { fileIds: string[] }).fileIds;
    const set = setMessages("Ann · Cinematic")[0];

    let from = telegram.calls.length;
    await tap(telegram, user, "📨 Send again", set?.message_id);
    const [album] = since(from, "sendMediaGroup");
    const media = album?.params.media as Array<{ media: string; caption?: string }>;
    expect(media.map((m) => m.media)).toEqual(fileIds);
    expect(media[0]?.caption).toBe("Ann · Cinematic · portrait 3:4");
    expect(labels(telegram.lastBotMessage(user.id))).toEqual([["✨ More like this"], ["🎨 Another style"], ["⬅️ Back"]]);

    telegram.failNext("sendMediaGroup", 400, "Bad Request: wrong file identifier/HTTP URL specified");
    from = telegram.calls.length;
    await tap(telegram, user, "📨 Send again", set?.message_id);
    const sent = since(from, "sendMediaGroup").filter((c) => c.ok);
    expect(sent).toHaveLength(1);
    const uploaded = sent[0]?.params.media as Array<{ media: string }>;
    expect(uploaded.every((m) => m.media.startsWith("attach://"))).toBe(true);
    expect(uploaded).toHaveLength(3);
  });

  it("makes more like a set with the same settings, once per tap, within the limit of pictures being made", async () => {
    const avatarId = await trainedAvatar();
    await ownPrompt(avatarId, "on the moon");
    await openMenu(avatarId);
    await tap(telegram, user, "📐 Portrait 3:4");
    await tap(telegram, user, "🎬 Cinematic");
    await submitted(avatarId);
    await falDraws(1);
    await openGallery(avatarId);
    const cinema = setMessages("Ann · Cinematic")[0];
    const moon = setMessages("Ann · your prompt")[0];

    await tap(telegram, user, "✨ More like this", cinema?.message_id);
    expect(telegram.lastBotMessage(user.id).text).toContain("Drawing…");
    await tap(telegram, user, "✨ More like this", cinema?.message_id);
    expect(lastAnswer(telegram)).toBe("Already drawing these — they will arrive in a moment.");
    await tap(telegram, user, "✨ More like this", moon?.message_id);
    expect(lastAnswer(telegram)).toBeUndefined();
    await openMenu(avatarId);
    await tap(telegram, user, "🔁 Repeat");
    expect(lastAnswer(telegram)).toBe(
      "You already have 2 pictures being made, the most at once. Wait for them to arrive, then try again.",
    );
    const rows = await generations(avatarId);
    expect(rows.map((r) => [r.preset, r.status === "SUCCEEDED" ? "made" : "being made"])).toEqual([
      [null, "made"],
      ["cinema", "made"],
      ["cinema", "being made"],
      [null, "being made"],
    ]);
    expect(JSON.parse(String(rows[2]?.options))).toMatchObject({ aspect: "9:16", count: 2 });
    expect(rows[3]?.prompt).toBe(rows[0]?.prompt);
  });

  it("shows sets still being made as such and refuses to delete them: the row and the stored pictures stay", async () => {
    const avatarId = await trainedAvatar();
    await madePictures(avatarId, "📸 Portrait studio", 1);
    await openMenu(avatarId);
    await tap(telegram, user, "🎬 Cinematic");
    await submitted(avatarId);
    const running = (await generations(avatarId)).find((g) => g.status === "RUNNING");
    expect(running).toBeDefined();
    await openGallery(avatarId);
    expect(setMessages("Ann · ").map((m) => m.caption?.split("\n")[0])).toEqual([
      "Ann · Portrait studio · portrait 3:4",
    ]);
    expect(telegram.lastBotMessage(user.id).text).toBe(
      "🏞 Pictures of Ann, newest first. That is all of them.\n\n⏳ Still being made (they will arrive in the chat):\n• Ann · Cinematic · portrait 3:4",
    );
    // An old button, or one made up: what is still being made cannot be deleted yet.
    const pager = telegram.lastBotMessage(user.id);
    for (const data of [
      cb("genDelete", { generationId: String(running?.id), page: 0 }),
      cb("genDeleteConfirm", { generationId: String(running?.id) }),
    ]) {
      await send(telegram.callbackUpdate(user, pager.message_id, data));
      expect(lastAnswer(telegram)).toBe(
        "These pictures are still being made. You can delete them once they are ready.",
      );
    }
    expect((await generations(avatarId)).map((g) => g.status)).toEqual(["SUCCEEDED", "RUNNING"]);
    expect(await storedPictures(avatarId)).toBe(1);
    // It then finishes as if nothing had happened.
    await falDraws(1);
    expect((await generations(avatarId)).map((g) => g.status)).toEqual(["SUCCEEDED", "SUCCEEDED"]);
    expect(await storedPictures(avatarId)).toBe(2);
  });

  it("keeps the row when the pictures cannot be deleted, so deleting again works and nothing is orphaned", async () => {
    const avatarId = await trainedAvatar();
    await madePictures(avatarId, "📸 Portrait studio", 2);
    await openGallery(avatarId);
    const set = setMessages("Ann · ")[0];
    const count = async () =>
      (
        await env.DB.prepare("SELECT generations_count FROM avatars WHERE id = ?")
          .bind(avatarId)
          .first<{ generations_count: number }>()
      )?.generations_count;

    await tap(telegram, user, "🗑 Delete", set?.message_id);
    const storage = Object.getPrototypeOf(createStorage(env)) as ObjectStorage;
    const realDelete = storage.delete;
    storage.delete = () => Promise.reject(new Error("the store is unavailable"));
    try {
      await tap(telegram, user, "Yes, delete", set?.message_id);
    } finally {
      storage.delete = realDelete;
    }
    expect(lastAnswer(telegram)).toContain("Something went wrong on our side");
    expect(await generations(avatarId)).toHaveLength(1);
    expect(await storedPictures(avatarId)).toBe(2);
    expect(await count()).toBe(1);

    // The question is still there to answer again.
    await tap(telegram, user, "Yes, delete", set?.message_id);
    expect(lastAnswer(telegram)).toBe("Deleted.");
    expect(await generations(avatarId)).toEqual([]);
    expect(await storedPictures(avatarId)).toBe(0);
    expect(await count()).toBe(0);
  });

  it("says so when there are no pictures yet", async () => {
    const avatarId = await trainedAvatar();
    await openGallery(avatarId);
    expect(telegram.lastBotMessage(user.id).text).toBe(
      "🏞 No pictures of Ann yet. Pick a style to make the first ones.",
    );
    expect(labels(telegram.lastBotMessage(user.id))).toEqual([["⬅️ Back"]]);
  });
});
