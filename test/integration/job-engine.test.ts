import {
  createScheduledController,
  evictDurableObject,
  runDurableObjectAlarm,
  runInDurableObject,
} from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PHOTO_CHECK } from "../../src/domain/photo-check-lifecycle";
import type { Repository } from "../../src/domain/repository";
import { createInbox } from "../../src/durable-objects/chat-session";
import { runScheduled } from "../../src/scheduled";
import { createRepository } from "../../src/wiring";
import { jpeg, picture } from "../corpus/images";
import type { FalStandIn } from "../stand-ins/fal";
import type { TelegramStandIn } from "../stand-ins/telegram";
import { isAccepted, userIdOf } from "../support/db";
import {
  breakNext,
  deliver,
  drain,
  handOff,
  installStandIns,
  lastAnswer,
  newUser,
  say,
  send,
  settled,
  tap,
} from "../support/harness";
import { avatarCollectingPhotos } from "../support/journeys";

let telegram: TelegramStandIn;
let fal: FalStandIn;
let user = newUser();
let image: Uint8Array;

beforeAll(async () => {
  image = await jpeg(picture(768, 1024, 5));
});

beforeEach(() => {
  ({ telegram, fal } = installStandIns());
  user = newUser();
});

const LORA = "https://v3.fal.media/files/lora/pytorch_lora_weights.safetensors";
const workspace = (avatarId: string) => env.AVATAR_WORKSPACE.getByName(avatarId);
const session = (telegramId: number) => env.CHAT_SESSION.getByName(String(telegramId));

async function rows(sql: string, ...params: unknown[]) {
  return (
    await env.DB.prepare(sql)
      .bind(...params)
      .all<Record<string, unknown>>()
  ).results;
}

/** A user with a trained avatar, its generate menu on screen. */
async function trainedAvatar(): Promise<string> {
  await say(telegram, user, "/start");
  const userId = await userIdOf(user.id);
  const id = crypto.randomUUID();
  await env.DB.prepare(
    `INSERT INTO avatars (id, user_id, name, gender, avatar_type, status, fal_iterations, fal_priority, trigger_word, lora_rank, finetune_id, updated_at)
     VALUES (?, ?, 'Ann', 'FEMALE', 'CHARACTER', 'COMPLETED', 500, 'quality', ?, 32, ?, 0)`,
  )
    .bind(id, userId, `ohx${id.slice(0, 7)}`, LORA)
    .run();
  await send(telegram.callbackUpdate(user, telegram.lastBotMessage(user.id).message_id, `g:${id}`));
  return id;
}

/** fal finishes the latest job with `count` pictures, reported by its webhook. */
async function falDraws(count: number): Promise<void> {
  const job = fal.job();
  const images = Array.from({ length: count }, (_, i) => {
    const url = `https://v3.fal.media/files/gen/${job.id}_${i}.jpg`;
    fal.media.set(url, { bytes: image, contentType: "image/jpeg" });
    return { url, width: 768, height: 1024, content_type: "image/jpeg" };
  });
  fal.succeed(job.id, { images, seed: 42, has_nsfw_concepts: images.map(() => false), prompt: "p" });
  expect((await exports.default.fetch(await fal.webhook(job.id))).status).toBe(200);
}

async function generations(avatarId: string) {
  return rows("SELECT * FROM generations WHERE avatar_id = ? ORDER BY created_at", avatarId);
}

async function generatedObjects(avatarId: string): Promise<string[]> {
  const userId = await userIdOf(user.id);
  const listed = await env.BUCKET.list({ prefix: `avatars/user_${userId}/avatar_${avatarId}/generated/` });
  return listed.objects.map((o) => o.key);
}

/**
 * fal jobs submitted for this avatar's generations (an alarm left over from an earlier test may
 * reach this test's stand-in, so jobs are matched by the generation their webhook names).
 */
