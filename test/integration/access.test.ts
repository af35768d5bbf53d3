import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { cb } from "../../src/bot/callback-data";
import type { FalStandIn } from "../stand-ins/fal";
import { type StandInUser, TelegramStandIn } from "../stand-ins/telegram";
import { rows, userExists, userIdOf } from "../support/db";
import { BOT_TOKEN, handOff, installStandIns, lastAnswer, newUser, say, send, settled } from "../support/harness";

// This file runs as the vitest project "d1-r2-closed-beta" (vitest.config.ts): ACCESS_MODE=allowlist,
// ALLOWED_USER_IDS=990101,990102, MAX_TRAININGS_PER_DAY=2, MAX_GENERATIONS_PER_HOUR=3.
const ADMIN: StandInUser = { id: 990001, first_name: "Olga", language_code: "en" };
const LISTED: StandInUser = { id: 990101, first_name: "Lena", language_code: "en" };
const LISTED_TOO: StandInUser = { id: 990102, first_name: "Petr", language_code: "ru" };
const LORA = "https://v3.fal.media/files/lora/pytorch_lora_weights.safetensors";

const REFUSED_EN =
  "🔒 Sorry, this bot is open only to invited testers for now. If you know who runs it, ask them to let you in.";
const REFUSED_RU =
  "🔒 Извините, пока этот бот открыт только для приглашённых участников. Если вы знаете, кто его ведёт, попросите добавить вас.";

let telegram: TelegramStandIn;
let fal: FalStandIn;

beforeEach(() => {
  ({ telegram, fal } = installStandIns());
});

const lastText = (user: StandInUser) => telegram.lastBotMessage(user.id).text ?? "";

/** Every row count of every table of ours in D1, to show what an update left behind. */
async function tableCounts(): Promise<Record<string, number>> {
  const tables = await rows<{ name: string }>(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name != 'd1_migrations' ORDER BY name",
  );
  const counts: Record<string, number> = {};
  for (const { name } of tables)
    counts[name] = Number((await rows<{ n: number }>(`SELECT COUNT(*) AS n FROM ${name}`))[0]?.n);
  return counts;
}

async function bucketKeys(): Promise<string[]> {
  return (await env.BUCKET.list()).objects.map((o) => o.key);
}

/** What the user's chat session keeps: tables, keys and alarm. */
async function sessionStorage(user: StandInUser) {
  return runInDurableObject(env.CHAT_SESSION.getByName(String(user.id)), async (_, state) => ({
    tables: state.storage.sql
      .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '_cf_%'")
      .toArray()
      .map((t) => t.name),
    keys: [...(await state.storage.list()).keys()],
    alarm: await state.storage.getAlarm(),
  }));
}

/** An admin lets the user in. */
async function allow(user: StandInUser): Promise<void> {
  await say(telegram, ADMIN, `/allow ${user.id}`);
  expect(lastText(ADMIN)).toContain(`User ${user.id} can use the bot from their next message.`);
}

/** A trained avatar of the user, as training leaves it. */
async function trainedAvatar(user: StandInUser): Promise<string> {
  const id = crypto.randomUUID();
  await env.DB.prepare(
    `INSERT INTO avatars (id, user_id, name, gender, avatar_type, status, fal_iterations, fal_priority, trigger_word, lora_rank, finetune_id, updated_at)
     VALUES (?, ?, 'Ann', 'FEMALE', 'CHARACTER', 'COMPLETED', 500, 'quality', ?, 32, ?, 0)`,
  )
    .bind(id, await userIdOf(user.id), `ohx${id.slice(0, 7)}`, LORA)
    .run();
  return id;
}

/** An avatar ready to train with one checked photo (MIN_PHOTOS_FOR_TRAINING=1 here). */
async function readyAvatar(user: StandInUser, name: string): Promise<string> {
  const id = crypto.randomUUID();
  const userId = await userIdOf(user.id);
  const crop = `users/${userId}/avatars/${id}/processed/1.jpg`;
  await env.BUCKET.put(crop, new Uint8Array([0xff, 0xd8, 0xff, 0xd9]));
  await env.DB.batch([
    env.DB.prepare(
      `INSERT INTO avatars (id, user_id, name, gender, avatar_type, status, fal_iterations, fal_priority, trigger_word, lora_rank, photos_count, updated_at)
       VALUES (?, ?, ?, 'FEMALE', 'CHARACTER', 'READY_FOR_TRAINING', 500, 'quality', ?, 32, 1, 0)`,
    ).bind(id, userId, name, `ohx${id.slice(0, 7)}`),
    env.DB.prepare(
      `INSERT INTO avatar_photos (id, avatar_id, user_id, minio_key, file_hash, upload_order, validation_status, file_size, format, has_face, photo_metadata)
       VALUES (?, ?, ?, ?, ?, 1, 'VALID', 4, 'jpg', 1, ?)`,
    ).bind(crypto.randomUUID(), id, userId, `${crop}.orig`, `h${id}`, JSON.stringify({ seq: 1, processedKey: crop })),
  ]);
  return id;
}

