import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { D1Repository } from "../../src/db/d1/d1-repository";
import type { ObjectStorage } from "../../src/domain/object-storage";
import { type CronDeps, runScheduled, TRAININGS_PER_RUN } from "../../src/scheduled";
import { R2Storage } from "../../src/storage/r2-storage";

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

/** One cron run now, with stand-ins for the Durable Object calls that do nothing unless given. */
function runCron(deps: Partial<CronDeps> = {}) {
  return runScheduled(createScheduledController({ scheduledTime: new Date(), cron: "* * * * *" }), env, {
    repo,
    storage,
    followTraining: async () => undefined,
    stopAvatar: async () => undefined,
    ...deps,
  });
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

  it("deletes DRAFT, PHOTOS_UPLOADING and cancelled-draft avatars unchanged for ABANDONED_AVATAR_TTL, with their files, 50 a run", async () => {
    const userId = await seedUser();
    const stale = Date.now() - 8 * 86400_000;
    const abandoned = [
      ...(await seedAvatars(userId, 30, { status: "DRAFT" })),
      ...(await seedAvatars(userId, 25, { status: "PHOTOS_UPLOADING" })),
      ...(await seedAvatars(userId, 15, { status: "CANCELLED" })),
    ];
    // Those were drafts cancelled in the wizard: never trained.
    await env.DB.prepare("UPDATE avatars SET training_started_at = NULL WHERE user_id = ?").bind(userId).run();
    const kept = [
      ...(await seedAvatars(userId, 1, { status: "READY_FOR_TRAINING" })),
      ...(await seedAvatars(userId, 1, { status: "ERROR" })),
      ...(await seedAvatars(userId, 1, { status: "COMPLETED" })),
      // A cancelled training: the bot said "you can train again later", so the avatar stays.
      ...(await seedAvatars(userId, 1, { status: "CANCELLED" })),
    ];
    await env.DB.prepare("UPDATE avatars SET updated_at = ? WHERE user_id = ?").bind(stale, userId).run();
    const [recent] = await seedAvatars(userId, 1, { status: "PHOTOS_UPLOADING" });
    await env.DB.prepare("UPDATE avatars SET updated_at = ? WHERE id = ?").bind(Date.now(), recent).run();
    // A photo of an avatar still collecting photos: the original, its thumbnail and its training crop.
    const uploading = `avatars/user_${userId}/avatar_${abandoned[30]}/photos/`;
    const photoObjects = ["original/photo_001.jpg", "thumbnails/thumb_001.jpg", "processed/crop_001.jpg"];
    for (const key of photoObjects) await env.BUCKET.put(`${uploading}${key}`, "x");
    await env.BUCKET.put(`avatars/user_${userId}/avatar_${abandoned[0]}/photos/original/photo_001.jpg`, "x");
    await env.BUCKET.put(`avatars/user_${userId}/avatar_${kept[0]}/photos/original/photo_001.jpg`, "x");
    await env.BUCKET.put(`avatars/user_${userId}/avatar_${recent}/photos/original/photo_001.jpg`, "x");
    const stopped: string[] = [];
    const run = () =>
      runCron({
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
    expect((await env.BUCKET.list({ prefix: uploading })).objects).toEqual([]);
    expect(
      await env.BUCKET.head(`avatars/user_${userId}/avatar_${recent}/photos/original/photo_001.jpg`),
    ).not.toBeNull();
  });

  it("logs and skips an archive it cannot delete, and still deletes the others", async () => {
    const userId = await seedUser();
    const old = Date.now() - 8 * 86400_000;
    const ids: string[] = [];
    for (const name of ["first", "broken", "last"]) {
      const key = `x/${userId}/${name}.zip`;
      await env.BUCKET.put(key, "zip");
      ids.push(
        ...(await seedAvatars(userId, 1, {
          status: "COMPLETED",
          avatarData: { trainingData: { key, createdAt: old } },
        })),
      );
    }
    const broken = `x/${userId}/broken.zip`;
    const failing: ObjectStorage = Object.assign(Object.create(storage), {
      delete: async (keys: string | string[]) => {
        if ([keys].flat().includes(broken)) throw new Error("the store is unavailable");
        await storage.delete(keys);
      },
    });
    const errors = vi.spyOn(console, "error");
    const summary = await runCron({ storage: failing });
    expect(summary).toMatchObject({ archivesFailed: 1 });
    expect(await env.BUCKET.head(`x/${userId}/first.zip`)).toBeNull();
    expect(await env.BUCKET.head(`x/${userId}/last.zip`)).toBeNull();
    expect(await env.BUCKET.head(broken)).not.toBeNull();
    const keyOf = async (id: string | undefined) =>
      (
        await env.DB.prepare("SELECT json_extract(avatar_data, '$.trainingData.key') AS k FROM avatars WHERE id = ?")
          .bind(id ?? "")
          .first<{ k: string | null }>()
      )?.k;
    expect([await keyOf(ids[0]), await keyOf(ids[1]), await keyOf(ids[2])]).toEqual([null, broken, null]);
    const logged = errors.mock.calls.map(([line]) => JSON.parse(String(line)));
    expect(logged).toContainEqual(
      expect.objectContaining({
        level: "error",
        event: "training_archive_delete_failed",
        avatarId: ids[1],
        userId,
        key: broken,
        error: "the store is unavailable",
      }),
    );
    expect(logged.find((l) => l.event === "cron_failed")).toBeUndefined();
    errors.mockRestore();
  });

  it("logs and skips an abandoned avatar it cannot delete, and still deletes the others", async () => {
    const userId = await seedUser();
    const abandoned = await seedAvatars(userId, 5, { status: "DRAFT" });
    await env.DB.prepare("UPDATE avatars SET updated_at = ? WHERE user_id = ?")
      .bind(Date.now() - 8 * 86400_000, userId)
      .run();
    const stuck = abandoned[2];
    const errors = vi.spyOn(console, "error");
    const run = () =>
      runCron({
        stopAvatar: async (avatar) => {
          if (avatar.id === stuck) throw new Error("the workspace did not answer");
        },
      });
    const summary = await run();
    expect(summary.abandonedAvatarsFailed).toBe(1);
    const left = await env.DB.prepare("SELECT id FROM avatars WHERE user_id = ?").bind(userId).all<{ id: string }>();
    expect(left.results.map((r) => r.id)).toEqual([stuck]);
    expect(errors.mock.calls.map(([line]) => JSON.parse(String(line)))).toContainEqual(
      expect.objectContaining({
        level: "error",
        event: "avatar_expiry_failed",
        avatarId: stuck,
        userId,
        error: "the workspace did not answer",
      }),
    );
    // It stays for a later run, and fails there on its own again.
    expect((await run()).abandonedAvatarsFailed).toBe(1);
    errors.mockRestore();
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