async function submissions(avatarId: string) {
  const ids = new Set((await generations(avatarId)).map((g) => String(g.id)));
  return [...fal.jobs.values()].filter((job) =>
    ids.has(new URL(job.webhookUrl ?? "x:").searchParams.get("generation") ?? ""),
  );
}

/** An update in the user's inbox as a restart leaves it: stored, `attempts` tries cut off, the alarm set. */
async function storedBeforeRestart(update: Record<string, unknown>, attempts: number) {
  await runInDurableObject(session(user.id), async (_, state) => {
    createInbox(state.storage.sql);
    state.storage.sql.exec(
      "INSERT INTO inbox (update_id, body, received_at, attempts) VALUES (?, ?, ?, ?)",
      update.update_id as number,
      JSON.stringify(update),
      Date.now(),
      attempts,
    );
    await state.storage.setAlarm(Date.now() + 15_000);
  });
  return update;
}

describe("the webhook only hands off", () => {
  it("answers and the chat goes on while a photo's face check hangs at fal", async () => {
    const avatarId = await avatarCollectingPhotos(telegram, user);
    let release: () => void = () => undefined;
    const hung = new Promise<void>((resolve) => {
      release = resolve;
    });
    fal.hold = hung;
    await send(telegram.photoUpdate(user, [{ bytes: image, width: 768, height: 1024 }]));
    const checking = runDurableObjectAlarm(workspace(avatarId));
    await new Promise((resolve) => setTimeout(resolve, 200));
    // A second photo and a command while the first is still at fal: both are answered at once.
    const second = await handOff(telegram.photoUpdate(user, [{ bytes: image, width: 768, height: 1024 }]));
    expect(second.status).toBe(200);
    await session(user.id).settled();
    expect(await workspace(avatarId).pendingCount()).toBe(2);
    release();
    await checking;
    await drain(avatarId);
    expect(await workspace(avatarId).pendingCount()).toBe(0);
  });

  it("drops group, channel and bot updates at the edge: nothing stored, nothing sent", async () => {
    const group = {
      update_id: telegram.nextUpdateId(),
      message: {
        message_id: 1,
        date: 1,
        from: { id: user.id, is_bot: false, first_name: "A" },
        chat: { id: -1001, type: "supergroup", title: "g" },
        text: "/start",
      },
    };
    const channel = {
      update_id: telegram.nextUpdateId(),
      channel_post: { message_id: 1, date: 1, chat: { id: -100, type: "channel", title: "c" }, text: "hi" },
    };
    for (const update of [group, channel]) expect((await deliver(update)).status).toBe(200);
    expect(await isAccepted(user.id, group.update_id)).toBe(false);
    expect(telegram.calls).toEqual([]);
  });

  it("handles an update stored just before a restart, once, from the session's alarm", async () => {
    const update = await storedBeforeRestart(telegram.textUpdate(user, "/start"), 0);
    await evictDurableObject(session(user.id));
    expect(await runDurableObjectAlarm(session(user.id))).toBe(true);
    expect(telegram.callsTo("sendMessage")).toHaveLength(1);
    expect((await deliver(update)).status).toBe(200);
    expect(telegram.callsTo("sendMessage")).toHaveLength(1);
  });

  it("sets the chat's safety-net alarm once for a burst of updates, and lets it lapse on an empty inbox", async () => {
    const alarmAt = () => runInDurableObject(session(user.id), (_, state) => state.storage.getAlarm());
    await say(telegram, user, "/start");
    const first = await alarmAt();
    expect(first).not.toBeNull();
    await say(telegram, user, "/help");
    expect(await alarmAt()).toBe(first);
    expect(await runDurableObjectAlarm(session(user.id))).toBe(true);
    expect(await alarmAt()).toBeNull();
    await say(telegram, user, "/help");
    expect(await alarmAt()).not.toBeNull();
  });

  it("forgets handled update ids after three days, when its alarm runs, and keeps recent ones", async () => {
    const old = telegram.textUpdate(user, "/help");
    const recent = telegram.textUpdate(user, "/help");
    await runInDurableObject(session(user.id), async (_, state) => {
      createInbox(state.storage.sql);
      for (const [update, age] of [
        [old, 4 * 86400_000],
        [recent, 3600_000],
      ] as const) {
        state.storage.sql.exec(
          "INSERT INTO inbox (update_id, body, received_at, attempts, done_at) VALUES (?, '', ?, 1, ?)",
          update.update_id as number,
          Date.now() - age,
          Date.now() - age,
        );
      }
    });
    await say(telegram, user, "/start");
    // Forgetting is the safety-net alarm's work, once a burst (the /start above set it).
    expect(await runDurableObjectAlarm(session(user.id))).toBe(true);
    expect(await isAccepted(user.id, old.update_id as number)).toBe(false);
    expect(await isAccepted(user.id, recent.update_id as number)).toBe(true);
    // A redelivery of the recent one is still recognised.
    await send(recent);
    expect(telegram.callsTo("sendMessage")).toHaveLength(1);
  });

  it("gives up an update that was cut off twice and tells the user, then handles the next", async () => {
    await storedBeforeRestart(telegram.textUpdate(user, "/start"), 2);
    await runDurableObjectAlarm(session(user.id));
    expect(telegram.lastBotMessage(user.id).text).toContain("Something went wrong on our side");
    await say(telegram, user, "/help");
    expect(telegram.lastBotMessage(user.id).text).toContain("How it works");
  });
});