/** The user taps each button at once, each under a message of its own, as a burst reaches the webhook. */
async function burst(user: StandInUser, data: string[]): Promise<number[]> {
  const messages: number[] = [];
  for (const _ of data) {
    await say(telegram, user, "/start");
    messages.push(telegram.lastBotMessage(user.id).message_id);
  }
  const updates = data.map((d, i) => telegram.callbackUpdate(user, messages[i] ?? 0, d));
  const answers = await Promise.all(updates.map((u) => handOff(u)));
  expect(answers.map((a) => a.status)).toEqual(data.map(() => 200));
  await settled(updates[0]);
  return messages;
}

describe("a closed beta (ACCESS_MODE=allowlist)", () => {
  it("answers a stranger with one polite line in their language and stores nothing of them", async () => {
    const stranger = newUser("en");
    const russian = newUser("ru");
    // Warm the bot up (its getMe is cached on first use), so only the strangers' traces can differ.
    await say(telegram, LISTED, "/start");
    const tablesBefore = await tableCounts();
    const objectsBefore = await bucketKeys();

    await say(telegram, stranger, "/start");
    expect(
      telegram
        .chat(stranger.id)
        .filter((m) => m.from_bot)
        .map((m) => m.text),
    ).toEqual([REFUSED_EN]);
    await say(telegram, stranger, "Hello? I would like an avatar");
    await send(
      telegram.photoUpdate(stranger, [{ bytes: new Uint8Array([0xff, 0xd8, 0xff, 0xd9]), width: 600, height: 560 }]),
    );
    // An inline button from earlier (any message of the bot's): an alert, not a new message.
    const refusal = telegram.lastBotMessage(stranger.id).message_id;
    await send(telegram.callbackUpdate(stranger, refusal, cb("menu")));
    expect(lastAnswer(telegram)).toBe("🔒 Sorry, this bot is open only to invited testers for now.");
    expect(telegram.callsTo("answerCallbackQuery").at(-1)?.params.show_alert).toBe(true);
    await say(telegram, russian, "/start");
    expect(lastText(russian)).toBe(REFUSED_RU);

    const bot = telegram.chat(stranger.id).filter((m) => m.from_bot);
    expect(bot.map((m) => m.text)).toEqual([REFUSED_EN, REFUSED_EN, REFUSED_EN]);
    // Nothing downloaded, nothing stored: no user, avatar, photo, job start or object; only the
    // refusal counter moved, and it names no one.
    expect(telegram.callsTo("getFile")).toHaveLength(0);
    const tablesAfter = await tableCounts();
    expect({ ...tablesAfter, metrics_counters: 0 }).toEqual({ ...tablesBefore, metrics_counters: 0 });
    const labels = await rows<{ name: string; label: string }>("SELECT name, label FROM metrics_counters");
    expect(labels.filter((c) => c.name === "access_refused")).toEqual([{ name: "access_refused", label: "stranger" }]);
    expect(await bucketKeys()).toEqual(objectsBefore);
    // Their chat sessions keep no inbox, no update id, no session and no alarm.
    expect(await sessionStorage(stranger)).toEqual({ tables: [], keys: [], alarm: null });
    expect(await sessionStorage(russian)).toEqual({ tables: [], keys: [], alarm: null });
  });

  it("refuses a stranger's payment at pre-checkout, so no Stars are taken and nothing is stored", async () => {
    const stranger = newUser("ru");
    await say(telegram, LISTED, "/start");
    await say(telegram, stranger, "/start");
    const tablesBefore = await tableCounts();
    // An invoice of a tester's, forwarded to the stranger: forwarded invoices keep their Pay button.
    const sent = await telegram.handle(
      new Request(`https://api.telegram.org/bot${BOT_TOKEN}/sendInvoice`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          chat_id: stranger.id,
          title: "100 credits",
          description: "100 credits for trainings and pictures",
          payload: `pkg:100:50:${LISTED.id}`,
          currency: "XTR",
          prices: [{ label: "100 credits", amount: 50 }],
        }),
      }),
    );
    expect(sent.status).toBe(200);
    const invoice = telegram.lastBotMessage(stranger.id);
    const query = telegram.preCheckoutUpdate(stranger, invoice.message_id);
    await send(query);
    const answered = telegram.callsTo("answerPreCheckoutQuery").at(-1);
    expect(answered?.params).toMatchObject({
      ok: false,
      error_message: "🔒 Извините, пока этот бот открыт только для приглашённых участников.",
    });
    expect(telegram.checkout(TelegramStandIn.queryIdOf(query))).toMatchObject({ paid: false, reason: "refused" });
    expect(await userExists(stranger.id)).toBe(false);
    const tablesAfter = await tableCounts();
    expect({ ...tablesAfter, metrics_counters: 0 }).toEqual({ ...tablesBefore, metrics_counters: 0 });
    expect(await sessionStorage(stranger)).toEqual({ tables: [], keys: [], alarm: null });
  });

  it("lets a stranger in after /allow and shuts them out after /deny, keeping their data to see and delete", async () => {
    const guest = newUser("en");
    await say(telegram, guest, "/start");
    expect(lastText(guest)).toBe(REFUSED_EN);

    await allow(guest);
    expect(lastText(ADMIN)).not.toContain("open to everyone");
    await say(telegram, guest, "/start");
    expect(lastText(guest)).toContain(`Hi, ${guest.first_name}!`);
    expect(await userExists(guest.id)).toBe(true);
    await say(telegram, ADMIN, `/allow ${guest.id}`);
    expect(lastText(ADMIN)).toBe(`User ${guest.id} could already use the bot; nothing changed.`);
    const avatarId = await trainedAvatar(guest);

    await say(telegram, ADMIN, `/deny ${guest.id}`);
    expect(lastText(ADMIN)).toBe(
      `⛔ User ${guest.id} can no longer use the bot, from their next message. Their data is kept: they can still see it with /privacy and delete it with /deletemydata, and whatever was already running for them finishes.`,
    );
    // The very next update obeys it, though the guest's session had just read their rule.
    await say(telegram, guest, "/start");
    expect(lastText(guest)).toBe(
      "🔒 Your access to this bot has been closed. What it keeps about you is still here: /privacy tells you what that is, and /deletemydata deletes it.",
    );
    const card = telegram.lastBotMessage(guest.id).message_id;
    await send(telegram.callbackUpdate(guest, card, cb("generate", { avatarId })));
    expect(lastAnswer(telegram)).toBe("🔒 Sorry, this bot is open only to invited testers for now.");
    expect(await rows("SELECT id FROM avatars WHERE id = ?", avatarId)).toHaveLength(1);

    // Privacy stays theirs: they may read what is kept and delete it.
    await say(telegram, guest, "/privacy");
    expect(lastText(guest)).toContain("Your data");
    await say(telegram, guest, "/deletemydata");
    expect(lastText(guest)).toContain("This deletes everything the bot keeps about you: 1 avatar");
    await send(telegram.callbackUpdate(guest, telegram.lastBotMessage(guest.id).message_id, cb("deleteMyData")));
    expect(lastText(guest)).toContain("All your data has been deleted.");
    expect(await userExists(guest.id)).toBe(false);
    // Now a stranger again, and still denied: nothing of theirs comes back.
    await say(telegram, guest, "/start");
    expect(lastText(guest)).toBe(REFUSED_EN);
    expect(await userExists(guest.id)).toBe(false);
  });

  it("lets in ALLOWED_USER_IDS and admins with no rule, and /deny outranks the list but never an admin", async () => {
    await say(telegram, LISTED_TOO, "/start");
    expect(lastText(LISTED_TOO)).toContain("Привет, Petr!");
    await say(telegram, ADMIN, "/start");
    expect(lastText(ADMIN)).toContain("Hi, Olga!");

    await say(telegram, ADMIN, `/deny ${LISTED_TOO.id}`);
    await say(telegram, LISTED_TOO, "/start");
    expect(lastText(LISTED_TOO)).toBe(
      "🔒 Доступ к этому боту для вас закрыт. Ваши данные сохранены: /privacy расскажет, что именно хранится, а /deletemydata всё удалит.",
    );
    await say(telegram, ADMIN, `/allow ${LISTED_TOO.id}`);
    await say(telegram, LISTED_TOO, "/start");
    expect(lastText(LISTED_TOO)).toContain("Привет, Petr!");

    await say(telegram, ADMIN, `/deny ${ADMIN.id}`);
    expect(lastText(ADMIN)).toBe(
      `User ${ADMIN.id} is an administrator (ADMIN_USER_IDS) and always has access; nothing changed.`,
    );
    await say(telegram, ADMIN, "/start");
    expect(lastText(ADMIN)).toContain("Hi, Olga!");
  });

  it("keeps /allow and /deny to admins, and says how to write them", async () => {
    await say(telegram, LISTED, `/allow ${newUser().id}`);
    expect(lastText(LISTED)).toContain("I can only read button presses and commands here.");
    for (const command of ["/allow", "/deny abc", "/allow 12 34", "/deny -5"]) {
      await say(telegram, ADMIN, command);
      expect(lastText(ADMIN)).toMatch(
        /^Send the person's Telegram user id \(digits only\) with the command, for example: \/(allow|deny) 123456789$/,
      );
    }
  });
});

