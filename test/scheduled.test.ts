import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { D1Repository } from "../src/db/d1/d1-repository";
import { runScheduled, TRAININGS_PER_RUN } from "../src/scheduled";
import { R2Storage } from "../src/storage/r2-storage";

const repo = new D1Repository(env.DB);
const storage = new R2Storage(env.BUCKET);

async function seedUser(): Promise<string> {
  const id = crypto.randomUUID();
  await env.DB.prepare("INSERT INTO users (id, telegram_id, language_code, last_seen_at) VALUES (?, ?, 'en', 0)")
    .bind(id, Math.floor(Math.random() * 1e12))
    .run();
  return id;
}

async function seedAvatars(
  userId: string,
  count: number,
  fields: { status: string; lastCheck?: number; avatarData?: unknown },
) {
  const ids: string[] = [];
  for (let start = 0; start < count; start += 100) {
    const statements = [];
    for (let i = start; i < Math.min(count, start + 100); i++) {
      const id = crypto.randomUUID();
      ids.push(id);
      statements.push(
        env.DB.prepare(
          `INSERT INTO avatars (id, user_id, name, status, fal_iterations, fal_priority, trigger_word, lora_rank,
             fal_request_id, fal_endpoint, training_started_at, last_status_check_at, avatar_data, updated_at)
           VALUES (?, ?, 'A', ?, 500, 'quality', ?, 32, ?, 'fal-ai/flux-lora-fast-training', ?, ?, ?, 0)`,
        ).bind(
          id,
          userId,
          fields.status,
          `t${id}`,
          `req-${id}`,
          Date.now(),
          fields.lastCheck ?? null,
          JSON.stringify(fields.avatarData ?? {}),
        ),
      );
    }
    await env.DB.batch(statements);
  }
  return ids;
}