describe("one intent, one fal job", () => {
  it("a redelivered tap and a double tap each make one generation and one submission", async () => {
    const avatarId = await trainedAvatar();
    const menu = telegram.lastBotMessage(user.id);
    const data = telegram.buttonData(menu, "📸 Portrait studio");
    const tapUpdate = telegram.callbackUpdate(user, menu.message_id, data);
    await send(tapUpdate);
    await send(tapUpdate);
    await send(telegram.callbackUpdate(user, menu.message_id, data));
    expect(lastAnswer(telegram)).toContain("Already drawing");
    await runDurableObjectAlarm(workspace(avatarId));
    expect(await generations(avatarId)).toHaveLength(1);
    expect(await submissions(avatarId)).toHaveLength(1);

    // Once those pictures have arrived, the same button makes new ones.
    await falDraws(1);
    await send(telegram.callbackUpdate(user, menu.message_id, data));
    expect(await generations(avatarId)).toHaveLength(2);
  });

  it("a tap whose reply meets Telegram's 429 is answered after retry_after and still makes one job", async () => {
    const avatarId = await trainedAvatar();
    const answered = telegram.callsTo("answerCallbackQuery").filter((c) => c.ok).length;
    telegram.failNext("answerCallbackQuery", 429, "Too Many Requests: retry after 1", { retry_after: 1 });
    const menu = telegram.lastBotMessage(user.id);
    const update = telegram.callbackUpdate(user, menu.message_id, telegram.buttonData(menu, "📸 Portrait studio"));
    const response = await handOff(update);
    expect(response.status).toBe(200);
    await settled(update);
    expect(telegram.callsTo("answerCallbackQuery").filter((c) => c.ok)).toHaveLength(answered + 1);
    await handOff(update);
    await settled(update);
    await runDurableObjectAlarm(workspace(avatarId));
    expect(await submissions(avatarId)).toHaveLength(1);
  });

  it("a restart between fal's answer and our record never resubmits; fal's webhook, naming the generation, finishes it", async () => {
    const avatarId = await trainedAvatar();
    await tap(telegram, user, "📸 Portrait studio");
    await runDurableObjectAlarm(workspace(avatarId));
    const [row] = await generations(avatarId);
    // As a restart right after the submit leaves it: the intent recorded, fal's request id not.
    await env.DB.prepare("UPDATE generations SET status = 'SUBMITTING', fal_request_id = NULL WHERE id = ?")
      .bind(row?.id)
      .run();
    await runDurableObjectAlarm(workspace(avatarId));
    await runDurableObjectAlarm(workspace(avatarId));
    expect(await submissions(avatarId)).toHaveLength(1);
    expect(fal.job().webhookUrl).toBe(`https://bot.example/fal/webhook?generation=${row?.id}`);
    await falDraws(2);
    expect((await generations(avatarId))[0]).toMatchObject({ status: "SUCCEEDED", fal_request_id: fal.job().id });
    expect(telegram.callsTo("sendMediaGroup")).toHaveLength(1);
  });

  it("cron racing the alarm submits once", async () => {
    const avatarId = await trainedAvatar();
    await tap(telegram, user, "📸 Portrait studio");
    await env.DB.prepare("UPDATE generations SET deadline_at = ?")
      .bind(Date.now() + 60_000)
      .run();
    await Promise.all([
      runDurableObjectAlarm(workspace(avatarId)),
      workspace(avatarId).sweep(),
      runScheduled(createScheduledController({ scheduledTime: new Date(), cron: "* * * * *" }), env),
    ]);
    expect(await submissions(avatarId)).toHaveLength(1);
  });
});