describe("per-user limits", () => {
  it("holds MAX_GENERATIONS_PER_HOUR under a burst of taps on several avatars, and says when to come back", async () => {
    const user = newUser("en");
    await allow(user);
    await say(telegram, user, "/start");
    const avatars = [await trainedAvatar(user), await trainedAvatar(user)];
    const presets = ["studio", "cinema", "anime"];
    const taps = avatars.flatMap((avatarId) => presets.map((preset) => cb("genPreset", { avatarId, preset })));
    await burst(user, taps);

    const made = await rows("SELECT id FROM generations WHERE user_id = ?", await userIdOf(user.id));
    expect(made).toHaveLength(3);
    const alerts = telegram
      .callsTo("answerCallbackQuery")
      .map((c) => c.params.text)
      .filter((text) => typeof text === "string" && text.startsWith("⏳"));
    expect(alerts).toEqual([
      "⏳ Pictures can be ordered 3 times an hour, and you have reached that. You can order more in 1 h.",
      "⏳ Pictures can be ordered 3 times an hour, and you have reached that. You can order more in 1 h.",
      "⏳ Pictures can be ordered 3 times an hour, and you have reached that. You can order more in 1 h.",
    ]);
    // Deleting pictures gives no start back: the hour counts what was ordered.
    await env.DB.prepare("DELETE FROM generations WHERE user_id = ?")
      .bind(await userIdOf(user.id))
      .run();
    await burst(user, [cb("genPreset", { avatarId: avatars[0] ?? "", preset: "studio" })]);
    expect(lastAnswer(telegram)).toMatch(/^⏳ Pictures can be ordered 3 times an hour/);
  });

  it("holds MAX_TRAININGS_PER_DAY under a burst of taps on several avatars, in Russian too", async () => {
    const user = newUser("ru");
    await allow(user);
    await say(telegram, user, "/start");
    const avatars = [await readyAvatar(user, "Аня"), await readyAvatar(user, "Боря"), await readyAvatar(user, "Вера")];
    const messages = await burst(
      user,
      avatars.map((avatarId) => cb("trainStart", { avatarId })),
    );
    const texts = messages.map((id) => telegram.messages.get(`${user.id}:${id}`)?.text ?? "");
    const limited = texts.filter((t) => t.startsWith("⏳ Обучение можно запускать"));
    expect(limited).toEqual([
      "⏳ Обучение можно запускать до 2 раз в сутки, и этот предел уже достигнут. Следующее обучение можно будет начать через 24 ч.",
    ]);
    expect(texts.filter((t) => t.startsWith("⏳ Готовлю аватар"))).toHaveLength(2);

    // The two accepted starts reach fal; the refused one never does.
    for (const avatarId of avatars) await runDurableObjectAlarm(env.AVATAR_WORKSPACE.getByName(avatarId));
    expect([...fal.jobs.values()].filter((job) => job.app.includes("training"))).toHaveLength(2);
    const statuses = await rows<{ status: string }>(
      "SELECT status FROM avatars WHERE user_id = ? ORDER BY status",
      await userIdOf(user.id),
    );
    expect(statuses.map((s) => s.status)).toEqual(["READY_FOR_TRAINING", "TRAINING", "TRAINING"]);
  });

  it("gives a training start back when fal refuses it", async () => {
    const user = newUser("en");
    await allow(user);
    await say(telegram, user, "/start");
    const first = await readyAvatar(user, "Ann");
    fal.failNextSubmit({ status: 422, body: { detail: [{ msg: "bad input", type: "value_error" }] } });
    await burst(user, [cb("trainStart", { avatarId: first })]);
    await runDurableObjectAlarm(env.AVATAR_WORKSPACE.getByName(first));
    expect(await rows("SELECT id FROM job_starts WHERE user_id = ?", await userIdOf(user.id))).toHaveLength(0);
  });

  it("never limits an admin", async () => {
    await say(telegram, ADMIN, "/start");
    const avatarId = await trainedAvatar(ADMIN);
    const presets = ["studio", "cinema", "anime", "oil"];
    await burst(
      ADMIN,
      presets.map((preset) => cb("genPreset", { avatarId, preset })),
    );
    expect(await rows("SELECT id FROM generations WHERE avatar_id = ?", avatarId)).toHaveLength(4);
    expect(await rows("SELECT id FROM job_starts WHERE user_id = ?", await userIdOf(ADMIN.id))).toHaveLength(0);
  });

  it("counts refusals and limit hits in /stats, naming no one", async () => {
    await say(telegram, newUser(), "/start");
    await say(telegram, ADMIN, "/stats");
    const stats = lastText(ADMIN);
    expect(stats).toMatch(/refused: [1-9]\d* from strangers, [1-9]\d* from denied users/);
    expect(stats).toMatch(/limits hit: [1-9]\d* training starts, [1-9]\d* picture orders/);
  });
});
