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
    expect(media[0]?.caption).toContain("studio portrait");

    await tap(telegram, user, "🎨 Another style");
    await tap(telegram, user, "✍️ My prompt");
    await say(telegram, user, "  riding a horse\u0007 on the moon ");
    await submitted(avatarId);
    expect(String(fal.job().input.prompt)).toMatch(/^ohx\w+, riding a horse on the moon$/);
    await falDraws(1);
    expect(telegram.callsTo("sendPhoto").at(-1)?.params.caption).toMatch(/riding a horse on the moon/);

    await tap(telegram, user, "🔁 More like this");
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
    expect(telegram.lastBotMessage(user.id).caption).toMatch(/, a <b>cat<\/b> & a dog > a mouse$/);
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

  it("pages the gallery and deletes from it", async () => {
    const avatarId = await trainedAvatar();
    for (let i = 0; i < 7; i++) {
      await openMenu(avatarId);
      await tap(telegram, user, "📸 Portrait studio");
      await submitted(avatarId);
      await falDraws(1);
    }
    await openMenu(avatarId);
    await tap(telegram, user, "🖼 My pictures");
    expect(telegram.lastBotMessage(user.id).text).toContain("Ann: 7 sets of pictures, page 1 of 2");
    await tap(telegram, user, "▶️");
    expect(telegram.lastBotMessage(user.id).text).toContain("page 2 of 2");
    await tap(telegram, user, "🗑 7");
    expect(lastAnswer(telegram)).toBe("Deleted.");
    expect(telegram.lastBotMessage(user.id).text).toContain("Ann: 6 sets of pictures, page 2 of 2");
    expect((await generations(avatarId)).length).toBe(6);
    const userId = await userIdOf(user.id);
    expect(
      (await env.BUCKET.list({ prefix: `avatars/user_${userId}/avatar_${avatarId}/generated/` })).objects,
    ).toHaveLength(6);
    const count = await env.DB.prepare("SELECT generations_count FROM avatars WHERE id = ?")
      .bind(avatarId)
      .first<{ generations_count: number }>();
    expect(count?.generations_count).toBe(6);
  }, 60_000);

  it("refuses to delete pictures still being made: the row and the stored pictures stay, and the user is told", async () => {
    const avatarId = await trainedAvatar();
    await madePictures(avatarId, "📸 Portrait studio", 1);
    await openMenu(avatarId);
    await tap(telegram, user, "🎬 Cinematic");
    await submitted(avatarId);
    const running = (await generations(avatarId)).find((g) => g.status === "RUNNING");
    expect(running).toBeDefined();
    await openMenu(avatarId);
    await tap(telegram, user, "🖼 My pictures");
    // An old gallery button, or one made up: the gallery lists finished pictures only.
    const gallery = telegram.lastBotMessage(user.id);
    await send(
      telegram.callbackUpdate(
        user,
        gallery.message_id,
        cb("genDelete", { generationId: String(running?.id), page: 0 }),
      ),
    );
    expect(lastAnswer(telegram)).toBe("These pictures are still being made. You can delete them once they are ready.");
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
    await openMenu(avatarId);
    await tap(telegram, user, "🖼 My pictures");
    const count = async () =>
      (
        await env.DB.prepare("SELECT generations_count FROM avatars WHERE id = ?")
          .bind(avatarId)
          .first<{ generations_count: number }>()
      )?.generations_count;

    const storage = Object.getPrototypeOf(createStorage(env)) as ObjectStorage;
    const realDelete = storage.delete;
    storage.delete = () => Promise.reject(new Error("the store is unavailable"));
    try {
      await tap(telegram, user, "🗑 1");
    } finally {
      storage.delete = realDelete;
    }
    expect(lastAnswer(telegram)).toContain("Something went wrong on our side");
    expect(await generations(avatarId)).toHaveLength(1);
    expect(await storedPictures(avatarId)).toBe(2);
    expect(await count()).toBe(1);

    await tap(telegram, user, "🗑 1");
    expect(lastAnswer(telegram)).toBe("Deleted.");
    expect(await generations(avatarId)).toEqual([]);
    expect(await storedPictures(avatarId)).toBe(0);
    expect(await count()).toBe(0);
  });
});