describe("a restart at each step of a generation resumes it, with one fal job and one album", () => {
  // Each case leaves the row as a restart right after that step's write would, then lets the
  // workspace (its memory gone) and fal's webhook carry on.
  const cases: Array<[string, (id: string) => Promise<void>]> = [
    ["queued, before the intent", async () => undefined],
    [
      "after the intent, before fal answered (fal never got it)",
      async (id) => {
        await env.DB.prepare("UPDATE generations SET status = 'SUBMITTING' WHERE id = ?").bind(id).run();
      },
    ],
  ];
  it.each(cases)("%s", async (_, leave) => {
    const avatarId = await trainedAvatar();
    await tap(telegram, user, "📸 Portrait studio");
    const [row] = await generations(avatarId);
    await leave(String(row?.id));
    await runDurableObjectAlarm(workspace(avatarId));
    const status = String((await generations(avatarId))[0]?.status);
    if (status === "SUBMITTING") {
      // Never resubmitted: with no job at fal, the deadline ends it and the user is told.
      expect(await submissions(avatarId)).toHaveLength(0);
      await env.DB.prepare("UPDATE generations SET deadline_at = ?")
        .bind(Date.now() - 1)
        .run();
      await workspace(avatarId).sweep();
      expect((await generations(avatarId))[0]).toMatchObject({ status: "FAILED", error: "timed_out" });
      expect(telegram.lastBotMessage(user.id).text).toContain(
        "It took far longer than it ever should, so I stopped waiting. Try again.",
      );
      return;
    }
    expect(await submissions(avatarId)).toHaveLength(1);
    await falDraws(2);
    expect((await generations(avatarId))[0]).toMatchObject({ status: "SUCCEEDED" });
    expect(telegram.callsTo("sendMediaGroup")).toHaveLength(1);
  });

  it.each([
    ["fal's output recorded, pictures not yet stored", false],
    ["pictures stored, album not yet sent", true],
  ])("%s", async (_, stored) => {
    const avatarId = await trainedAvatar();
    await tap(telegram, user, "📸 Portrait studio");
    await runDurableObjectAlarm(workspace(avatarId));
    const job = fal.job();
    const urls = [0, 1].map((i) => `https://v3.fal.media/files/gen/${job.id}_${i}.jpg`);
    for (const url of urls) fal.media.set(url, { bytes: image, contentType: "image/jpeg" });
    const [row] = await generations(avatarId);
    const userId = await userIdOf(user.id);
    const keys = stored
      ? [1, 2].map((n) => `avatars/user_${userId}/avatar_${avatarId}/generated/gen_${row?.id}_${n}.jpg`)
      : [];
    for (const key of keys) await env.BUCKET.put(key, image);
    await env.DB.prepare(
      "UPDATE generations SET status = 'DELIVERING', fal_output = ?, result_keys = ?, deadline_at = ? WHERE id = ?",
    )
      .bind(
        JSON.stringify({ images: urls.map((url) => ({ url, nsfw: false })), seed: 1 }),
        JSON.stringify(keys),
        Date.now() + 300_000,
        row?.id,
      )
      .run();
    await runDurableObjectAlarm(workspace(avatarId));
    expect((await generations(avatarId))[0]).toMatchObject({ status: "SUCCEEDED" });
    expect(telegram.callsTo("sendMediaGroup")).toHaveLength(1);
    expect(await generatedObjects(avatarId)).toHaveLength(2);
    expect(await submissions(avatarId)).toHaveLength(1);
  });
});

