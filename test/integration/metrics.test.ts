import { runDurableObjectAlarm } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { cb } from "../../src/bot/callback-data";
import { D1Repository } from "../../src/db/d1/d1-repository";
import { createApp } from "../../src/http/app";
import { jpeg, picture } from "../corpus/images";
import { userIdOf } from "../support/db";
import { installStandIns, newUser, say, send, tap } from "../support/harness";

const DAY = 86400_000;

/** A scripted history: avatars through every outcome, photos, generations and refusals. */
beforeAll(async () => {
  const userId = crypto.randomUUID();
  const now = Date.now();
  const avatar = (status: string, type: string, started: number | null, completed: number | null, data = "{}") =>
    env.DB.prepare(
      `INSERT INTO avatars (id, user_id, name, avatar_type, status, fal_iterations, fal_priority, trigger_word, lora_rank,
         training_started_at, training_completed_at, avatar_data, updated_at) VALUES (?, ?, 'A', ?, ?, 500, 'quality', ?, 32, ?, ?, ?, ?)`,
    ).bind(crypto.randomUUID(), userId, type, status, `t${crypto.randomUUID()}`, started, completed, data, now);
  await env.DB.batch([
    env.DB.prepare("INSERT INTO users (id, telegram_id, language_code, last_seen_at) VALUES (?, 1, 'en', 0)").bind(
      userId,
    ),
    avatar(
      "COMPLETED",
      "CHARACTER",
      now - 3 * DAY,
      now - 3 * DAY + 600_000,
      JSON.stringify({ trainingData: { key: "k1", createdAt: now, bytes: 5000 } }),
    ),
    avatar("COMPLETED", "CHARACTER", now - 2 * DAY, now - 2 * DAY + 1_200_000),
    avatar("COMPLETED", "STYLE", now - DAY, now - DAY + 900_000),
    avatar("ERROR", "CHARACTER", now - DAY, now - DAY + 60_000),
    avatar("CANCELLED", "CHARACTER", now - DAY, null),
    avatar("DRAFT", "STYLE", null, null),
  ]);
  const [photoAvatar] = (
    await env.DB.prepare("SELECT id FROM avatars WHERE status = 'COMPLETED' LIMIT 1").all<{ id: string }>()
  ).results;
  const photo = (n: number) =>
    env.DB.prepare(
      `INSERT INTO avatar_photos (id, avatar_id, user_id, minio_key, file_hash, upload_order, validation_status, file_size, format, photo_metadata)
       VALUES (?, ?, ?, ?, ?, ?, 'VALID', 1000, 'jpg', ?)`,
    ).bind(
      crypto.randomUUID(),
      photoAvatar?.id,
      userId,
      `k${n}`,
      `h${n}`,
      n,
      JSON.stringify({ thumbnailBytes: 100, processedBytes: 500 }),
    );
  const generation = (age: number, keys: number, bytes: number) =>
    env.DB.prepare(
      "INSERT INTO generations (id, avatar_id, user_id, prompt, status, result_keys, options, created_at) VALUES (?, ?, ?, 'p', 'SUCCEEDED', ?, ?, ?)",
    ).bind(
      crypto.randomUUID(),
      photoAvatar?.id,
      userId,
      JSON.stringify(Array.from({ length: keys }, (_, i) => `g${i}`)),
      JSON.stringify({ bytes }),
      now - age,
    );
  await env.DB.batch([
    photo(1),
    photo(2),
    generation(0, 2, 3000),
    generation(0, 1, 1000),
    generation(2 * DAY, 1, 1500),
  ]);
  const repo = new D1Repository(env.DB);
  await repo.incrementCounter("photos_refused", "too_small");
  await repo.incrementCounter("photos_refused", "too_small");
  await repo.incrementCounter("photos_refused", "wrong_format");
});

const metrics = (token?: string) =>
  exports.default.fetch(
    new Request("https://bot.example/metrics", token ? { headers: { authorization: `Bearer ${token}` } } : {}),
  );

