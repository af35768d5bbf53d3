import { runDurableObjectAlarm } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createRepository } from "../../src/wiring";
import { jpeg, picture } from "../corpus/images";
import type { FalStandIn } from "../stand-ins/fal";
import type { StandInUser, TelegramStandIn } from "../stand-ins/telegram";
import { avatarsOf, rows, userIdOf } from "../support/db";
import { drain, installStandIns, newUser, say, send, tap } from "../support/harness";
import { avatarCollectingPhotos } from "../support/journeys";

let telegram: TelegramStandIn;
let fal: FalStandIn;
let user = newUser();
let photos: Uint8Array[] = [];
let image: Uint8Array;
const ADMIN: StandInUser = { id: 990001, first_name: "Admin", language_code: "en" };

beforeAll(async () => {
  photos = await Promise.all([1, 2, 3, 4, 5].map((seed) => jpeg(picture(600, 560, seed))));
  image = await jpeg(picture(768, 1024, 3));
});

beforeEach(() => {
  ({ telegram, fal } = installStandIns());
  user = newUser();
});

const text = () => telegram.lastBotMessage(user.id).text ?? "";
const buttons = () =>
  (
    (telegram.lastBotMessage(user.id).reply_markup as { inline_keyboard?: { text: string; callback_data: string }[][] })
      ?.inline_keyboard ?? []
  ).flat();

/** The user's free allowance is this many credits: the welcome grant is then a no-op. */
async function allowance(credits: number, who = user): Promise<void> {
  await createRepository(env).applyLedgerEntry({ userId: who.id, kind: "grant", credits, key: `free:${who.id}` });
}

/** Training jobs fal was given (face checks are jobs too). */
const trainings = () => [...fal.jobs.values()].filter((job) => job.app.includes("train")).length;

const balance = (who = user) => createRepository(env).getBalance(who.id);

async function kinds(who = user): Promise<string[]> {
  return (await createRepository(env).listLedgerEntries(who.id, 50)).map((e) => `${e.kind} ${e.credits}`).reverse();
}

async function status(avatarId: string): Promise<string | undefined> {
  return (await rows<{ status: string }>("SELECT status FROM avatars WHERE id = ?", avatarId))[0]?.status;
}