describe("every generation ends", () => {
  it("Telegram 403 (the user blocked the bot): ends with the pictures in the gallery, nothing resent or re-stored", async () => {
    const avatarId = await trainedAvatar();
    await tap(telegram, user, "📸 Portrait studio");
    await runDurableObjectAlarm(workspace(avatarId));
    telegram.failNext("sendMediaGroup", 403, "Forbidden: bot was blocked by the user");
    await falDraws(2);
    const [row] = await generations(avatarId);
    expect(row).toMatchObject({ status: "SUCCEEDED" });
    expect(JSON.parse(String(row?.options))).toMatchObject({ delivered: false });
    const stored = await generatedObjects(avatarId);
    expect(stored).toHaveLength(2);
    const sends = telegram.calls.length;
    for (let i = 0; i < 3; i++) await runDurableObjectAlarm(workspace(avatarId));
    expect(telegram.calls.length).toBe(sends);
    expect(await generatedObjects(avatarId)).toEqual(stored);
  });

  it("Telegram 429 on the album: waits retry_after, then delivers once", async () => {
    const avatarId = await trainedAvatar();
    await tap(telegram, user, "📸 Portrait studio");
    await runDurableObjectAlarm(workspace(avatarId));
    telegram.failNext("sendMediaGroup", 429, "Too Many Requests: retry after 1", { retry_after: 1 });
    await falDraws(2);
    expect(telegram.callsTo("sendMediaGroup").map((c) => c.ok)).toEqual([false, true]);
    expect((await generations(avatarId))[0]).toMatchObject({ status: "SUCCEEDED" });
  });

  it("Telegram unreachable for the album: tries three times, then ends with the pictures in the gallery", async () => {
    const avatarId = await trainedAvatar();
    await tap(telegram, user, "📸 Portrait studio");
    await runDurableObjectAlarm(workspace(avatarId));
    for (let i = 0; i < 3; i++) breakNext((r) => r.url.endsWith("/sendMediaGroup"));
    await falDraws(2);
    expect((await generations(avatarId))[0]).toMatchObject({ status: "DELIVERING", attempts: 1 });
    await runDurableObjectAlarm(workspace(avatarId));
    await runDurableObjectAlarm(workspace(avatarId));
    const [row] = await generations(avatarId);
    expect(row).toMatchObject({ status: "SUCCEEDED", attempts: 3 });
    expect(await generatedObjects(avatarId)).toHaveLength(2);
    expect(await runDurableObjectAlarm(workspace(avatarId))).toBe(false);
  });

  it("a 5xx from Telegram on the album is retried by the job and delivered on the next round", async () => {
    const avatarId = await trainedAvatar();
    await tap(telegram, user, "📸 Portrait studio");
    await runDurableObjectAlarm(workspace(avatarId));
    telegram.failNext("sendMediaGroup", 502, "Bad Gateway");
    await falDraws(2);
    await runDurableObjectAlarm(workspace(avatarId));
    expect(telegram.callsTo("sendMediaGroup").map((c) => c.ok)).toEqual([false, true]);
    expect(await generatedObjects(avatarId)).toHaveLength(2);
    expect((await generations(avatarId))[0]).toMatchObject({ status: "SUCCEEDED" });
  });

  it("fal unreachable or failing on submit: the generation fails with a message and nothing is left running", async () => {
    const avatarId = await trainedAvatar();
    fal.failNextSubmit("network");
    await tap(telegram, user, "📸 Portrait studio");
    await runDurableObjectAlarm(workspace(avatarId));
    expect((await generations(avatarId))[0]).toMatchObject({ status: "FAILED" });
    expect(telegram.lastBotMessage(user.id).text).toContain("The picture could not be made");
    fal.failNextSubmit({
      status: 422,
      body: { detail: [{ loc: ["body", "prompt"], msg: "too long", type: "value_error" }] },
    });
    await tap(
      telegram,
      user,
      "🌃 Cyberpunk",
      telegram.chat(user.id).find((m) => m.text?.includes("what shall we make"))?.message_id,
    );
    await runDurableObjectAlarm(workspace(avatarId));
    expect((await generations(avatarId)).map((g) => g.status)).toEqual(["FAILED", "FAILED"]);
    expect(await runDurableObjectAlarm(workspace(avatarId))).toBe(false);
  });

  it("fal's pictures failing to download: retried, then failed with a message and no objects left", async () => {
    const avatarId = await trainedAvatar();
    await tap(telegram, user, "📸 Portrait studio");
    await runDurableObjectAlarm(workspace(avatarId));
    const job = fal.job();
    fal.succeed(job.id, {
      images: [{ url: "https://v3.fal.media/files/gen/missing.jpg" }],
      has_nsfw_concepts: [false],
    });
    await exports.default.fetch(await fal.webhook(job.id));
    await runDurableObjectAlarm(workspace(avatarId));
    await runDurableObjectAlarm(workspace(avatarId));
    expect((await generations(avatarId))[0]).toMatchObject({ status: "FAILED", error: "delivery" });
    expect(await generatedObjects(avatarId)).toEqual([]);
    expect(telegram.lastBotMessage(user.id).text).toContain("The picture could not be made");
  });

  it("a webhook with payload_error fetches the result from the queue instead of failing", async () => {
    const avatarId = await trainedAvatar();
    await tap(telegram, user, "📸 Portrait studio");
    await runDurableObjectAlarm(workspace(avatarId));
    const job = fal.job();
    const url = `https://v3.fal.media/files/gen/${job.id}.jpg`;
    fal.media.set(url, { bytes: image, contentType: "image/jpeg" });
    fal.succeed(job.id, { images: [{ url }], has_nsfw_concepts: [false], seed: 1 });
    const response = await exports.default.fetch(
      await fal.webhook(job.id, {
        body: { request_id: job.id, gateway_request_id: job.id, status: "OK", payload: null, payload_error: "too big" },
      }),
    );
    expect(response.status).toBe(200);
    expect((await generations(avatarId))[0]).toMatchObject({ status: "SUCCEEDED" });
    expect(telegram.callsTo("sendPhoto")).toHaveLength(1);
  });

  it("cron ends a generation past its deadline whose alarm was lost, and tells the user", async () => {
    const avatarId = await trainedAvatar();
    await tap(telegram, user, "📸 Portrait studio");
    await runDurableObjectAlarm(workspace(avatarId));
    await runInDurableObject(workspace(avatarId), async (_, state) => {
      await state.storage.deleteAlarm();
      state.storage.kv.delete("wakes");
    });
    await env.DB.prepare("UPDATE generations SET deadline_at = ?")
      .bind(Date.now() - 1000)
      .run();
    const summary = await runScheduled(
      createScheduledController({ scheduledTime: new Date(), cron: "* * * * *" }),
      env,
    );
    expect(summary.generationsSwept).toBeGreaterThanOrEqual(1);
    expect((await generations(avatarId))[0]).toMatchObject({ status: "FAILED", error: "timed_out" });
    expect(telegram.lastBotMessage(user.id).text).toContain(
      "It took far longer than it ever should, so I stopped waiting. Try again.",
    );
  });
});