describe("GET /metrics", () => {
  it("serves every metric of the spec in Prometheus text format", async () => {
    const response = await metrics("test-metrics-token");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain");
    const text = await response.text();
    for (const line of [
      'avatar_studio_avatars{type="CHARACTER",status="COMPLETED"} 2',
      'avatar_studio_avatars{type="STYLE",status="DRAFT"} 1',
      'avatar_studio_training_seconds{quantile="0.5"} 900',
      'avatar_studio_training_seconds{quantile="0.95"} 1200',
      'avatar_studio_trainings{outcome="completed"} 3',
      'avatar_studio_trainings{outcome="failed"} 1',
      'avatar_studio_trainings{outcome="cancelled"} 1',
      "avatar_studio_training_success_ratio 0.75",
      "avatar_studio_generations_total 3",
      'avatar_studio_storage_bytes{kind="originals"} 2000',
      'avatar_studio_storage_bytes{kind="thumbnails"} 200',
      'avatar_studio_storage_bytes{kind="processed"} 1000',
      'avatar_studio_storage_bytes{kind="training_zips"} 5000',
      'avatar_studio_storage_bytes{kind="generated"} 5500',
      'avatar_studio_storage_objects{kind="generated"} 4',
      'avatar_studio_photos_refused_total{reason="too_small"} 2',
      'avatar_studio_photos_refused_total{reason="wrong_format"} 1',
    ]) {
      expect(text).toContain(line);
    }
    const today = new Date().toISOString().slice(0, 10);
    expect(text).toContain(`avatar_studio_generations_day{day="${today}"} 2`);
  });

  it("answers 401 without the right bearer token", async () => {
    expect((await metrics()).status).toBe(401);
    expect((await metrics("wrong")).status).toBe(401);
  });

  it("is not there (404) when no METRICS_TOKEN is configured", async () => {
    const response = await createApp().fetch(
      new Request("https://bot.example/metrics"),
      { ...env, METRICS_TOKEN: undefined },
      {
        waitUntil: () => undefined,
        passThroughOnException: () => undefined,
        props: {},
      } as unknown as ExecutionContext,
    );
    expect(response.status).toBe(404);
  });
});

describe("/stats", () => {
  it("shows the figures to an admin", async () => {
    const { telegram } = installStandIns();
    const admin = { id: 990001, first_name: "Ops", language_code: "en" };
    await say(telegram, admin, "/stats");
    const text = telegram.lastBotMessage(admin.id).text ?? "";
    expect(text).toContain("Training: median 900 s, p95 1200 s; success 75%");
    expect(text).toContain("Generations: 3 in all");
    expect(text).toContain("too_small: 2");
  });

  it("answers anyone else exactly as an unknown command", async () => {
    const { telegram } = installStandIns();
    const someone = { id: 990002, first_name: "Eve", language_code: "en" };
    await say(telegram, someone, "/stats");
    const stats = telegram.lastBotMessage(someone.id);
    await say(telegram, someone, "/nonsense");
    const unknown = telegram.lastBotMessage(someone.id);
    expect(stats.text).toBe(unknown.text);
    expect(stats.reply_markup).toEqual(unknown.reply_markup);
  });
});

// Last in the file: it adds an avatar and a generation to the scripted history the tests above count.
describe("generated storage", () => {
  it("grows by the bytes of the pictures a generation stores", async () => {
    const { telegram, fal } = installStandIns();
    const user = newUser();
    await say(telegram, user, "/start");
    const avatarId = crypto.randomUUID();
    await env.DB.prepare(
      `INSERT INTO avatars (id, user_id, name, gender, avatar_type, status, fal_iterations, fal_priority, trigger_word,
         lora_rank, finetune_id, updated_at) VALUES (?, ?, 'Ann', 'FEMALE', 'CHARACTER', 'COMPLETED', 500, 'quality', ?, 32, ?, 0)`,
    )
      .bind(
        avatarId,
        await userIdOf(user.id),
        `ohx${avatarId.slice(0, 7)}`,
        "https://v3.fal.media/files/lora/w.safetensors",
      )
      .run();
    const generated = async () => {
      const text = await (await metrics("test-metrics-token")).text();
      const value = (name: string) => Number(new RegExp(`${name}\\{kind="generated"\\} (\\d+)`).exec(text)?.[1]);
      return { bytes: value("avatar_studio_storage_bytes"), objects: value("avatar_studio_storage_objects") };
    };
    const before = await generated();

    await send(
      telegram.callbackUpdate(user, telegram.lastBotMessage(user.id).message_id, cb("generate", { avatarId })),
    );
    await tap(telegram, user, "📸 Portrait studio");
    await runDurableObjectAlarm(env.AVATAR_WORKSPACE.getByName(avatarId));
    const job = fal.job();
    const drawn = [await jpeg(picture(768, 1024, 3)), await jpeg(picture(768, 1024, 4))];
    const images = drawn.map((bytes, i) => {
      const url = `https://v3.fal.media/files/gen/${job.id}_${i}.jpg`;
      fal.media.set(url, { bytes, contentType: "image/jpeg" });
      return { url, width: 768, height: 1024, content_type: "image/jpeg" };
    });
    fal.succeed(job.id, { images, seed: 42, has_nsfw_concepts: [false, false], prompt: job.input.prompt });
    expect((await exports.default.fetch(await fal.webhook(job.id))).status).toBe(200);
    expect(telegram.callsTo("sendMediaGroup")).toHaveLength(1);

    const prefix = `avatars/user_${await userIdOf(user.id)}/avatar_${avatarId}/generated/`;
    const stored = (await env.BUCKET.list({ prefix })).objects;
    expect(stored).toHaveLength(2);
    const storedBytes = stored.reduce((sum, object) => sum + object.size, 0);
    expect(storedBytes).toBe(drawn.reduce((sum, bytes) => sum + bytes.length, 0));
    const after = await generated();
    expect(after.objects - before.objects).toBe(2);
    expect(after.bytes - before.bytes).toBe(storedBytes);
  });
});