async function settle(avatarId: string, done: () => Promise<boolean>): Promise<void> {
  const workspace = env.AVATAR_WORKSPACE.getByName(avatarId);
  for (let i = 0; i < 20; i++) {
    if (await done()) return;
    await runDurableObjectAlarm(workspace);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error("the workspace never got there");
}

async function readyToTrain(name = "Anna"): Promise<string> {
  const avatarId = await avatarCollectingPhotos(telegram, user, name);
  for (const bytes of photos) await send(telegram.photoUpdate(user, [{ bytes, width: 600, height: 560 }], "album"));
  await drain(avatarId);
  await tap(telegram, user, "✅ Done");
  return avatarId;
}

async function startTraining(avatarId: string): Promise<string> {
  await tap(telegram, user, "🚀 Train");
  await tap(telegram, user, "🚀 Start training");
  await settle(avatarId, async () => (await status(avatarId)) === "TRAINING");
  return fal.job().id;
}

async function trained(name = "Anna"): Promise<string> {
  const avatarId = await readyToTrain(name);
  const id = await startTraining(avatarId);
  fal.succeed(id);
  expect((await exports.default.fetch(await fal.webhook(id))).status).toBe(200);
  await settle(avatarId, async () => (await status(avatarId)) === "COMPLETED");
  return avatarId;
}

/** fal finishes the latest generation with `count` pictures; `nsfw` flags some of them. */
async function falDraws(count: number, nsfw: boolean[] = []): Promise<void> {
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
  expect((await exports.default.fetch(await fal.webhook(job.id))).status).toBe(200);
}

async function generate(avatarId: string): Promise<void> {
  await tap(telegram, user, "🎨 Create pictures");
  expect(text()).toContain("💳 A picture costs 10 credits (20 for 2) · you have");
  await tap(telegram, user, /Cinematic/);
  await runDurableObjectAlarm(env.AVATAR_WORKSPACE.getByName(avatarId));
}

describe("the balance", () => {
  it("gives the free allowance once, on first start, and shows it with the way to buy more", async () => {
    await say(telegram, user, "/start");
    await say(telegram, user, "/start");
    expect(await balance()).toEqual({ userId: user.id, available: 300, reserved: 0 });
    expect(await kinds()).toEqual(["grant 300"]);
    await say(telegram, user, "/balance");
    expect(text()).toBe(
      "💳 Your balance: 300 credits\nPrices: a training from 200 credits, a picture 10 credits.\n\nRecent\n+300 welcome gift",
    );
    expect(buttons().map((b) => [b.text, b.callback_data])).toEqual([
      ["💳 Buy credits", "buy"],
      ["⬅️ Menu", "m"],
    ]);
    await tap(telegram, user, "⬅️ Menu");
    await tap(telegram, user, "💳 Balance");
    expect(text()).toContain("💳 Your balance: 300 credits");
  });

  it("gives the allowance to a user whose first message is not /start", async () => {
    await say(telegram, user, "hello");
    expect(await balance()).toMatchObject({ available: 300 });
  });

  it("speaks Russian, with plural forms", async () => {
    user = newUser("ru");
    await allowance(21);
    await say(telegram, user, "/balance");
    expect(text()).toBe(
      "💳 Ваш баланс: 21 кредит\nЦены: обучение — от 200 кредитов, 10 кредитов за изображение.\n\nПоследние операции\n+21 — подарок при знакомстве",
    );
    expect(buttons()[0]?.text).toBe("💳 Купить кредиты");
  });
});

describe("credits follow a training", () => {
  it("holds the price at Start, charges it when the training completes, and says it all up front", async () => {
    const avatarId = await readyToTrain();
    await tap(telegram, user, "🚀 Train");
    expect(text()).toContain("💳 Training costs 250 credits · you have 300.");
    await tap(telegram, user, "⚡ Faster · less face detail");
    expect(text()).toContain("💳 Training costs 200 credits · you have 300.");
    await tap(telegram, user, "💎 Best likeness · slower");
    await tap(telegram, user, "🚀 Start training");
    expect(await balance()).toMatchObject({ available: 50, reserved: 250 });
    await settle(avatarId, async () => (await status(avatarId)) === "TRAINING");
    const id = fal.job().id;
    fal.succeed(id);
    const webhook = await fal.webhook(id);
    expect((await exports.default.fetch(webhook.clone())).status).toBe(200);
    expect((await exports.default.fetch(webhook)).status).toBe(200);
    expect(await balance()).toMatchObject({ available: 50, reserved: 0 });
    expect(await kinds()).toEqual(["grant 300", "reserve 250", "charge 250"]);
    await say(telegram, user, "/balance");
    expect(text()).toContain("💳 Your balance: 50 credits\n");
    expect(text()).toContain("\nRecent\n−250 training «Anna»\n+300 welcome gift");
  });

  it("gives the credits back when fal reports a failure, and says so", async () => {
    const avatarId = await readyToTrain();
    const id = await startTraining(avatarId);
    fal.fail(id, 422, { detail: [{ msg: "Invalid images", type: "value_error" }] });
    expect((await exports.default.fetch(await fal.webhook(id))).status).toBe(200);
    expect(await status(avatarId)).toBe("ERROR");
    expect(text()).toContain("\n\n💳 250 credits are back on your balance.");
    expect(await balance()).toMatchObject({ available: 300, reserved: 0 });
    await say(telegram, user, "/balance");
    expect(text()).toContain(
      "\nRecent\n+250 returned: training «Anna» failed\n−250 training «Anna»\n+300 welcome gift",
    );
  });

  it("gives the credits back when the user cancels", async () => {
    const avatarId = await readyToTrain();
    await startTraining(avatarId);
    await say(telegram, user, "/cancel");
    await tap(telegram, user, "Yes, cancel");
    expect(await status(avatarId)).toBe("CANCELLED");
    expect(text()).toContain("Training of avatar Anna cancelled");
    expect(text()).toContain("💳 250 credits are back on your balance.");
    expect(await balance()).toMatchObject({ available: 300, reserved: 0 });
    await say(telegram, user, "/balance");
    expect(text()).toContain("+250 returned: training «Anna» cancelled");
  });

  it("gives the credits back when a training is stopped past TRAINING_TIMEOUT, once", async () => {
    const avatarId = await readyToTrain();
    await startTraining(avatarId);
    await rows("UPDATE avatars SET training_started_at = ? WHERE id = ?", Date.now() - 4 * 3600_000, avatarId).catch(
      () => rows("UPDATE avatars SET training_started_at = now() - interval '4 hours' WHERE id = ?", avatarId),
    );
    await settle(avatarId, async () => (await status(avatarId)) === "ERROR");
    await env.AVATAR_WORKSPACE.getByName(avatarId).sweep();
    expect(text()).toContain("💳 250 credits are back on your balance.");
    expect(await kinds()).toEqual(["grant 300", "reserve 250", "release 250"]);
  });

  it("gives the credits back when fal refuses the start", async () => {
    const avatarId = await readyToTrain();
    fal.failNextSubmit({ status: 500, body: { detail: "Internal Server Error" } });
    await tap(telegram, user, "🚀 Train");
    await tap(telegram, user, "🚀 Start training");
    await settle(avatarId, async () => text().includes("Training could not be started."));
    expect(text()).toContain("💳 250 credits are back on your balance.");
    expect(await balance()).toMatchObject({ available: 300, reserved: 0 });
    expect(await status(avatarId)).toBe("READY_FOR_TRAINING");
  });

  it("says what a training costs and what the user has when it is too little, and starts nothing", async () => {
    await allowance(120);
    const avatarId = await readyToTrain();
    await tap(telegram, user, "🚀 Train");
    expect(text()).toContain("💳 Training costs 250 credits · you have 120.");
    await tap(telegram, user, "🚀 Start training");
    expect(text()).toBe("💳 Not enough credits.\nTraining costs 250 credits · you have 120");
    expect(buttons().map((b) => [b.text, b.callback_data])).toEqual([
      ["💳 Buy credits", "buy"],
      ["⬅️ My avatars", "al:0"],
    ]);
    await runDurableObjectAlarm(env.AVATAR_WORKSPACE.getByName(avatarId));
    expect(await status(avatarId)).toBe("READY_FOR_TRAINING");
    expect(trainings()).toBe(0);
    expect(await kinds()).toEqual(["grant 120"]);
  });

  it("says it in Russian", async () => {
    user = newUser("ru");
    await allowance(120);
    await avatarCollectingPhotos(telegram, user, "Анна");
    const [avatar] = await avatarsOf(user.id);
    for (const bytes of photos) await send(telegram.photoUpdate(user, [{ bytes, width: 600, height: 560 }], "album"));
    await drain(String(avatar?.id));
    await tap(telegram, user, /Готово/);
    await tap(telegram, user, /Обучить/);
    expect(text()).toContain("💳 Обучение стоит 250 кредитов · у вас 120.");
    await tap(telegram, user, /Начать обучение/);
    expect(text()).toBe("💳 Не хватает кредитов.\nОбучение стоит 250 кредитов · у вас 120");
  });

  it("starts exactly one of two trainings started at once with credits for one", async () => {
    const first = await readyToTrain("Anna");
    const second = await readyToTrain("Bella");
    const userId = await userIdOf(user.id);
    const outcomes = await Promise.all(
      [first, second].map((avatarId) =>
        env.AVATAR_WORKSPACE.getByName(avatarId).startTraining(userId, user.id, 0, "en", user.id),
      ),
    );
    expect(outcomes.sort()).toEqual(["accepted", "insufficient"]);
    expect(await balance()).toMatchObject({ available: 50, reserved: 250 });
    const started = outcomes[0] === "accepted" ? first : second;
    await settle(started, async () => trainings() === 1);
    for (const avatarId of [first, second]) await runDurableObjectAlarm(env.AVATAR_WORKSPACE.getByName(avatarId));
    expect([await status(first), await status(second)].sort()).toEqual(["READY_FOR_TRAINING", "TRAINING"]);
    expect(trainings()).toBe(1);
  });

  it("holds once for a redelivered or double-tapped Start", async () => {
    const avatarId = await readyToTrain();
    await tap(telegram, user, "🚀 Train");
    const screen = telegram.lastBotMessage(user.id);
    const data = telegram.buttonData(screen, "🚀 Start training");
    const update = telegram.callbackUpdate(user, screen.message_id, data);
    await send(update);
    await send(update);
    await send(telegram.callbackUpdate(user, screen.message_id, data));
    await settle(avatarId, async () => (await status(avatarId)) === "TRAINING");
    await settle(avatarId, async () => trainings() === 1);
    await runDurableObjectAlarm(env.AVATAR_WORKSPACE.getByName(avatarId));
    expect(await kinds()).toEqual(["grant 300", "reserve 250"]);
    expect(trainings()).toBe(1);
  });
});

describe("credits follow a generation", () => {
  it("charges every picture delivered", async () => {
    const avatarId = await trained();
    await generate(avatarId);
    expect(await balance()).toMatchObject({ available: 30, reserved: 20 });
    await falDraws(2);
    expect(await balance()).toMatchObject({ available: 30, reserved: 0 });
    expect(await kinds()).toEqual(["grant 300", "reserve 250", "charge 250", "reserve 20", "charge 20"]);
    await say(telegram, user, "/balance");
    expect(text()).toContain("\nRecent\n−20 for pictures «Anna»\n−250 training «Anna»");
  });

  it("charges only the pictures that passed the safety check and gives the rest back", async () => {
    const avatarId = await trained();
    await generate(avatarId);
    await falDraws(2, [false, true]);
    expect(text()).toBe(
      "🙈 Not every picture passed the safety check. Those held back cost nothing: 10 credits are back on your balance.",
    );
    expect(await balance()).toMatchObject({ available: 40, reserved: 0 });
    await say(telegram, user, "/balance");
    expect(text()).toContain("\nRecent\n+10 returned: pictures «Anna» held back\n−20 for pictures «Anna»");
  });

  it("gives everything back when every picture is withheld", async () => {
    const avatarId = await trained();
    await generate(avatarId);
    await falDraws(2, [true, true]);
    expect(text()).toContain("💳 20 credits are back on your balance.");
    expect(await balance()).toMatchObject({ available: 50, reserved: 0 });
    await say(telegram, user, "/balance");
    expect(text()).toContain("+20 returned: pictures «Anna» failed");
  });

  it("gives everything back when fal fails the generation", async () => {
    const avatarId = await trained();
    await generate(avatarId);
    fal.fail(fal.job().id, 500, { detail: "Internal Server Error" });
    expect((await exports.default.fetch(await fal.webhook(fal.job().id))).status).toBe(200);
    expect(text()).toContain("💳 20 credits are back on your balance.");
    expect(await balance()).toMatchObject({ available: 50, reserved: 0 });
  });

  it("gives everything back when the deadline sweep ends a generation fal never finished", async () => {
    const avatarId = await trained();
    await generate(avatarId);
    await rows("UPDATE generations SET deadline_at = ? WHERE avatar_id = ?", Date.now() - 1000, avatarId).catch(() =>
      rows("UPDATE generations SET deadline_at = now() - interval '1 second' WHERE avatar_id = ?", avatarId),
    );
    await env.AVATAR_WORKSPACE.getByName(avatarId).sweep();
    expect(text()).toContain("💳 20 credits are back on your balance.");
    expect(await balance()).toMatchObject({ available: 50, reserved: 0 });
  });

  it("says what pictures cost when the credits fall short, and draws nothing", async () => {
    await allowance(260);
    const avatarId = await trained();
    await tap(telegram, user, "🎨 Create pictures");
    expect(text()).toContain("💳 A picture costs 10 credits (20 for 2) · you have 10.");
    await tap(telegram, user, /Cinematic/);
    expect(text()).toBe("💳 Not enough credits.\nThese pictures cost 20 credits · you have 10");
    expect(buttons()[0]?.callback_data).toBe("buy");
    await runDurableObjectAlarm(env.AVATAR_WORKSPACE.getByName(avatarId));
    expect(await rows("SELECT id FROM generations WHERE avatar_id = ?", avatarId)).toEqual([]);
    expect(await balance()).toMatchObject({ available: 10, reserved: 0 });
  });
});

describe("/grant", () => {
  it("gives an admin's grant once, even when the update is delivered again", async () => {
    const target = newUser();
    const grant = telegram.textUpdate(ADMIN, `/grant ${target.id} 300`);
    await send(grant);
    expect(telegram.lastBotMessage(ADMIN.id).text).toBe(
      `✅ Granted 300 credits to ${target.id}. Their balance: 300 credits.`,
    );
    const replies = telegram.callsTo("sendMessage").length;
    await send(grant);
    await send(grant);
    // Telegram's redelivery changes nothing: no second grant, no second answer.
    expect(telegram.callsTo("sendMessage")).toHaveLength(replies);
    expect(await balance(target)).toMatchObject({ available: 300 });
    expect(await kinds(target)).toEqual(["grant 300"]);
    await say(telegram, target, "/balance");
    expect(telegram.lastBotMessage(target.id).text).toContain("💳 Your balance: 600 credits\n");
    expect(telegram.lastBotMessage(target.id).text).toContain("\nRecent\n+300 welcome gift\n+300 granted");
  });

  it.each(["/grant", "/grant 12345", "/grant abc 5", "/grant 12345 0", "/grant 12345 -5", "/grant 12345 10 more"])(
    "answers %s with the usage line and grants nothing",
    async (command) => {
      await say(telegram, ADMIN, command);
      expect(telegram.lastBotMessage(ADMIN.id).text).toBe(
        "Usage: /grant <user id> <credits>, for example /grant 123456789 300. Credits are a whole number from 1 to 1000000.",
      );
      expect(await balance({ id: 12345, first_name: "x" })).toMatchObject({ available: 0 });
    },
  );

  it("is an unknown command for anyone else", async () => {
    await say(telegram, user, `/grant ${user.id} 1000`);
    expect(text()).not.toContain("Granted");
    expect(await balance()).toMatchObject({ available: 300 });
  });

  it("shows credits granted, spent and returned in /stats", async () => {
    await say(telegram, ADMIN, "/stats");
    expect(telegram.lastBotMessage(ADMIN.id).text).toMatch(/Credits\n• granted: \d+\n• spent: \d+\n• returned: \d+/);
  });
});