describe("every training and photo ends", () => {
  async function readyToTrain(): Promise<string> {
    const avatarId = await avatarCollectingPhotos(telegram, user);
    for (let i = 0; i < 5; i++) {
      const bytes = await jpeg(picture(600, 560, 40 + i));
      await send(telegram.photoUpdate(user, [{ bytes, width: 600, height: 560 }], "album"));
    }
    await drain(avatarId);
    await tap(telegram, user, "✅ Done");
    await tap(telegram, user, "🚀 Train");
    return avatarId;
  }

  it("a start that keeps failing (crops gone from storage) gives up after three tries and offers Start again", async () => {
    const avatarId = await readyToTrain();
    const userId = await userIdOf(user.id);
    const crops = await env.BUCKET.list({ prefix: `avatars/user_${userId}/avatar_${avatarId}/photos/processed/` });
    await env.BUCKET.delete(crops.objects.map((o) => o.key));
    await tap(telegram, user, "🚀 Start training");
    for (let i = 0; i < 4; i++) await runDurableObjectAlarm(workspace(avatarId));
    expect(telegram.lastBotMessage(user.id).text).toContain("Training could not be started");
    expect(fal.jobs.size).toBe(0);
    const [avatar] = await rows("SELECT status FROM avatars WHERE id = ?", avatarId);
    expect(avatar?.status).toBe("READY_FOR_TRAINING");
    expect(await runDurableObjectAlarm(workspace(avatarId))).toBe(false);
    await tap(telegram, user, "🚀 Start training");
    expect(lastAnswer(telegram) ?? "").not.toContain("already");
  });

  it("a restart between fal's answer and our record never resubmits; the webhook naming the avatar completes it", async () => {
    const avatarId = await readyToTrain();
    await tap(telegram, user, "🚀 Start training");
    await runDurableObjectAlarm(workspace(avatarId));
    const job = fal.job();
    expect(job.webhookUrl).toBe(`https://bot.example/fal/webhook?avatar=${avatarId}`);
    await env.DB.prepare("UPDATE avatars SET fal_request_id = NULL WHERE id = ?").bind(avatarId).run();
    await workspace(avatarId).followTraining();
    await runDurableObjectAlarm(workspace(avatarId));
    expect(fal.jobs.size).toBe(1);
    fal.succeed(job.id);
    expect((await exports.default.fetch(await fal.webhook(job.id))).status).toBe(200);
    const [avatar] = await rows("SELECT status, fal_request_id FROM avatars WHERE id = ?", avatarId);
    expect(avatar).toMatchObject({ status: "COMPLETED", fal_request_id: job.id });
  });

  it("a restart part-way through a start tries again from the alarm and submits once", async () => {
    const avatarId = await readyToTrain();
    await tap(telegram, user, "🚀 Start training");
    // As a restart in the middle of building the archive leaves it: the try counted, nothing sent.
    await runInDurableObject(workspace(avatarId), async (_, state) => {
      const training = state.storage.kv.get<Record<string, unknown>>("training");
      state.storage.kv.put("training", { ...training, attempts: 1 });
    });
    await runDurableObjectAlarm(workspace(avatarId));
    expect(fal.jobs.size).toBe(1);
    const [avatar] = await rows("SELECT status, fal_request_id FROM avatars WHERE id = ?", avatarId);
    expect(avatar).toMatchObject({ status: "TRAINING", fal_request_id: fal.job().id });
    expect(telegram.lastBotMessage(user.id).text).toContain("%");
  });

  it("a start whose record was cut off and never heard from fal ends at its deadline with Try again", async () => {
    const avatarId = await readyToTrain();
    await tap(telegram, user, "🚀 Start training");
    await runDurableObjectAlarm(workspace(avatarId));
    await env.DB.prepare("UPDATE avatars SET fal_request_id = NULL, training_started_at = ? WHERE id = ?")
      .bind(Date.now() - 4 * 3600_000, avatarId)
      .run();
    await workspace(avatarId).sweep();
    const [avatar] = await rows("SELECT status FROM avatars WHERE id = ?", avatarId);
    expect(avatar?.status).toBe("ERROR");
    expect(fal.jobs.size).toBe(1);
    expect(telegram.lastBotMessage(user.id).text).toMatch(/Try again|try again/);
  });

  it("a photo whose check was cut off twice is refused as unreadable, and the next photo is checked", async () => {
    const avatarId = await avatarCollectingPhotos(telegram, user);
    await send(telegram.documentUpdate(user, image, "poison.jpg"));
    await send(telegram.photoUpdate(user, [{ bytes: await jpeg(picture(600, 560, 77)), width: 600, height: 560 }]));
    // As two resets of the object in the middle of the first photo's check leave it.
    await runInDurableObject(workspace(avatarId), async (_, state) => {
      const [key, queued] = [...state.storage.kv.list<{ attempts: number }>({ prefix: "job:", limit: 1 })][0] ?? [];
      if (key && queued) state.storage.kv.put(key, { ...queued, attempts: 2 });
    });
    await evictDurableObject(workspace(avatarId));
    await drain(avatarId);
    const text = telegram.lastBotMessage(user.id).text ?? "";
    expect(text).toContain("poison.jpg");
    expect(text).toMatch(/1 of 50/);
    expect(await workspace(avatarId).pendingCount()).toBe(0);
  });

  it("a photo whose check throws once (a blip) is tried again after a pause and accepted", async () => {
    const avatarId = await avatarCollectingPhotos(telegram, user);
    await send(telegram.documentUpdate(user, image, "first.jpg"));
    const repo = Object.getPrototypeOf(createRepository(env)) as Repository;
    const real = repo.findPhotoByHash;
    const at: number[] = [];
    repo.findPhotoByHash = function (this: Repository, ...args: Parameters<Repository["findPhotoByHash"]>) {
      at.push(Date.now());
      if (at.length === 1) return Promise.reject(new Error("D1_ERROR: database is locked"));
      return real.apply(this, args);
    };
    try {
      await drain(avatarId);
    } finally {
      repo.findPhotoByHash = real;
    }
    expect(at).toHaveLength(2);
    expect((at[1] ?? 0) - (at[0] ?? 0)).toBeGreaterThanOrEqual(PHOTO_CHECK.retryDelayMs);
    const text = telegram.lastBotMessage(user.id).text ?? "";
    expect(text).not.toContain("first.jpg");
    expect(text).toMatch(/1 of 50/);
  });

  it("a photo whose check throws twice (the database failing) is refused with 'send it again', and the next is checked", async () => {
    const avatarId = await avatarCollectingPhotos(telegram, user);
    await send(telegram.documentUpdate(user, image, "first.jpg"));
    await send(telegram.photoUpdate(user, [{ bytes: await jpeg(picture(600, 560, 78)), width: 600, height: 560 }]));
    const repo = Object.getPrototypeOf(createRepository(env)) as Repository;
    const real = repo.findPhotoByHash;
    let calls = 0;
    repo.findPhotoByHash = function (this: Repository, ...args: Parameters<Repository["findPhotoByHash"]>) {
      calls += 1;
      if (calls <= 2) return Promise.reject(new Error("D1_ERROR: database is locked"));
      return real.apply(this, args);
    };
    try {
      await drain(avatarId);
    } finally {
      repo.findPhotoByHash = real;
    }
    const text = telegram.lastBotMessage(user.id).text ?? "";
    expect(text).toContain("first.jpg: we could not save it. Please send this photo again.");
    expect(text).toMatch(/1 of 50/);
    expect(await workspace(avatarId).pendingCount()).toBe(0);
  });
});
