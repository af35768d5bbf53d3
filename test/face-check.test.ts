import { env } from "cloudflare:workers";
import { imageSize } from "image-size";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { parseSettings } from "../src/config/settings";
import { D1Repository } from "../src/db/d1/d1-repository";
import { createFaceDetector } from "../src/fal/face-detector";
import { type PhotoJob, PhotoService } from "../src/services/photo-service";
import { R2Storage } from "../src/storage/r2-storage";
import { jpeg, picture } from "./corpus/images";
import { FalStandIn } from "./stand-ins/fal";

const FAL_KEY = "key-id:key-secret";
const FAL_ORIGIN = "http://fal.stand-in";

let fal: FalStandIn;
let files: Map<string, Uint8Array>;
let service: PhotoService;
let avatarId: string;
let userId: string;
let seq = 0;

beforeEach(async () => {
  fal = new FalStandIn(FAL_KEY, FAL_ORIGIN);
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    if (fal.serves(request.url)) return fal.handle(request);
    throw new Error(`unexpected outbound request to ${request.url}`);
  });
  const settings = parseSettings({ ...env, FAL_KEY, FAL_BASE_URL: FAL_ORIGIN });
  const repo = new D1Repository(env.DB);
  userId = crypto.randomUUID();
  avatarId = crypto.randomUUID();
  await env.DB.batch([
    env.DB.prepare("INSERT INTO users (id, telegram_id, language_code, last_seen_at) VALUES (?, ?, 'en', 0)").bind(
      userId,
      Math.floor(Math.random() * 1e9),
    ),
    env.DB.prepare(
      "INSERT INTO avatars (id, user_id, name, status, fal_iterations, fal_priority, trigger_word, lora_rank, updated_at) VALUES (?, ?, 'F', 'PHOTOS_UPLOADING', 500, 'quality', ?, 32, 0)",
    ).bind(avatarId, userId, `t${avatarId.slice(0, 8)}`),
  ]);
  files = new Map();
  service = new PhotoService({
    repo,
    storage: new R2Storage(env.BUCKET),
    settings: settings.avatar,
    download: async (fileId) => files.get(fileId) as Uint8Array,
    detectFaces: createFaceDetector(settings),
    nextSequence: async () => ++seq,
    scheduleCleanup: async () => undefined,
  });
});

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
  return env.DB.prepare("SELECT * FROM avatar_photos WHERE avatar_id = ?")
    .bind(avatarId)
    .first<Record<string, unknown>>();
}

describe("face detection on fal", () => {
  it("accepts exactly one face, keeps its box and crops around it", async () => {
    expect(await service.process(await job(1))).toMatchObject({ kind: "accepted", faceChecked: true });
    const photo = await row();
    expect(photo).toMatchObject({ has_face: 1, validation_status: "VALID" });
    const box = JSON.parse(String(photo?.photo_metadata)).faceBox;
    expect([box.x, box.y, box.width, box.height].map((v: number) => Math.round(v * 100))).toEqual([35, 20, 30, 40]);
    const crop = await env.BUCKET.get(JSON.parse(String(photo?.photo_metadata)).processedKey);
    const size = imageSize(new Uint8Array(await (crop as R2ObjectBody).arrayBuffer()));
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
    expect(await row()).toMatchObject({ validation_status: "PENDING", has_face: null });
    const count = () =>
      env.DB.prepare("SELECT photos_count FROM avatars WHERE id = ?").bind(avatarId).first<{ photos_count: number }>();
    expect((await count())?.photos_count).toBe(0);

    fal.clearScript();
    const outcomes = await service.recheckPending(avatarId, async () => undefined);
    expect(outcomes).toMatchObject([{ kind: "accepted" }]);
    expect(await row()).toMatchObject({ validation_status: "VALID", has_face: 1 });
    expect((await count())?.photos_count).toBe(1);
  });

  it("treats a refused key as a failure to check, not as no face", async () => {
    fal.failNext(401, { detail: "Invalid authentication credentials" });
    expect(await service.process(await job(5))).toMatchObject({ kind: "accepted", faceChecked: false });
    expect(await row()).toMatchObject({ validation_status: "PENDING" });
  });
});
