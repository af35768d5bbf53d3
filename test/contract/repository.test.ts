import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { D1Repository } from "../../src/db/d1/d1-repository";
import { PgRepository } from "../../src/db/pg/pg-repository";
import type { AvatarData, GenerationOptions, PhotoMetadata } from "../../src/domain/entities";
import type { NewPhoto, Repository } from "../../src/domain/repository";

/** One contract, every database: what the services rely on from the Repository. */
const backends: Array<[string, () => Repository]> = [["D1 (binding)", () => new D1Repository(env.DB)]];
if (inject("postgres") && env.HYPERDRIVE) {
  const { connectionString } = env.HYPERDRIVE;
  backends.push(["Postgres (Hyperdrive, real server)", () => new PgRepository(connectionString)]);
}

let lastTelegramId = 6_000_000_000;
const at = (iso: string) => new Date(iso);
const METADATA: PhotoMetadata = {
  seq: 1,
  thumbnailKey: "k/thumb.jpg",
  processedKey: "k/crop.jpg",
  thumbnailBytes: 100,
  processedBytes: 200,
};
const OPTIONS: GenerationOptions = { aspect: "3:4", count: 2, chatId: 42, language: "en" };

describe.each(backends)("repository contract: %s", (_name, make) => {
  const repo = make();

  async function user(language: "en" | "ru" = "en") {
    lastTelegramId += 1;
    const profile = { telegramId: lastTelegramId, firstName: "Anna", lastName: null, username: null };
    return repo.upsertUser({ ...profile, languageCode: language }, new Date());
  }

  async function avatar(userId: string, status: "DRAFT" | "PHOTOS_UPLOADING" = "PHOTOS_UPLOADING", now = new Date()) {
    const id = crypto.randomUUID();
    const row = await repo.insertAvatar(
      { id, userId, triggerWord: `tw${id.slice(0, 8)}`, falIterations: 500, falPriority: "quality", loraRank: 32 },
      now,
    );
    if (status !== "DRAFT") await repo.updateAvatarIf(id, "DRAFT", { status, name: "Me" }, now);
    return row;
  }

  function photo(avatarId: string, userId: string, hash: string, extra: Partial<NewPhoto> = {}): NewPhoto {
    return {
      id: crypto.randomUUID(),
      avatarId,
      userId,
      minioKey: `k/${hash}`,
      perceptualHash: null,
      fileHash: hash,
      validationStatus: "VALID",
      fileSize: 1000,
      width: 640,
      height: 600,
      format: "jpg",
      hasFace: true,
      qualityScore: 0.5,
      photoMetadata: METADATA,
      ...extra,
    };
  }

  async function generation(avatarId: string, userId: string, now = new Date(), intentKey = crypto.randomUUID()) {
    const id = crypto.randomUUID();
    const deadlineAt = new Date(now.getTime() + 120_000);
    const { row } = await repo.insertGeneration(
      {
        id,
        avatarId,
        userId,
        prompt: "photo of me",
        preset: null,
        options: OPTIONS,
        seed: 4_000_000_000,
        intentKey,
        deadlineAt,
      },
      now,
    );
    return row;
  }

  /** Walks a generation through its lifecycle to DELIVERING, as the job engine does. */
  async function delivering(id: string) {
    expect(await repo.updateGenerationIf(id, "QUEUED", { status: "SUBMITTING" })).toBe(true);
    expect(await repo.updateGenerationIf(id, "SUBMITTING", { status: "RUNNING", falRequestId: `gen-${id}` })).toBe(
      true,
    );
    expect(await repo.updateGenerationIf(id, "RUNNING", { status: "DELIVERING" })).toBe(true);
  }

  it("answers a ping", async () => {
    await expect(repo.ping()).resolves.toBeUndefined();
  });

  it("upserts a user by Telegram id, keeping the id and created_at, and sets the language", async () => {
    const first = await repo.upsertUser(
      { telegramId: 7_123_456_789, firstName: "A", lastName: null, username: null, languageCode: "ru" },
      at("2026-01-01T00:00:00Z"),
    );
    const again = await repo.upsertUser(
      { telegramId: 7_123_456_789, firstName: "B", lastName: "C", username: "bc", languageCode: "en" },
      at("2026-01-02T00:00:00Z"),
    );
    expect(again).toEqual({
      ...first,
      firstName: "B",
      lastName: "C",
      username: "bc",
      lastSeenAt: at("2026-01-02T00:00:00Z"),
    });
    expect(first).toMatchObject({
      telegramId: 7_123_456_789,
      languageCode: "ru",
      createdAt: at("2026-01-01T00:00:00Z"),
    });
    await repo.setUserLanguage(first.id, "en");
    expect((await repo.upsertUser({ ...again, languageCode: "ru" }, new Date())).languageCode).toBe("en");
  });

  it("finds a user by Telegram id, and none for an id it has never met", async () => {
    const made = await user("ru");
    expect(await repo.findUserByTelegramId(made.telegramId)).toEqual(made);
    expect(await repo.findUserByTelegramId(made.telegramId + 10_000_000)).toBeUndefined();
  });

  it("creates, finds, pages, updates under a status guard and deletes avatars", async () => {
    const { id: userId } = await user();
    const created = await avatar(userId, "DRAFT", at("2026-02-01T00:00:00Z"));
    expect(created).toMatchObject({
      status: "DRAFT",
      photosCount: 0,
      generationsCount: 0,
      trainingProgress: 0,
      avatarData: {},
      trainingConfig: {},
      name: null,
      lastStatusCheckAt: null,
      createdAt: at("2026-02-01T00:00:00Z"),
    });
    expect(await repo.findAvatar(created.id)).toEqual(created);
    expect(await repo.findAvatar("missing")).toBeNull();
    for (const day of ["02", "03", "04"]) await avatar(userId, "DRAFT", at(`2026-02-${day}T12:00:00Z`));
    const page = await repo.listAvatars(userId, 1, 2);
    expect(page.total).toBe(4);
    expect(page.items.map((a) => a.createdAt.toISOString())).toEqual([
      "2026-02-03T12:00:00.000Z",
      "2026-02-02T12:00:00.000Z",
    ]);
    expect((await repo.listUserAvatars(userId)).length).toBe(4);

    const patch = {
      status: "TRAINING" as const,
      falRequestId: `req-${created.id}`,
      trainingStartedAt: at("2026-02-05T00:00:00Z"),
      trainingConfig: { endpoint: "fal-ai/x", input: { steps: 500 } },
    };
    expect(await repo.updateAvatarIf(created.id, "DRAFT", patch, at("2026-02-05T00:00:00Z"))).toBe(true);
    expect(await repo.updateAvatarIf(created.id, "DRAFT", { status: "CANCELLED" }, new Date())).toBe(false);
    const updated = await repo.findAvatarByFalRequest(`req-${created.id}`);
    expect(updated).toMatchObject({ ...patch, updatedAt: at("2026-02-05T00:00:00Z") });
    await repo.setAvatarData(created.id, { trainingData: { key: "z", createdAt: 1, bytes: 9 } }, new Date());
    expect((await repo.findAvatar(created.id))?.avatarData).toEqual({
      trainingData: { key: "z", createdAt: 1, bytes: 9 },
    });
    expect(await repo.deleteAvatar(created.id)).toBe(true);
    expect(await repo.deleteAvatar(created.id)).toBe(false);
  });

  it("adds photos at a dense upload_order, counts only valid ones, and refuses outside an upload", async () => {
    const { id: userId } = await user();
    const draft = await avatar(userId, "DRAFT");
    expect(await repo.insertPhoto(photo(draft.id, userId, "h0"), 50, new Date())).toEqual({ kind: "not_uploading" });
    const { id } = await avatar(userId);
    expect(await repo.insertPhoto(photo(id, userId, "h1"), 50, new Date())).toEqual({
      kind: "inserted",
      uploadOrder: 1,
      photosCount: 1,
    });
    const pending = photo(id, userId, "h2", { validationStatus: "PENDING", hasFace: null, qualityScore: null });
    expect(await repo.insertPhoto(pending, 50, new Date())).toEqual({
      kind: "inserted",
      uploadOrder: 2,
      photosCount: 1,
    });
    expect(await repo.insertPhoto(photo(id, userId, "h1"), 50, new Date())).toEqual({ kind: "duplicate" });
    expect(await repo.insertPhoto(photo(id, userId, "h3"), 2, new Date())).toEqual({ kind: "full" });

    const stored = await repo.findPhotoByHash(id, "h2");
    expect(stored).toMatchObject({ id: pending.id, uploadOrder: 2, hasFace: null, qualityScore: null });
    expect(stored?.createdAt).toBeInstanceOf(Date);
    expect((await repo.findPhoto(pending.id))?.photoMetadata).toEqual(pending.photoMetadata);
    expect(await repo.findPhotoByHash(id, "nope")).toBeNull();
    expect(await repo.countPhotos(id)).toBe(2);
    expect((await repo.listPendingPhotos(id, 10)).map((p) => p.id)).toEqual([pending.id]);

    const faceBox = { x: 0.1, y: 0.2, width: 0.3, height: 0.4 };
    await repo.markPhotoValid(pending.id, { faceBox }, new Date());
    expect(await repo.findPhoto(pending.id)).toMatchObject({
      validationStatus: "VALID",
      hasFace: true,
      photoMetadata: { ...pending.photoMetadata, faceBox },
    });
    expect((await repo.findAvatar(id))?.photosCount).toBe(2);
    expect(await repo.listPendingPhotos(id, 10)).toEqual([]);
  });

  it("records the likeness coach's attributes beside the rest of the metadata, and null when the check failed", async () => {
    const { id: userId } = await user();
    const { id } = await avatar(userId);
    const seen = photo(id, userId, "attr-1");
    const failed = photo(id, userId, "attr-2");
    await repo.insertPhoto(seen, 50, new Date());
    await repo.insertPhoto(failed, 50, new Date());
    const attributes = {
      sunglasses: true,
      headCovering: false,
      heavyFilter: false,
      gaze: "away",
      pose: "profile",
    } as const;
    await repo.setPhotoAttributes(seen.id, attributes);
    await repo.setPhotoAttributes(failed.id, null);
    expect((await repo.findPhoto(seen.id))?.photoMetadata).toEqual({ ...seen.photoMetadata, attributes });
    expect((await repo.findPhoto(failed.id))?.photoMetadata).toEqual({ ...failed.photoMetadata, attributes: null });
    // A photo deleted while its check ran is not brought back.
    await repo.deletePhoto(seen.id, new Date());
    await repo.setPhotoAttributes(seen.id, attributes);
    expect(await repo.findPhoto(seen.id)).toBeNull();
  });

  it("keeps the cap, dense orders and unique hashes when inserts race", async () => {
    const { id: userId } = await user();
    const { id } = await avatar(userId);
    // Six writers, each with its own connection on Postgres (as six Worker invocations would have),
    // so the inserts really contend for the avatar's row instead of queueing on one socket.
    const writers = Array.from({ length: 6 }, make);
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        writers[i % writers.length]?.insertPhoto(photo(id, userId, `race-${i}`), 5, new Date()),
      ),
    );
    expect(results.filter((r) => r?.kind === "inserted")).toHaveLength(5);
    expect(results.filter((r) => r?.kind === "full")).toHaveLength(7);
    const { items, total } = await repo.listPhotos(id, 0, 50);
    expect(total).toBe(5);
    expect(items.map((p) => p.uploadOrder)).toEqual([1, 2, 3, 4, 5]);
    expect((await repo.findAvatar(id))?.photosCount).toBe(5);

    const { id: other } = await avatar(userId);
    const same = await Promise.all(
      Array.from({ length: 4 }, (_, i) => writers[i]?.insertPhoto(photo(other, userId, "same"), 50, new Date())),
    );
    expect(same.map((r) => r?.kind).sort()).toEqual(["duplicate", "duplicate", "duplicate", "inserted"]);
    expect(await repo.findOtherAvatarWithHash(userId, id, "same")).toEqual({ id: other, name: "Me" });
    expect(await repo.findOtherAvatarWithHash(userId, other, "same")).toBeNull();
  });

  it("deletes a photo, closes the gap in upload_order and recounts", async () => {
    const { id: userId } = await user();
    const { id } = await avatar(userId);
    const photos = ["a", "b", "c", "d"].map((h, i) =>
      photo(id, userId, h, { photoMetadata: { ...METADATA, seq: i + 1 } }),
    );
    for (const p of photos) await repo.insertPhoto(p, 50, new Date());
    const deleted = await repo.deletePhoto(photos[1]?.id ?? "", at("2026-03-01T00:00:00Z"));
    expect(deleted).toMatchObject({ id: photos[1]?.id, uploadOrder: 2, fileHash: "b" });
    expect(await repo.deletePhoto(photos[1]?.id ?? "", new Date())).toBeNull();
    const page = await repo.listPhotos(id, 1, 2);
    expect(page).toMatchObject({ total: 3 });
    expect(page.items.map((p) => [p.fileHash, p.uploadOrder])).toEqual([
      ["c", 2],
      ["d", 3],
    ]);
    expect(await repo.findAvatar(id)).toMatchObject({ photosCount: 3, updatedAt: at("2026-03-01T00:00:00Z") });
    // Keys are never reused: the sequence is the highest ever stored, not the count.
    expect(await repo.maxPhotoSequence(id)).toBe(4);
    expect(await repo.maxPhotoSequence("none")).toBe(0);
    expect(await repo.insertPhoto(photo(id, userId, "e"), 50, new Date())).toMatchObject({ uploadOrder: 4 });
  });

  it("tracks generations: active ones, completion counted once, the gallery, deletion", async () => {
    const { id: userId } = await user();
    const { id: avatarId } = await avatar(userId);
    const queued = await generation(avatarId, userId, at("2026-04-01T00:00:00Z"));
    expect(queued).toMatchObject({ status: "QUEUED", resultKeys: [], options: OPTIONS, seed: 4_000_000_000 });
    const second = await generation(avatarId, userId, at("2026-04-02T00:00:00Z"), `intent-${avatarId}`);
    const again = await repo.insertGeneration(
      {
        ...second,
        options: { ...OPTIONS, count: 1 },
        seed: 1,
        intentKey: `intent-${avatarId}`,
        deadlineAt: new Date(),
        id: crypto.randomUUID(),
      },
      new Date(),
    );
    expect(again).toMatchObject({ created: false, row: { id: second.id } });
    expect(await repo.updateGenerationIf(second.id, "RUNNING", { status: "FAILED" })).toBe(false);
    expect(await repo.updateGenerationIf(second.id, "QUEUED", { status: "SUBMITTING" })).toBe(true);
    expect(await repo.updateGenerationIf(second.id, "QUEUED", { status: "SUBMITTING" })).toBe(false);
    await repo.updateGenerationIf(second.id, "SUBMITTING", {
      status: "RUNNING",
      falRequestId: `gen-${second.id}`,
      startedAt: at("2026-04-02T00:00:01Z"),
    });
    expect(await repo.findGenerationByFalRequest(`gen-${second.id}`)).toMatchObject({
      id: second.id,
      status: "RUNNING",
      startedAt: at("2026-04-02T00:00:01Z"),
    });
    expect(await repo.countActiveGenerations(userId)).toBe(2);
    expect((await repo.listActiveGenerations(avatarId)).map((g) => g.id).sort()).toEqual([queued.id, second.id].sort());
    const overdue = (await repo.listOverdueGenerations(at("2026-04-01T00:05:00Z"), 100)).map((g) => g.id);
    expect(overdue).toContain(queued.id);
    expect(overdue).not.toContain(second.id);

    expect(await repo.completeGeneration(second.id, { resultKeys: [] }, new Date())).toBe(false);
    await repo.updateGenerationIf(second.id, "RUNNING", { status: "DELIVERING" });
    await delivering(queued.id);
    const done = { resultKeys: ["g/1.jpg", "g/2.jpg"], options: { ...OPTIONS, bytes: 500 } };
    expect(await repo.completeGeneration(second.id, done, at("2026-04-02T00:01:00Z"))).toBe(true);
    expect(await repo.completeGeneration(second.id, done, new Date())).toBe(false);
    expect(await repo.completeGeneration(queued.id, { resultKeys: ["g/3.jpg"] }, at("2026-04-03T00:00:00Z"))).toBe(
      true,
    );
    expect(await repo.findGeneration(second.id)).toMatchObject({
      status: "SUCCEEDED",
      ...done,
      completedAt: at("2026-04-02T00:01:00Z"),
    });
    expect((await repo.findAvatar(avatarId))?.generationsCount).toBe(2);
    expect(await repo.countActiveGenerations(userId)).toBe(0);

    const gallery = await repo.listGenerations(avatarId, 0, 1);
    expect(gallery.total).toBe(2);
    expect(gallery.items.map((g) => g.id)).toEqual([second.id]);
    expect((await repo.deleteGeneration(second.id))?.id).toBe(second.id);
    expect(await repo.deleteGeneration(second.id)).toBeNull();
    expect(await repo.findGeneration(second.id)).toBeNull();
    expect((await repo.findAvatar(avatarId))?.generationsCount).toBe(1);
  });

  it("pages the gallery beside a set: nearest first on either side, newest first, succeeded sets only", async () => {
    const { id: userId } = await user();
    const { id: avatarId } = await avatar(userId);
    const made = [];
    for (const day of ["01", "02", "03", "04"]) {
      const g = await generation(avatarId, userId, at(`2026-05-${day}T00:00:00Z`));
      await delivering(g.id);
      await repo.completeGeneration(g.id, { resultKeys: [`g/${day}.jpg`] }, new Date());
      made.push(g.id);
    }
    await generation(avatarId, userId, at("2026-05-05T00:00:00Z"));
    const ids = (gs: Array<{ id: string }>) => gs.map((g) => g.id);
    const [d1, d2, d3, d4] = made;
    expect(ids(await repo.listGenerationsBeside(avatarId, at("2026-06-01T00:00:00Z"), "older", 2))).toEqual([d4, d3]);
    expect(ids(await repo.listGenerationsBeside(avatarId, at("2026-05-03T00:00:00Z"), "older", 5))).toEqual([d2, d1]);
    expect(ids(await repo.listGenerationsBeside(avatarId, at("2026-05-01T00:00:00Z"), "newer", 2))).toEqual([d3, d2]);
    expect(ids(await repo.listGenerationsBeside(avatarId, at("2026-05-04T00:00:00Z"), "newer", 2))).toEqual([]);
  });

  it("deletes a user with everything they have, through the foreign keys", async () => {
    const { id: userId } = await user();
    const { id: avatarId } = await avatar(userId);
    await repo.insertPhoto(photo(avatarId, userId, "x"), 50, new Date());
    const g = await generation(avatarId, userId);
    await delivering(g.id);
    await repo.completeGeneration(g.id, { resultKeys: ["k"] }, new Date());
    await generation(avatarId, userId);
    expect(await repo.countUserData(userId)).toEqual({ avatars: 1, photos: 1, generations: 1 });

    const { id: second } = await avatar(userId);
    const doomed = photo(second, userId, "y");
    await repo.insertPhoto(doomed, 50, new Date());
    await repo.deleteAvatar(second);
    expect(await repo.findPhoto(doomed.id)).toBeNull();

    await repo.deleteUser(userId);
    expect(await repo.countUserData(userId)).toEqual({ avatars: 0, photos: 0, generations: 0 });
    expect(await repo.findAvatar(avatarId)).toBeNull();
    expect(await repo.findGeneration(g.id)).toBeNull();
  });

  it("lists what retention and the training check need", async () => {
    const { id: userId } = await user();
    const old = at("2020-01-01T00:00:00Z");
    const abandoned = await avatar(userId, "DRAFT", old);
    const uploading = await avatar(userId, "PHOTOS_UPLOADING", old);
    const cancelled = await avatar(userId, "PHOTOS_UPLOADING", old);
    await repo.updateAvatarIf(cancelled.id, "PHOTOS_UPLOADING", { status: "CANCELLED" }, old);
    const kept = await avatar(userId, "PHOTOS_UPLOADING", old);
    await repo.updateAvatarIf(kept.id, "PHOTOS_UPLOADING", { status: "READY_FOR_TRAINING" }, old);
    // A cancelled training keeps its avatar: the user was told they can train it again later.
    const trainingCancelled = await avatar(userId, "PHOTOS_UPLOADING", old);
    await repo.updateAvatarIf(
      trainingCancelled.id,
      "PHOTOS_UPLOADING",
      { status: "CANCELLED", trainingStartedAt: old, trainingCompletedAt: old },
      old,
    );
    // Storing a photo is a change: the time counts from the last one.
    const stillAdding = await avatar(userId, "PHOTOS_UPLOADING", old);
    await repo.insertPhoto(photo(stillAdding.id, userId, "late"), 50, at("2020-01-03T00:00:00Z"));
    const abandonedIds = (await repo.listAbandonedAvatars(at("2020-01-02T00:00:00Z"), 100)).map((a) => a.id);
    expect(abandonedIds).toEqual(expect.arrayContaining([abandoned.id, uploading.id, cancelled.id]));
    expect(abandonedIds).not.toContain(kept.id);
    expect(abandonedIds).not.toContain(trainingCancelled.id);
    expect(abandonedIds).not.toContain(stillAdding.id);
    expect((await repo.listAbandonedAvatars(at("2020-01-04T00:00:00Z"), 100)).map((a) => a.id)).toContain(
      stillAdding.id,
    );

    const gen = await generation(kept.id, userId, old);
    await delivering(gen.id);
    await repo.completeGeneration(gen.id, { resultKeys: ["k"] }, old);
    const expired = await repo.listExpiredGenerations(at("2020-01-02T00:00:00Z"), 100);
    expect(expired.map((g) => g.id)).toContain(gen.id);
    expect(await repo.listExpiredGenerations(at("2019-12-31T00:00:00Z"), 100)).toEqual([]);

    const training = async (checkedAt: Date | null) => {
      const a = await avatar(userId);
      await repo.updateAvatarIf(
        a.id,
        "PHOTOS_UPLOADING",
        { status: "TRAINING", trainingStartedAt: old, lastStatusCheckAt: checkedAt },
        new Date(),
      );
      return a.id;
    };
    const checkedRecently = await training(at("2030-01-01T00:00:00Z"));
    const checkedLongAgo = await training(at("2021-01-01T00:00:00Z"));
    const neverChecked = await training(null);
    const due = await repo.listTrainingsToCheck(at("2029-01-01T00:00:00Z"), 100);
    const ids = due.map((d) => d.id);
    expect(ids).not.toContain(checkedRecently);
    expect(ids.indexOf(neverChecked)).toBeLessThan(ids.indexOf(checkedLongAgo));
    expect(due.find((d) => d.id === neverChecked)?.trainingStartedAt).toEqual(old);

    await repo.setAvatarData(kept.id, { trainingData: { key: "t.zip", createdAt: old.getTime(), bytes: 10 } }, old);
    const stale = await repo.listStaleTrainingData(at("2020-01-02T00:00:00Z"), 100);
    expect(stale.map((a) => a.id)).toContain(kept.id);
    expect((await repo.listStaleTrainingData(old, 100)).map((a) => a.id)).not.toContain(kept.id);
  });

  it("reads JSON an older version wrote: missing fields take their defaults, unknown ones are dropped", async () => {
    const { id: userId } = await user();
    const { id } = await avatar(userId);
    // What an older version might have stored, written as it was (the typed API would refuse it).
    const stored = <T>(value: Record<string, unknown>) => value as unknown as T;
    await repo.setAvatarData(
      id,
      stored<AvatarData>({ trainingData: { key: "t.zip" }, genOptions: { aspect: "2:1", count: 9 }, retired: true }),
      new Date(),
    );
    expect((await repo.findAvatar(id))?.avatarData).toEqual({
      trainingData: { key: "t.zip", createdAt: 0, bytes: 0 },
      genOptions: { aspect: "3:4", count: 2 },
    });
    const old = photo(id, userId, "old", {
      photoMetadata: stored<PhotoMetadata>({ thumbnailKey: "k/t.jpg", faceBox: [1, 2, 3, 4], extra: { a: 1 } }),
    });
    await repo.insertPhoto(old, 50, new Date());
    expect((await repo.findPhoto(old.id))?.photoMetadata).toEqual({
      seq: 0,
      thumbnailKey: "k/t.jpg",
      processedKey: null,
      thumbnailBytes: 0,
      processedBytes: 0,
    });
    const { row } = await repo.insertGeneration(
      {
        id: crypto.randomUUID(),
        avatarId: id,
        userId,
        prompt: "p",
        preset: null,
        options: stored<GenerationOptions>({ chatId: 7, aspect: "1:1", legacy: "x" }),
        seed: 1,
        intentKey: crypto.randomUUID(),
        deadlineAt: new Date(),
      },
      new Date(),
    );
    expect((await repo.findGeneration(row.id))?.options).toEqual({
      aspect: "1:1",
      count: 2,
      chatId: 7,
      language: "en",
    });
  });

  it("caches small values", async () => {
    const key = `contract-${crypto.randomUUID()}`;
    expect(await repo.getCached(key)).toBeNull();
    await repo.putCached(key, { id: 1, name: "bot" }, at("2026-05-01T00:00:00Z"));
    await repo.putCached(key, { id: 2, names: ["a"] }, at("2026-05-02T00:00:00Z"));
    expect(await repo.getCached(key)).toEqual({
      value: { id: 2, names: ["a"] },
      updatedAt: at("2026-05-02T00:00:00Z"),
    });
  });

  it("keeps the admins' access rules by Telegram id, the latest winning, without a user row", async () => {
    lastTelegramId += 1;
    const stranger = lastTelegramId;
    const now = at("2026-06-15T12:00:00Z");
    expect(await repo.getAccessRule(stranger)).toBeNull();
    expect(await repo.isKnownUser(stranger)).toBe(false);
    expect(await repo.setAccessRule(stranger, "allow", 990001, now)).toBeNull();
    expect(await repo.getAccessRule(stranger)).toBe("allow");
    expect(await repo.setAccessRule(stranger, "allow", 990001, now)).toBe("allow");
    expect(await repo.setAccessRule(stranger, "deny", 990002, now)).toBe("allow");
    expect(await repo.getAccessRule(stranger)).toBe("deny");
    // A rule names no user row, and the user's row is not made by it.
    expect(await repo.isKnownUser(stranger)).toBe(false);
    const known = await user();
    expect(await repo.isKnownUser(known.telegramId)).toBe(true);
    await repo.setAccessRule(known.telegramId, "deny", 990001, now);
    // Deleting the user's data leaves the admins' rule (it is theirs), and the user unknown.
    await repo.deleteUser(known.id);
    expect(await repo.isKnownUser(known.telegramId)).toBe(false);
    expect(await repo.getAccessRule(known.telegramId)).toBe("deny");
  });

  it("claims job starts within a rolling window per user and kind, and says when one more fits", async () => {
    const { id: userId } = await user();
    const { id: other } = await user();
    const limit = { max: 2, windowMs: 3600_000 };
    const start = (iso: string, kind: "training" | "generation" = "generation", id = crypto.randomUUID()) => ({
      id,
      userId,
      kind,
      startedAt: at(iso),
    });
    expect(await repo.claimJobStart(start("2026-06-15T10:00:00Z"), limit)).toEqual({ claimed: true });
    const second = start("2026-06-15T10:20:00Z");
    expect(await repo.claimJobStart(second, limit)).toEqual({ claimed: true });
    // The same start again is the one already claimed, not a third.
    expect(await repo.claimJobStart({ ...second, startedAt: at("2026-06-15T10:30:00Z") }, limit)).toEqual({
      claimed: true,
    });
    expect(await repo.claimJobStart(start("2026-06-15T10:40:00Z"), limit)).toEqual({
      claimed: false,
      retryAt: at("2026-06-15T11:00:00Z"),
    });
    // Another kind and another user have windows of their own.
    expect(await repo.claimJobStart(start("2026-06-15T10:41:00Z", "training"), limit)).toEqual({ claimed: true });
    expect(await repo.claimJobStart({ ...start("2026-06-15T10:42:00Z"), userId: other }, limit)).toEqual({
      claimed: true,
    });
    // Exactly one window after the first start, it has aged out.
    expect(await repo.claimJobStart(start("2026-06-15T11:00:00Z"), limit)).toEqual({ claimed: true });
    expect(await repo.claimJobStart(start("2026-06-15T11:10:00Z"), limit)).toEqual({
      claimed: false,
      retryAt: at("2026-06-15T11:20:00Z"),
    });
    // A start given back frees its place.
    await repo.releaseJobStart(second.id);
    expect(await repo.claimJobStart(start("2026-06-15T11:11:00Z"), limit)).toEqual({ claimed: true });
  });

  it("never lets racing claims of one user pass the limit", async () => {
    const { id: userId } = await user();
    const now = new Date();
    const limit = { max: 3, windowMs: 86400_000 };
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, () =>
        make().claimJobStart({ id: crypto.randomUUID(), userId, kind: "training", startedAt: now }, limit),
      ),
    );
    expect(outcomes.filter((o) => o.claimed)).toHaveLength(3);
  });

  it("aggregates the metrics: avatars, trainings, generations per day, storage and counters", async () => {
    const now = at("2026-06-15T12:00:00Z");
    const before = await repo.metrics(now);
    expect(before.trainingSeconds).toEqual({ count: 0, median: null, p95: null });

    const { id: userId } = await user();
    for (const seconds of [100, 200, 300, 400, 1000]) {
      const a = await avatar(userId);
      await repo.updateAvatarIf(
        a.id,
        "PHOTOS_UPLOADING",
        {
          status: "COMPLETED",
          avatarType: "STYLE",
          trainingStartedAt: at("2026-06-01T00:00:00Z"),
          trainingCompletedAt: new Date(at("2026-06-01T00:00:00Z").getTime() + seconds * 1000),
        },
        now,
      );
    }
    const failed = await avatar(userId);
    await repo.insertPhoto(photo(failed.id, userId, "m1", { fileSize: 1000 }), 50, now);
    await repo.insertPhoto(photo(failed.id, userId, "m2", { fileSize: 3000 }), 50, now);
    await repo.updateAvatarIf(failed.id, "PHOTOS_UPLOADING", { status: "ERROR", trainingStartedAt: now }, now);
    await repo.setAvatarData(failed.id, { trainingData: { key: "t.zip", createdAt: 1, bytes: 777 } }, now);
    for (const createdAt of ["2026-06-14T23:30:00Z", "2026-06-15T00:30:00Z", "2026-06-15T01:00:00Z"]) {
      const g = await generation(failed.id, userId, at(createdAt));
      await delivering(g.id);
      await repo.completeGeneration(g.id, { resultKeys: ["a", "b"], options: { ...OPTIONS, bytes: 50 } }, now);
    }
    for (const label of ["Zeta", "a_b", "ab", "a_b"]) await repo.incrementCounter("photos_refused", label);
    await repo.incrementCounter("photos_refused", "ab", 5);

    const after = await repo.metrics(now);
    const styleCompleted = (m: typeof after) =>
      m.avatars.find((a) => a.type === "STYLE" && a.status === "COMPLETED")?.count ?? 0;
    expect(styleCompleted(after) - styleCompleted(before)).toBe(5);
    const keys = after.avatars.map((a) => `${a.type} ${a.status}`);
    expect(keys).toEqual([...keys].sort());
    expect(after.trainingSeconds).toEqual({ count: 5, median: 300, p95: 1000 });
    expect(after.trainingOutcomes.completed - before.trainingOutcomes.completed).toBe(5);
    expect(after.trainingOutcomes.failed - before.trainingOutcomes.failed).toBe(1);
    expect(after.generations.total - before.generations.total).toBe(3);
    expect(after.generations.perDay).toEqual([
      { day: "2026-06-14", count: 1 },
      { day: "2026-06-15", count: 2 },
    ]);
    const storage = (m: typeof after, kind: string) => m.storage.find((s) => s.kind === kind);
    const grew = (kind: string) => ({
      bytes: (storage(after, kind)?.bytes ?? 0) - (storage(before, kind)?.bytes ?? 0),
      objects: (storage(after, kind)?.objects ?? 0) - (storage(before, kind)?.objects ?? 0),
    });
    expect(grew("originals")).toEqual({ bytes: 4000, objects: 2 });
    expect(grew("thumbnails")).toEqual({ bytes: 200, objects: 2 });
    expect(grew("processed")).toEqual({ bytes: 400, objects: 2 });
    expect(grew("training_zips")).toEqual({ bytes: 777, objects: 1 });
    expect(grew("generated")).toEqual({ bytes: 150, objects: 6 });
    expect(after.photosRefused).toEqual([
      { reason: "Zeta", count: 1 },
      { reason: "a_b", count: 2 },
      { reason: "ab", count: 6 },
    ]);
    const refused = (m: typeof after, who: string) => m.accessRefused.find((r) => r.who === who)?.count ?? 0;
    const hits = (m: typeof after, job: string) => m.limitHits.find((h) => h.job === job)?.count ?? 0;
    await repo.incrementCounter("access_refused", "stranger");
    await repo.incrementCounter("access_refused", "stranger");
    await repo.incrementCounter("limit_hits", "training");
    const counted = await repo.metrics(now);
    expect(refused(counted, "stranger") - refused(after, "stranger")).toBe(2);
    expect(refused(counted, "denied") - refused(after, "denied")).toBe(0);
    expect(hits(counted, "training") - hits(after, "training")).toBe(1);
  });

  describe("credits ledger", () => {
    const someone = () => {
      lastTelegramId += 1;
      return lastTelegramId;
    };
    const key = (what: string) => `${what}:${crypto.randomUUID()}`;

    it("starts at zero, adds grants and purchases, and records each entry as given", async () => {
      const userId = someone();
      expect(await repo.getBalance(userId)).toEqual({ userId, available: 0, reserved: 0 });
      expect(await repo.listLedgerEntries(userId, 10)).toEqual([]);
      const grantKey = key("grant");
      expect(await repo.applyLedgerEntry({ userId, kind: "grant", credits: 300, key: grantKey, actorId: 42 })).toEqual({
        applied: true,
        balance: { userId, available: 300, reserved: 0 },
      });
      const purchaseKey = key("purchase");
      const bought = await repo.applyLedgerEntry({
        userId,
        kind: "purchase",
        credits: 100,
        key: purchaseKey,
        ref: "charge-1",
        stars: 50,
      });
      expect(bought).toEqual({ applied: true, balance: { userId, available: 400, reserved: 0 } });
      expect(await repo.getBalance(userId)).toEqual({ userId, available: 400, reserved: 0 });

      const entry = await repo.findLedgerEntry(purchaseKey);
      expect(entry).toMatchObject({
        userId,
        kind: "purchase",
        credits: 100,
        key: purchaseKey,
        ref: "charge-1",
        stars: 50,
      });
      expect(entry?.id).toEqual(expect.any(String));
      expect(entry?.createdAt).toBeInstanceOf(Date);
      expect(entry).not.toHaveProperty("actorId");
      expect(await repo.findLedgerEntry(grantKey)).toMatchObject({ kind: "grant", actorId: 42 });
      expect(await repo.findLedgerEntry(key("nothing"))).toBeUndefined();
      // Another user's balance is untouched.
      expect(await repo.getBalance(someone())).toMatchObject({ available: 0, reserved: 0 });
    });

    it("treats a used key as a no-op, even where the entry would no longer be covered", async () => {
      const userId = someone();
      const grant = key("grant");
      await repo.applyLedgerEntry({ userId, kind: "grant", credits: 100, key: grant });
      expect(await repo.applyLedgerEntry({ userId, kind: "grant", credits: 100, key: grant })).toEqual({
        applied: false,
        reason: "duplicate",
        balance: { userId, available: 100, reserved: 0 },
      });
      const reserve = key("training");
      expect((await repo.applyLedgerEntry({ userId, kind: "reserve", credits: 100, key: reserve })).applied).toBe(true);
      // available is 0 now: the redelivered reserve is a duplicate, not "insufficient".
      expect(await repo.applyLedgerEntry({ userId, kind: "reserve", credits: 100, key: reserve })).toEqual({
        applied: false,
        reason: "duplicate",
        balance: { userId, available: 0, reserved: 100 },
      });
      expect(await repo.listLedgerEntries(userId, 10)).toHaveLength(2);
    });

    it("refuses a reserve or refund beyond what is available, and leaves no entry behind", async () => {
      const userId = someone();
      await repo.applyLedgerEntry({ userId, kind: "grant", credits: 120, key: key("grant") });
      const reserve = key("training");
      expect(await repo.applyLedgerEntry({ userId, kind: "reserve", credits: 250, key: reserve })).toEqual({
        applied: false,
        reason: "insufficient",
        balance: { userId, available: 120, reserved: 0 },
      });
      expect(await repo.findLedgerEntry(reserve)).toBeUndefined();
      const refund = key("refund");
      expect(
        await repo.applyLedgerEntry({ userId, kind: "refund", credits: 121, key: refund, stars: 60 }),
      ).toMatchObject({ applied: false, reason: "insufficient" });
      expect(await repo.findLedgerEntry(refund)).toBeUndefined();
      // A user the ledger has never seen has nothing to reserve.
      const stranger = someone();
      expect(await repo.applyLedgerEntry({ userId: stranger, kind: "reserve", credits: 1, key: key("g") })).toEqual({
        applied: false,
        reason: "insufficient",
        balance: { userId: stranger, available: 0, reserved: 0 },
      });
      expect(await repo.getBalance(userId)).toEqual({ userId, available: 120, reserved: 0 });
      expect(await repo.listLedgerEntries(userId, 10)).toHaveLength(1);

      // The refused key stays free: once covered, the same entry goes in.
      await repo.applyLedgerEntry({ userId, kind: "grant", credits: 130, key: key("grant") });
      expect(await repo.applyLedgerEntry({ userId, kind: "reserve", credits: 250, key: reserve })).toEqual({
        applied: true,
        balance: { userId, available: 0, reserved: 250 },
      });
      expect(await repo.applyLedgerEntry({ userId, kind: "refund", credits: 1, key: refund })).toMatchObject({
        applied: false,
        reason: "insufficient",
      });
    });

    it("charges less than was reserved and releases the rest; a refund takes from what is available", async () => {
      const userId = someone();
      await repo.applyLedgerEntry({ userId, kind: "purchase", credits: 400, key: key("purchase"), stars: 200 });
      const job = crypto.randomUUID();
      await repo.applyLedgerEntry({
        userId,
        kind: "reserve",
        credits: 100,
        key: `generation:${job}:reserve`,
        ref: job,
      });
      expect(await repo.getBalance(userId)).toEqual({ userId, available: 300, reserved: 100 });
      expect(
        await repo.applyLedgerEntry({ userId, kind: "charge", credits: 50, key: `generation:${job}:charge`, ref: job }),
      ).toEqual({ applied: true, balance: { userId, available: 300, reserved: 50 } });
      expect(
        await repo.applyLedgerEntry({
          userId,
          kind: "release",
          credits: 50,
          key: `generation:${job}:release`,
          ref: job,
        }),
      ).toEqual({ applied: true, balance: { userId, available: 350, reserved: 0 } });
      expect(
        await repo.applyLedgerEntry({ userId, kind: "refund", credits: 150, key: key("refund"), stars: 75 }),
      ).toEqual({ applied: true, balance: { userId, available: 200, reserved: 0 } });
    });

    it("refuses a charge or release beyond what is reserved", async () => {
      const userId = someone();
      await repo.applyLedgerEntry({ userId, kind: "grant", credits: 300, key: key("grant") });
      await repo.applyLedgerEntry({ userId, kind: "reserve", credits: 100, key: key("reserve") });
      for (const kind of ["charge", "release"] as const) {
        const k = key(kind);
        expect(await repo.applyLedgerEntry({ userId, kind, credits: 101, key: k })).toEqual({
          applied: false,
          reason: "insufficient",
          balance: { userId, available: 200, reserved: 100 },
        });
        expect(await repo.findLedgerEntry(k)).toBeUndefined();
      }
    });

    it("gives exactly one of two racing reserves when the credits cover one", async () => {
      const userId = someone();
      await repo.applyLedgerEntry({ userId, kind: "grant", credits: 250, key: key("grant") });
      // Separate repositories: on Postgres, separate connections and so truly concurrent transactions.
      const [a, b] = await Promise.all(
        [make(), make()].map((r) =>
          r.applyLedgerEntry({ userId, kind: "reserve", credits: 250, key: key("training") }),
        ),
      );
      expect([a?.applied, b?.applied].sort()).toEqual([false, true]);
      expect([a, b].find((o) => !o?.applied)).toMatchObject({ reason: "insufficient" });
      expect(await repo.getBalance(userId)).toEqual({ userId, available: 0, reserved: 250 });
      expect((await repo.listLedgerEntries(userId, 10)).map((e) => e.kind)).toEqual(["reserve", "grant"]);
    });

    it("never overspends under many racing reserves, and applies a racing same-key entry once", async () => {
      const userId = someone();
      await repo.applyLedgerEntry({ userId, kind: "grant", credits: 250, key: key("grant") });
      const outcomes = await Promise.all(
        Array.from({ length: 6 }, () =>
          make().applyLedgerEntry({ userId, kind: "reserve", credits: 100, key: key("generation") }),
        ),
      );
      expect(outcomes.filter((o) => o.applied)).toHaveLength(2);
      expect(outcomes.filter((o) => !o.applied).every((o) => !o.applied && o.reason === "insufficient")).toBe(true);
      expect(await repo.getBalance(userId)).toEqual({ userId, available: 50, reserved: 200 });

      const same = key("grant");
      const twice = await Promise.all(
        [make(), make(), make()].map((r) => r.applyLedgerEntry({ userId, kind: "grant", credits: 10, key: same })),
      );
      expect(twice.filter((o) => o.applied)).toHaveLength(1);
      expect(twice.filter((o) => !o.applied && o.reason === "duplicate")).toHaveLength(2);
      expect(await repo.getBalance(userId)).toEqual({ userId, available: 60, reserved: 200 });
    });

    it("lists a user's entries newest first, up to the limit", async () => {
      const userId = someone();
      const job = crypto.randomUUID();
      await repo.applyLedgerEntry({ userId, kind: "grant", credits: 300, key: key("free") });
      await repo.applyLedgerEntry({ userId, kind: "reserve", credits: 250, key: `training:${job}:reserve`, ref: job });
      await repo.applyLedgerEntry({ userId, kind: "release", credits: 250, key: `training:${job}:release`, ref: job });
      await repo.applyLedgerEntry({ userId: someone(), kind: "grant", credits: 5, key: key("other") });
      expect((await repo.listLedgerEntries(userId, 10)).map((e) => [e.kind, e.credits, e.ref])).toEqual([
        ["release", 250, job],
        ["reserve", 250, job],
        ["grant", 300, undefined],
      ]);
      expect((await repo.listLedgerEntries(userId, 2)).map((e) => e.kind)).toEqual(["release", "reserve"]);
    });

    it("totals the credits each kind moved, for the metrics", async () => {
      const userId = someone();
      const total = async (kind: string) =>
        (await repo.metrics(new Date())).ledger.find((row) => row.kind === kind) ?? {
          credits: 0,
          stars: 0,
          entries: 0,
        };
      const [grants, purchases, charges] = [await total("grant"), await total("purchase"), await total("charge")];
      await repo.applyLedgerEntry({ userId, kind: "grant", credits: 300, key: key("free") });
      await repo.applyLedgerEntry({ userId, kind: "purchase", credits: 100, key: key("purchase"), stars: 50 });
      await repo.applyLedgerEntry({ userId, kind: "reserve", credits: 250, key: key("reserve") });
      await repo.applyLedgerEntry({ userId, kind: "charge", credits: 200, key: key("charge") });
      expect(await total("grant")).toEqual({
        kind: "grant",
        credits: grants.credits + 300,
        stars: grants.stars,
        entries: grants.entries + 1,
      });
      expect(await total("purchase")).toMatchObject({ credits: purchases.credits + 100, stars: purchases.stars + 50 });
      expect((await total("charge")).credits).toBe(charges.credits + 200);
    });

    it("refuses credits that are not a positive whole number", async () => {
      const userId = someone();
      for (const credits of [0, -5, 1.5]) {
        await expect(repo.applyLedgerEntry({ userId, kind: "grant", credits, key: key("bad") })).rejects.toThrow(
          RangeError,
        );
      }
      expect(await repo.getBalance(userId)).toEqual({ userId, available: 0, reserved: 0 });
    });
  });
});
