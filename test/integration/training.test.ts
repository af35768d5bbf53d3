import { runDurableObjectAlarm } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { jpeg, picture } from "../corpus/images";
import type { FalStandIn } from "../stand-ins/fal";
import type { TelegramStandIn } from "../stand-ins/telegram";
import { avatarsOf } from "../support/db";
import { drain, installStandIns, lastAnswer, newUser, say, send, tap } from "../support/harness";
import { avatarCollectingPhotos, expectTrainingArchive } from "../support/journeys";

let telegram: TelegramStandIn;
let fal: FalStandIn;
let user = newUser();
let photos: Uint8Array[] = [];

beforeAll(async () => {
  photos = await Promise.all([1, 2, 3, 4, 5].map((seed) => jpeg(picture(600, 560, seed))));
});

beforeEach(() => {
  ({ telegram, fal } = installStandIns());
  user = newUser();
});

const text = () => telegram.lastBotMessage(user.id).text ?? "";

async function avatar(avatarId: string) {
  return env.DB.prepare("SELECT * FROM avatars WHERE id = ?").bind(avatarId).first<Record<string, unknown>>();
}

/** Runs the avatar workspace's alarm until `done` holds (the start alarm may also fire on its own). */
async function settle(avatarId: string, done: () => Promise<boolean>): Promise<void> {
  const workspace = env.AVATAR_WORKSPACE.getByName(avatarId);
  for (let i = 0; i < 20; i++) {
    if (await done()) return;
    await runDurableObjectAlarm(workspace);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error("the workspace never got there");
}

async function readyToTrain(): Promise<string> {
  const avatarId = await avatarCollectingPhotos(telegram, user);
  for (const bytes of photos) await send(telegram.photoUpdate(user, [{ bytes, width: 600, height: 560 }], "album"));
  await drain(avatarId);
  await tap(telegram, user, "✅ Done");
  return avatarId;
}

async function startTraining(avatarId: string): Promise<string> {
  await tap(telegram, user, "🚀 Train");
  await tap(telegram, user, "🚀 Start training");
  await settle(avatarId, async () => (await avatar(avatarId))?.status === "TRAINING");
  return fal.job().id;
}

async function deliverWebhook(request: Request): Promise<Response> {
  return exports.default.fetch(request);
}

describe("training", () => {
  it("goes from the training screen to fal, shows progress, and completes by webhook", async () => {
    const avatarId = await readyToTrain();
    await tap(telegram, user, "🚀 Train");
    const trigger = String((await avatar(avatarId))?.trigger_word);
    // The machinery stays out of sight: no trigger word, step count or trainer name, and each
    // priority says what it trades.
    expect(text()).not.toContain(trigger);
    expect(text()).not.toMatch(/Trigger|Steps|Trainer|fal/);
    expect(text()).toContain("Priority: 💎 Best likeness · slower");
    expect(text()).toContain("at least 10 photos; otherwise it trains like Balanced");
    const markup = telegram.lastBotMessage(user.id).reply_markup as { inline_keyboard: { text: string }[][] };
    expect(markup.inline_keyboard.map((row) => row.map((button) => button.text))).toEqual([
      ["⚡ Faster · less face detail"],
      ["⚖️ Balanced"],
      ["• 💎 Best likeness · slower"],
      ["🚀 Start training"],
      ["👀 Free preview"],
      ["⬅️ My avatars"],
    ]);
    await tap(telegram, user, "⚖️ Balanced");
    expect(text()).toContain("Priority: ⚖️ Balanced");
    await tap(telegram, user, "🚀 Start training");
    expect(text()).toContain("Preparing avatar Me for training");
    await settle(avatarId, async () => (await avatar(avatarId))?.status === "TRAINING");

    const job = fal.job();
    expect(job.app).toBe("fal-ai/flux-lora-fast-training");
    expect(job.webhookUrl).toBe(`https://bot.example/fal/webhook?avatar=${avatarId}`);
    expect(job.input).toMatchObject({ trigger_word: trigger, steps: 500, is_style: false, create_masks: true });
    const row = await avatar(avatarId);
    expect(row).toMatchObject({ status: "TRAINING", fal_request_id: job.id, finetune_id: null, training_progress: 0 });
    expect(text()).toContain("Waiting to start: 3 in line.");

    // The archive fal downloads: flat, normalised names, the processed crops and no originals.
    await expectTrainingArchive(String(job.input.images_data_url), photos);
    const expired = new URL(String(job.input.images_data_url));
    expired.searchParams.set("expires", "1000");
    expect((await fetch(expired)).status).toBe(403);

    fal.progress(job.id, 400, 1000);
    await runDurableObjectAlarm(env.AVATAR_WORKSPACE.getByName(avatarId));
    expect(text()).toContain("▰▰▰▰▱▱▱▱▱▱ 40%");
    expect((await avatar(avatarId))?.training_progress).toBe(40);

    fal.succeed(job.id);
    const response = await deliverWebhook(await fal.webhook(job.id));
    expect(response.status).toBe(200);
    const done = await avatar(avatarId);
    expect(done).toMatchObject({
      status: "COMPLETED",
      fal_request_id: job.id,
      finetune_id: "https://v3.fal.media/files/lora/pytorch_lora_weights.safetensors",
      training_progress: 100,
    });
    expect(text()).toContain("Avatar Me is trained and ready");
  });

  it("completes by polling alone when no webhook arrives", async () => {
    const avatarId = await readyToTrain();
    const id = await startTraining(avatarId);
    fal.succeed(id);
    await settle(avatarId, async () => (await avatar(avatarId))?.status === "COMPLETED");
    expect(text()).toContain("is trained and ready");
  });

  it("applies a webhook delivered twice once, and refuses forged, stale and unsigned ones", async () => {
    const avatarId = await readyToTrain();
    const id = await startTraining(avatarId);
    fal.succeed(id);
    const other = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
    expect((await deliverWebhook(await fal.webhook(id, { signWith: other.privateKey }))).status).toBe(401);
    expect((await deliverWebhook(await fal.webhook(id, { tamper: true }))).status).toBe(401);
    expect(
      (await deliverWebhook(await fal.webhook(id, { timestamp: Math.floor(Date.now() / 1000) - 600 }))).status,
    ).toBe(401);
    const unsigned = new Request("https://bot.example/fal/webhook", {
      method: "POST",
      body: JSON.stringify({ request_id: id, status: "OK" }),
    });
    expect((await deliverWebhook(unsigned)).status).toBe(401);
    expect((await avatar(avatarId))?.status).toBe("TRAINING");

    expect((await deliverWebhook(await fal.webhook(id))).status).toBe(200);
    const sent = telegram.callsTo("sendMessage").length;
    expect((await deliverWebhook(await fal.webhook(id))).status).toBe(200);
    expect(telegram.callsTo("sendMessage").length).toBe(sent);
    expect((await avatar(avatarId))?.status).toBe("COMPLETED");
  });

  it.each([
    [
      "a validation error",
      422,
      { detail: [{ loc: ["body", "images_data_url"], msg: "Could not download the archive", type: "value_error" }] },
      "The service could not work with these photos or settings. Try again; if it fails again, replace a few photos",
    ],
    [
      "an infrastructure error",
      503,
      { detail: "Runner disconnected", error_type: "runner_disconnected" },
      "The picture service is busy or out of reach right now. Try again in a few minutes.",
    ],
  ])("turns %s reported by webhook into ERROR with the reason and Try again", async (_name, status, body, reason) => {
    const avatarId = await readyToTrain();
    const id = await startTraining(avatarId);
    fal.fail(id, status, body);
    expect((await deliverWebhook(await fal.webhook(id))).status).toBe(200);
    expect((await avatar(avatarId))?.status).toBe("ERROR");
    // fal's own words go to the log; the user reads a plain reason and what to do next.
    expect(text()).toContain("Training of avatar Me did not work out.");
    expect(text()).toContain(reason);
    const [said, credits] = text().split("\n\n💳 ");
    expect(credits).toBe("250 credits are back on your balance.");
    expect(said).not.toMatch(/\d{3}|Invalid status|Runner|images_data_url|fal/);
    await tap(telegram, user, "🔁 Try again");
    expect((await avatar(avatarId))?.status).toBe("READY_FOR_TRAINING");
    expect((await avatarsOf(user.id))[0]?.photos_count).toBe(5);
  });

  it("fetches the result from the queue when the webhook says fal could not attach it", async () => {
    const avatarId = await readyToTrain();
    const id = await startTraining(avatarId);
    fal.succeed(id);
    const body = {
      request_id: id,
      gateway_request_id: id,
      status: "OK",
      payload: null,
      payload_error: "Response payload is not JSON serializable",
    };
    expect((await deliverWebhook(await fal.webhook(id, { body }))).status).toBe(200);
    await settle(avatarId, async () => (await avatar(avatarId))?.status === "COMPLETED");
  });

  it("finds a failure by polling: COMPLETED whose result is an error", async () => {
    const avatarId = await readyToTrain();
    const id = await startTraining(avatarId);
    fal.fail(id, 422);
    await settle(avatarId, async () => (await avatar(avatarId))?.status === "ERROR");
    expect((await avatar(avatarId))?.training_error).toBe("rejected");
    expect(text()).toContain("The service could not work with these photos or settings.");
  });

  it("never completes a job that finished without a LoRA file", async () => {
    const avatarId = await readyToTrain();
    const id = await startTraining(avatarId);
    fal.succeed(id, { config_file: { url: "https://v3.fal.media/files/lora/config.json" } });
    await settle(avatarId, async () => (await avatar(avatarId))?.status === "ERROR");
    expect(text()).toContain("It finished without a usable result. Try again.");
    expect((await avatar(avatarId))?.training_error).toBe("no_result");
  });

  it.each([
    ["a 500", { status: 500, body: { detail: "Internal Server Error" } }, "busy or out of reach"],
    [
      "a 422",
      { status: 422, body: { detail: [{ loc: ["body", "steps"], msg: "value too large", type: "value_error" }] } },
      "could not work with these photos or settings",
    ],
    ["a network failure", "network" as const, "busy or out of reach"],
  ])("leaves the avatar READY_FOR_TRAINING when submission fails with %s", async (_name, failure, reason) => {
    const avatarId = await readyToTrain();
    fal.failNextSubmit(failure);
    await tap(telegram, user, "🚀 Train");
    await tap(telegram, user, "🚀 Start training");
    await settle(avatarId, async () => text().includes("Training could not be started."));
    expect(text()).toContain(reason);
    expect(text()).not.toMatch(/500|422|Internal Server Error|steps|fal/);
    expect(await avatar(avatarId)).toMatchObject({ status: "READY_FOR_TRAINING", fal_request_id: null });
  });

  it.each([
    ["while queued", (_id: string) => undefined, "CANCELLED"],
    ["while running", (id: string) => fal.progress(id, 10, 100), "CANCELLED"],
    ["after fal finished", (id: string) => fal.succeed(id), "COMPLETED"],
  ])("cancels %s", async (_when, prepare, expected) => {
    const avatarId = await readyToTrain();
    const id = await startTraining(avatarId);
    prepare(id);
    await send(telegram.textUpdate(user, "/start"));
    await tap(telegram, user, "🗂 My avatars");
    await tap(telegram, user, /^Me/);
    await tap(telegram, user, "✖️ Cancel training");
    await tap(telegram, user, "Yes, cancel");
    expect((await avatar(avatarId))?.status).toBe(expected);
    if (expected === "CANCELLED") expect(fal.job(id).cancelRequested).toBe(true);
    expect(text()).toContain(expected === "CANCELLED" ? "Training of avatar Me cancelled" : "is trained and ready");
  });

  it("gives up on a training stuck past TRAINING_TIMEOUT", async () => {
    const avatarId = await readyToTrain();
    await startTraining(avatarId);
    await env.DB.prepare("UPDATE avatars SET training_started_at = ? WHERE id = ?")
      .bind(Date.now() - 4 * 3600_000, avatarId)
      .run();
    await settle(avatarId, async () => (await avatar(avatarId))?.status === "ERROR");
    expect(text()).toContain("It took far longer than it ever should, so I stopped waiting.");
    expect((await avatar(avatarId))?.training_error).toBe("timed_out");
  });

  it("refuses to start for another user's avatar like a missing one", async () => {
    const avatarId = await readyToTrain();
    const stranger = newUser();
    await send(telegram.textUpdate(stranger, "/start"));
    const menu = telegram.lastBotMessage(stranger.id);
    await send(telegram.callbackUpdate(stranger, menu.message_id, `tgo:${avatarId}`));
    expect(lastAnswer(telegram)).toContain("This avatar no longer exists");
    expect((await avatar(avatarId))?.status).toBe("READY_FOR_TRAINING");
  });
});

describe("after a training is cancelled or has ended", () => {
  const labels = () =>
    (
      (telegram.lastBotMessage(user.id).reply_markup as { inline_keyboard?: Array<Array<{ text: string }>> })
        ?.inline_keyboard ?? []
    ).flatMap((row) => row.map((b) => b.text));

  async function openCard(): Promise<void> {
    await say(telegram, user, "/start");
    await tap(telegram, user, "🗂 My avatars");
    await tap(telegram, user, /^Me/);
  }

  it("/cancel cancels the running training after asking, and the avatar can be trained again", async () => {
    const avatarId = await readyToTrain();
    const first = await startTraining(avatarId);
    await say(telegram, user, "/cancel");
    expect(text()).toContain("The avatar “Me” is training. Cancel this training?");
    await tap(telegram, user, "Yes, cancel");
    expect(await avatar(avatarId)).toMatchObject({ status: "CANCELLED" });
    expect(fal.job(first).cancelRequested).toBe(true);
    expect(text()).toContain("Training of avatar Me cancelled");
    expect(labels()).toEqual(["🚀 Train again", "🗂 My avatars"]);

    await openCard();
    expect(text()).toContain("🚫 Training cancelled");
    expect(labels()).toContain("🚀 Train again");
    await tap(telegram, user, "🚀 Train again");
    expect(text()).toContain("Priority:");
    expect((await avatar(avatarId))?.status).toBe("READY_FOR_TRAINING");
    await tap(telegram, user, "🚀 Start training");
    await settle(avatarId, async () => (await avatar(avatarId))?.status === "TRAINING");
    expect(fal.job().id).not.toBe(first);
  });

  it("keeps the training when the user says no", async () => {
    const avatarId = await readyToTrain();
    await startTraining(avatarId);
    await say(telegram, user, "/cancel");
    await tap(telegram, user, "No, keep training");
    expect((await avatar(avatarId))?.status).toBe("TRAINING");
    expect(text()).toContain("⏳ Training");
  });

  it("answers a cancel confirmation pressed after the training finished plainly, and cancels nothing", async () => {
    const avatarId = await readyToTrain();
    const id = await startTraining(avatarId);
    await say(telegram, user, "/cancel");
    const confirmation = telegram.lastBotMessage(user.id);
    fal.succeed(id);
    await settle(avatarId, async () => (await avatar(avatarId))?.status === "COMPLETED");
    await send(
      telegram.callbackUpdate(user, confirmation.message_id, telegram.buttonData(confirmation, "Yes, cancel")),
    );
    expect(telegram.messages.get(`${user.id}:${confirmation.message_id}`)?.text).toBe(
      "The training of “Me” has already finished: the avatar is ready. Nothing was cancelled.",
    );
    expect((await avatar(avatarId))?.status).toBe("COMPLETED");
    expect(fal.job(id).cancelRequested).toBeFalsy();
  });

  it("says so in Russian, with the avatar named by a noun frame", async () => {
    user = newUser("ru");
    const avatarId = await avatarCollectingPhotos(telegram, user, "Мария");
    for (const bytes of photos) await send(telegram.photoUpdate(user, [{ bytes, width: 600, height: 560 }], "album"));
    await drain(avatarId);
    await tap(telegram, user, "✅ Готово");
    await tap(telegram, user, "🚀 Обучить");
    await tap(telegram, user, "🚀 Начать обучение");
    await settle(avatarId, async () => (await avatar(avatarId))?.status === "TRAINING");
    await say(telegram, user, "/cancel");
    expect(text()).toContain("Аватар «Мария» сейчас обучается. Отменить обучение?");
    const confirmation = telegram.lastBotMessage(user.id);
    fal.fail(fal.job().id);
    await settle(avatarId, async () => (await avatar(avatarId))?.status === "ERROR");
    await send(
      telegram.callbackUpdate(user, confirmation.message_id, telegram.buttonData(confirmation, "Да, отменить")),
    );
    expect(telegram.messages.get(`${user.id}:${confirmation.message_id}`)?.text).toBe(
      "Обучение аватара «Мария» уже завершилось ошибкой. Ничего не отменено.",
    );
  });

  it("/cancel with nothing running still says there is nothing to cancel", async () => {
    await readyToTrain();
    await say(telegram, user, "/cancel");
    expect(text()).toContain("There is nothing running to cancel");
  });
});

describe("without FAL_KEY", () => {
  it("says training is not configured and leaves the avatar ready", async () => {
    const { TrainingService } = await import("../../src/services/training-service");
    const { parseSettings } = await import("../../src/config/settings");
    const { D1Repository } = await import("../../src/db/d1/d1-repository");
    const { R2Storage } = await import("../../src/storage/r2-storage");
    const { AvatarService } = await import("../../src/services/avatar-service");
    const settings = parseSettings({ ...env, FAL_KEY: "" });
    const repo = new D1Repository(env.DB);
    const storage = new R2Storage(env.BUCKET);
    let submitted = false;
    const service = new TrainingService({
      repo,
      storage,
      avatars: new AvatarService(repo, storage, settings.avatar),
      settings,
      trainer: {
        submit: async () => {
          submitted = true;
          return { requestId: "x", queuePosition: 0 };
        },
        status: async () => ({ kind: "completed" }),
        result: async () => ({ kind: "failed", reason: "unknown", detail: "x" }),
        cancel: async () => "cancelled",
      },
      linkTo: async () => "https://bot.example/x",
    });
    const avatar = { status: "READY_FOR_TRAINING", avatarType: "CHARACTER" } as Parameters<typeof service.start>[0];
    expect(await service.start(avatar)).toEqual({ kind: "submit_failed", reason: "not_configured" });
    expect(submitted).toBe(false);
  });
});
