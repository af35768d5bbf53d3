// The archive a training hands to fal, on whichever database and storage the Worker is set to use:
// with R2 a link signed by the Worker (GET /training-data/…), with S3 a URL presigned by the store.
// Runs in both vitest projects (d1-r2 and postgres-s3).
import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadSettings } from "../../src/config/settings";
import { jpeg, picture } from "../corpus/images";
import type { FalStandIn } from "../stand-ins/fal";
import type { TelegramStandIn } from "../stand-ins/telegram";
import { rows, storedKeys, userIdOf } from "../support/db";
import { drain, installStandIns, newUser, send, tap } from "../support/harness";
import { avatarCollectingPhotos, expectTrainingArchive } from "../support/journeys";

let telegram: TelegramStandIn;
let fal: FalStandIn;
let photos: Uint8Array[] = [];
const user = newUser();

beforeAll(async () => {
  photos = await Promise.all([1, 2, 3, 4, 5].map((seed) => jpeg(picture(600, 560, seed))));
});

beforeEach(() => {
  ({ telegram, fal } = installStandIns());
});

async function status(avatarId: string): Promise<string | undefined> {
  const [row] = await rows<{ status: string }>("SELECT status FROM avatars WHERE id = ?", avatarId);
  return row?.status;
}

describe("the training archive handed to fal", () => {
  it("is a time-limited link to the processed crops only, in the form the storage allows", async () => {
    const avatarId = await avatarCollectingPhotos(telegram, user);
    for (const bytes of photos) await send(telegram.photoUpdate(user, [{ bytes, width: 600, height: 560 }], "album"));
    await drain(avatarId);
    await tap(telegram, user, "✅ Done");
    await tap(telegram, user, "🚀 Train");
    await tap(telegram, user, "🚀 Start training");
    const workspace = env.AVATAR_WORKSPACE.getByName(avatarId);
    for (let i = 0; i < 20 && (await status(avatarId)) !== "TRAINING"; i++) await runDurableObjectAlarm(workspace);
    expect(await status(avatarId)).toBe("TRAINING");

    const key = `avatars/user_${await userIdOf(user.id)}/avatar_${avatarId}/training_data/training_set.zip`;
    expect(await storedKeys(key)).toEqual([key]);
    const link = new URL(String(fal.job().input.images_data_url));
    const { storage } = loadSettings(env);
    if (storage.driver === "s3") {
      // Presigned by the store for a day, set explicitly; the Worker is not in the download's path.
      expect(`${link.origin}${link.pathname}`).toBe(`${storage.endpoint}/${storage.bucket}/${key}`);
      expect(link.searchParams.get("X-Amz-Expires")).toBe("86400");
      expect(link.searchParams.get("X-Amz-Signature")).toMatch(/^[0-9a-f]{64}$/);
    } else {
      expect(link.toString()).toMatch(/^https:\/\/bot\.example\/training-data\/avatars\/.+\?expires=\d+&signature=/);
    }

    await expectTrainingArchive(link.toString(), photos);

    // A link whose lifetime was altered is refused by whoever signed it.
    const altered = new URL(link);
    if (storage.driver === "s3") altered.searchParams.set("X-Amz-Expires", "604800");
    else altered.searchParams.set("expires", String(Number(link.searchParams.get("expires")) + 3600));
    expect((await fetch(altered)).status).toBe(403);
  });
});