describe("the cron trigger", () => {
  it("reaches 2,000 trainings in flight within the subrequest limit, least recently checked first", async () => {
    const userId = await seedUser();
    const ids = await seedAvatars(userId, 2000, { status: "TRAINING", lastCheck: 1 });
    const nudged: string[] = [];
    const perRun: number[] = [];
    let now = Date.now();
    for (let run = 0; run < 10 && nudged.length < 2000; run++) {
      let calls = 0;
      const summary = await runScheduled(
        createScheduledController({ scheduledTime: new Date(now), cron: "* * * * *" }),
        env,
        {
          repo,
          storage,
          stopAvatar: async () => undefined,
          followTraining: async (avatarId) => {
            calls += 1;
            nudged.push(avatarId);
            // What the woken workspace does: it polls fal and records the check.
            await env.DB.prepare("UPDATE avatars SET last_status_check_at = ? WHERE id = ?").bind(now, avatarId).run();
          },
        },
      );
      perRun.push(calls);
      expect(summary.trainingsNudged).toBe(calls);
      now += 60_000;
    }
    // Each run makes at most 250 Durable Object calls plus a handful of D1 queries: far below 1000.
    expect(Math.max(...perRun)).toBeLessThanOrEqual(TRAININGS_PER_RUN);
    expect(perRun).toEqual([250, 250, 250, 250, 250, 250, 250, 250]);
    expect(new Set(nudged)).toEqual(new Set(ids));
  }, 120_000);

  it("deletes training archives past TRAINING_DATA_TTL, in bounded runs", async () => {
    const userId = await seedUser();
    const old = Date.now() - 8 * 86400_000;
    const fresh = Date.now() - 86400_000;
    const [oldId] = await seedAvatars(userId, 1, {
      status: "COMPLETED",
      avatarData: { trainingData: { key: "x/old.zip", createdAt: old } },
    });
    const [freshId] = await seedAvatars(userId, 1, {
      status: "COMPLETED",
      avatarData: { trainingData: { key: "x/fresh.zip", createdAt: fresh } },
    });
    await env.BUCKET.put("x/old.zip", "zip");
    await env.BUCKET.put("x/fresh.zip", "zip");
    const summary = await runScheduled(
      createScheduledController({ scheduledTime: new Date(), cron: "* * * * *" }),
      env,
      {
        repo,
        storage,
        followTraining: async () => undefined,
        stopAvatar: async () => undefined,
      },
    );
    expect(summary.archivesDeleted).toBeGreaterThanOrEqual(1);
    expect(await env.BUCKET.head("x/old.zip")).toBeNull();
    expect(await env.BUCKET.head("x/fresh.zip")).not.toBeNull();
    const row = await env.DB.prepare("SELECT avatar_data FROM avatars WHERE id = ?")
      .bind(oldId)
      .first<{ avatar_data: string }>();
    expect(JSON.parse(row?.avatar_data ?? "{}")).toEqual({});
    void freshId;
  });

  it("deletes DRAFT and CANCELLED avatars untouched for ABANDONED_AVATAR_TTL, with their files, 50 a run", async () => {
    const userId = await seedUser();
    const stale = Date.now() - 8 * 86400_000;
    const abandoned = [
      ...(await seedAvatars(userId, 40, { status: "DRAFT" })),
      ...(await seedAvatars(userId, 30, { status: "CANCELLED" })),
    ];
    const kept = await seedAvatars(userId, 3, { status: "PHOTOS_UPLOADING" });
    await env.DB.prepare("UPDATE avatars SET updated_at = ? WHERE user_id = ?").bind(stale, userId).run();
    const [recent] = await seedAvatars(userId, 1, { status: "DRAFT" });
    await env.DB.prepare("UPDATE avatars SET updated_at = ? WHERE id = ?").bind(Date.now(), recent).run();
    await env.BUCKET.put(`avatars/user_${userId}/avatar_${abandoned[0]}/photos/original/photo_001.jpg`, "x");
    await env.BUCKET.put(`avatars/user_${userId}/avatar_${kept[0]}/photos/original/photo_001.jpg`, "x");
    const stopped: string[] = [];
    const run = () =>
      runScheduled(createScheduledController({ scheduledTime: new Date(), cron: "* * * * *" }), env, {
        repo,
        storage,
        followTraining: async () => undefined,
        stopAvatar: async (avatar) => {
          stopped.push(avatar.id);
        },
      });
    expect((await run()).abandonedAvatarsDeleted).toBe(50);
    expect((await run()).abandonedAvatarsDeleted).toBe(20);
    expect((await run()).abandonedAvatarsDeleted).toBe(0);
    const left = await env.DB.prepare("SELECT id FROM avatars WHERE user_id = ?").bind(userId).all<{ id: string }>();
    expect(new Set(left.results.map((r) => r.id))).toEqual(new Set([...kept, recent]));
    expect(new Set(stopped)).toEqual(new Set(abandoned));
    expect(
      await env.BUCKET.head(`avatars/user_${userId}/avatar_${abandoned[0]}/photos/original/photo_001.jpg`),
    ).toBeNull();
    expect(
      await env.BUCKET.head(`avatars/user_${userId}/avatar_${kept[0]}/photos/original/photo_001.jpg`),
    ).not.toBeNull();
  });

  it("drains a backlog of old training archives over several runs, 100 a run", async () => {
    const userId = await seedUser();
    const old = Date.now() - 30 * 86400_000;
    const ids = await seedAvatars(userId, 130, {
      status: "COMPLETED",
      avatarData: { trainingData: { key: "x/backlog.zip", createdAt: old } },
    });
    const deps = { repo, storage, followTraining: async () => undefined, stopAvatar: async () => undefined };
    const run = async () =>
      (await runScheduled(createScheduledController({ scheduledTime: new Date(), cron: "* * * * *" }), env, deps))
        .archivesDeleted;
    expect(await run()).toBe(100);
    expect(await run()).toBeGreaterThanOrEqual(30);
    expect(await run()).toBe(0);
    const left = await env.DB.prepare(
      `SELECT COUNT(*) AS n FROM avatars WHERE user_id = ? AND json_extract(avatar_data, '$.trainingData.key') IS NOT NULL`,
    )
      .bind(userId)
      .first<{ n: number }>();
    expect(left?.n).toBe(0);
    expect(ids).toHaveLength(130);
  });

  it("deletes generated pictures past GENERATION_RETENTION when it is set, 50 a run", async () => {
    const userId = await seedUser();
    const [avatarId] = await seedAvatars(userId, 1, { status: "COMPLETED" });
    const old = Date.now() - 40 * 86400_000;
    const statements = [];
    for (let i = 0; i < 60; i++) {
      const key = `avatars/user_${userId}/avatar_${avatarId}/generated/gen_${i}.jpg`;
      await env.BUCKET.put(key, "jpeg");
      statements.push(
        env.DB.prepare(
          "INSERT INTO generations (id, avatar_id, user_id, prompt, status, result_keys, created_at) VALUES (?, ?, ?, 'p', 'SUCCEEDED', ?, ?)",
        ).bind(crypto.randomUUID(), avatarId, userId, JSON.stringify([key]), old),
      );
    }
    statements.push(
      env.DB.prepare(
        "INSERT INTO generations (id, avatar_id, user_id, prompt, status, result_keys, created_at) VALUES (?, ?, ?, 'fresh', 'SUCCEEDED', '[]', ?)",
      ).bind(crypto.randomUUID(), avatarId, userId, Date.now()),
    );
    await env.DB.batch(statements);
    const retention = { ...env, GENERATION_RETENTION: String(30 * 86400) };
    const deps = { repo, storage, followTraining: async () => undefined, stopAvatar: async () => undefined };
    const run = async () =>
      (
        await runScheduled(
          createScheduledController({ scheduledTime: new Date(), cron: "* * * * *" }),
          retention as Env,
          deps,
        )
      ).generationsExpired;
    expect(await run()).toBe(50);
    expect(await run()).toBe(10);
    expect(await run()).toBe(0);
    const left = await env.DB.prepare("SELECT prompt FROM generations WHERE avatar_id = ?")
      .bind(avatarId)
      .all<{ prompt: string }>();
    expect(left.results.map((r) => r.prompt)).toEqual(["fresh"]);
    expect((await env.BUCKET.list({ prefix: `avatars/user_${userId}/avatar_${avatarId}/generated/` })).objects).toEqual(
      [],
    );
  });
});
