import { env } from "cloudflare:workers";
import { imageSize } from "image-size";
import { beforeEach, describe, expect, it } from "vitest";
import { loadSettings } from "../../src/config/settings";
import type { ObjectStorage } from "../../src/domain/object-storage";
import { PHOTO_CHECK } from "../../src/domain/photo-check-lifecycle";
import type { Repository } from "../../src/domain/repository";
import { createFaceDetector } from "../../src/fal/face-detector";
import { photoImages } from "../../src/images/prepare";
import { type PhotoJob, PhotoService } from "../../src/services/photo-service";
import { createRepository, createStorage } from "../../src/wiring";
import { jpeg, picture } from "../corpus/images";
import type { FalStandIn } from "../stand-ins/fal";
import { installStandIns } from "../support/harness";

let fal: FalStandIn;
let files: Map<string, Uint8Array>;
let service: PhotoService;
let repo: Repository;
let storage: ObjectStorage;
let avatarId: string;
let userId: string;
let seq = 0;

beforeEach(async () => {
  // fal is the stand-in; with STORAGE_DRIVER=s3 the store is the real S3-API server on loopback.
  ({ fal } = installStandIns());
  // Through the configured repository and storage, so this file runs on D1 + R2 and on Postgres + S3.
  repo = createRepository(env);
  storage = createStorage(env);
  const now = new Date();
  const profile = { firstName: "F", lastName: null, username: null, languageCode: "en" as const };
  userId = (await repo.upsertUser({ ...profile, telegramId: Math.floor(Math.random() * 1e9) }, now)).id;
  avatarId = crypto.randomUUID();
  await repo.insertAvatar(
    {
      id: avatarId,
      userId,
      triggerWord: `t${avatarId.slice(0, 8)}`,
      falIterations: 500,
      falPriority: "quality",
      loraRank: 32,
    },
    now,
  );
  await repo.updateAvatarIf(avatarId, "DRAFT", { name: "F", status: "PHOTOS_UPLOADING" }, now);
  files = new Map();
  service = photoService();
});

function photoService(now?: () => Date): PhotoService {
  const settings = loadSettings(env);
  return new PhotoService({
    repo,
    storage,
    settings: settings.avatar,
    images: photoImages,
    download: async (fileId) => files.get(fileId) as Uint8Array,
    detectFaces: createFaceDetector(settings),
    nextSequence: async () => ++seq,
    scheduleCleanup: async () => undefined,
    ...(now ? { now } : {}),
  });
}

async function job(seed: number): Promise<PhotoJob> {
  const id = `file-${seed}-${Math.random()}`;
  files.set(id, await jpeg(picture(700, 600, seed)));
  return {
    id,
    avatarId,
    userId,
    chatId: 1,
    messageId: seed,
    kind: "document",
    fileId: id,
    fileUniqueId: id,
    receivedAt: Date.now(),
  };
}

async function row() {
  return (await repo.listPhotos(avatarId, 0, 1)).items[0] ?? null;
}

describe("face detection on fal", () => {
  it("accepts exactly one face, keeps its box and crops around it", async () => {
    expect(await service.process(await job(1))).toMatchObject({ kind: "accepted", faceChecked: true });
    const photo = await row();
    expect(photo).toMatchObject({ hasFace: true, validationStatus: "VALID" });
    const box = photo?.photoMetadata?.faceBox as { x: number; y: number; width: number; height: number };
    expect([box.x, box.y, box.width, box.height].map((v: number) => Math.round(v * 100))).toEqual([35, 20, 30, 40]);
    const crop = await storage.get(String(photo?.photoMetadata?.processedKey));
    const size = imageSize(new Uint8Array((await crop?.arrayBuffer()) ?? new ArrayBuffer(0)));
    // Three face-heights square around the face: 0.4 × 600 × 3 = 720 px, within the 600 px short side.
    expect([size.width, size.height]).toEqual([600, 600]);
    const [call] = fal.calls;
    expect(call?.path).toBe("/fal-ai/moondream3-preview/detect");
    expect(call?.body).toMatchObject({
      prompt: "human face",
      image_url: expect.stringMatching(/^data:image\/jpeg;base64,/),
    });
  });

  it("refuses no face and more than one face, storing nothing", async () => {
    fal.seeFaces([], [...[0.1, 0.5].map((x) => ({ x_min: x, y_min: 0.1, x_max: x + 0.2, y_max: 0.4 }))]);
    expect(await service.process(await job(2))).toEqual({ kind: "refused", reason: "no_face" });
    expect(await service.process(await job(3))).toEqual({ kind: "refused", reason: "many_faces" });
    expect(await row()).toBeNull();
  });

  it("keeps the photo as PENDING when fal fails, and the recheck makes it valid later", async () => {
    fal.failNext(500);
    fal.failNext(500);
    expect(await service.process(await job(4))).toMatchObject({ kind: "accepted", faceChecked: false });
    expect(await row()).toMatchObject({ validationStatus: "PENDING", hasFace: null });
    const count = async () => (await repo.findAvatar(avatarId))?.photosCount;
    expect(await count()).toBe(0);

    fal.clearScript();
    const outcomes = await service.recheckPending(avatarId, async () => undefined);
    expect(outcomes).toMatchObject([{ kind: "accepted" }]);
    expect(await row()).toMatchObject({ validationStatus: "VALID", hasFace: true });
    expect(await count()).toBe(1);
  });

  it("counts a kept photo unchecked once fal's face check has been out of reach past its deadline", async () => {
    fal.failNext(500);
    fal.failNext(500);
    await service.process(await job(6));
    fal.failNext(500);
    fal.failNext(500);
    expect(await service.recheckPending(avatarId, async () => undefined)).toEqual([]);
    expect(await row()).toMatchObject({ validationStatus: "PENDING" });
    fal.failNext(500);
    fal.failNext(500);
    const later = photoService(() => new Date(Date.now() + PHOTO_CHECK.pendingDeadlineMs + 60_000));
    expect(await later.recheckPending(avatarId, async () => undefined)).toMatchObject([
      { kind: "accepted", faceChecked: false },
    ]);
    expect(await row()).toMatchObject({ validationStatus: "VALID", hasFace: null });
    expect((await repo.findAvatar(avatarId))?.photosCount).toBe(1);
  });

  it("treats a refused key as a failure to check, not as no face", async () => {
    fal.failNext(401, { detail: "Invalid authentication credentials" });
    expect(await service.process(await job(5))).toMatchObject({ kind: "accepted", faceChecked: false });
    expect(await row()).toMatchObject({ validationStatus: "PENDING" });
  });
});
