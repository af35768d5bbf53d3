import { env } from "cloudflare:workers";
import { imageSize } from "image-size";
import { beforeEach, describe, expect, it } from "vitest";
import { acceptedCorpus } from "../corpus/accepted";
import { concat, cutOut, jpeg, picture, png, pngHeaderOnly, webp, withExifOrientation } from "../corpus/images";
import type { TelegramStandIn } from "../stand-ins/telegram";
import { userIdOf } from "../support/db";
import { drain, installStandIns, newUser, send } from "../support/harness";
import { avatarCollectingPhotos } from "../support/journeys";

let telegram: TelegramStandIn;
let user = newUser();

beforeEach(() => {
  ({ telegram } = installStandIns());
  user = newUser();
});

const ascii = (text: string) => new TextEncoder().encode(text);

async function upload(bytes: Uint8Array, fileName: string) {
  const avatarId = await avatarCollectingPhotos(telegram, user);
  await send(telegram.documentUpdate(user, bytes, fileName));
  await drain(avatarId);
  const { results } = await env.DB.prepare("SELECT * FROM avatar_photos WHERE avatar_id = ?")
    .bind(avatarId)
    .all<Record<string, unknown>>();
  const userId = await userIdOf(user.id);
  const objects = (await env.BUCKET.list({ prefix: `avatars/user_${userId}/avatar_${avatarId}/` })).objects.map(
    (o) => o.key,
  );
  return { rows: results, objects, text: telegram.lastBotMessage(user.id).text ?? "" };
}

describe("files that are accepted", () => {
  it.each(acceptedCorpus)(
    "%s",
    async (_name, make) => {
      const { rows, objects, text } = await upload(await make(), "photo.bin");
      expect(text).toContain("1 of 50");
      expect(rows).toHaveLength(1);
      expect(objects).toHaveLength(3);
    },
    30_000,
  );

  it.each([
    ["2400×1500 lossy WEBP", () => webp(picture(2400, 1500))],
    ["2000×1700 lossless WEBP", () => webp(picture(2000, 1700), true)],
    ["2100×1600 WEBP with alpha", () => webp(cutOut(picture(2100, 1600)))],
  ])(
    // The upright picture is 1024 px wide; the face square, over 1024 source pixels, is decoded again from the file.
    "a %s above 3.2 MP gets a 1024 px face crop cut from the source",
    async (_name, make) => {
      const { rows, objects } = await upload(await make(), "large.webp");
      expect(rows).toHaveLength(1);
      const crop = objects.find((k) => k.includes("/processed/")) as string;
      const bytes = new Uint8Array(await ((await env.BUCKET.get(crop)) as R2ObjectBody).arrayBuffer());
      expect(imageSize(bytes)).toMatchObject({ width: 1024, height: 1024 });
    },
    30_000,
  );

  it("applies EXIF orientation to the thumbnail and the crop, and keeps the original untouched", async () => {
    const original = withExifOrientation(await jpeg(picture(800, 600)), 6);
    const { rows, objects } = await upload(original, "rotated.jpg");
    expect(rows[0]).toMatchObject({ width: 800, height: 600 });
    const crop = objects.find((k) => k.includes("/processed/")) as string;
    const thumb = objects.find((k) => k.includes("/thumbnails/")) as string;
    const read = async (key: string) =>
      new Uint8Array(await ((await env.BUCKET.get(key)) as R2ObjectBody).arrayBuffer());
    // Upright the picture is 600×800; the face crop is a square inside it.
    expect(imageSize(await read(crop))).toMatchObject({ width: 600, height: 600 });
    expect(imageSize(await read(thumb))).toMatchObject({ width: 192, height: 256 });
    expect(await read(objects.find((k) => k.includes("/original/")) as string)).toEqual(original);
  });
});

describe("files that are refused, leaving nothing behind", () => {
  it.each([
    [
      "too small",
      () => jpeg(picture(511, 900)),
      "511×900 is too small. Send a photo at least 512 px on the shorter side.",
    ],
    ["too large", () => jpeg(picture(4097, 600), { quality: 40 }), "4097×600 is too large"],
    ["a PNG claiming 100000×100000", async () => pngHeaderOnly(100_000, 100_000), "100000×100000 is too large"],
    ["GIF", async () => ascii("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), "GIF is not supported. Send JPEG, PNG or WEBP."],
    ["BMP", async () => concat([ascii("BM"), new Uint8Array(60)]), "BMP is not supported"],
    ["TIFF", async () => concat([ascii("II*\0"), new Uint8Array(60)]), "TIFF is not supported"],
    [
      "SVG",
      async () => ascii('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>'),
      "SVG is not supported",
    ],
    [
      "HEIC",
      async () => concat([new Uint8Array([0, 0, 0, 24]), ascii("ftypheic"), new Uint8Array(40)]),
      "HEIC is not supported",
    ],
    ["PDF", async () => ascii("%PDF-1.7\n%âãÏÓ\n1 0 obj"), "PDF is not supported"],
    ["an empty file", async () => new Uint8Array(), "the file is damaged or not a readable image"],
    [
      "random bytes",
      async () => crypto.getRandomValues(new Uint8Array(4096)),
      "the file is damaged or not a readable image",
    ],
    [
      "a truncated JPEG",
      async () => {
        const bytes = await jpeg(picture(800, 600));
        return bytes.subarray(0, Math.floor(bytes.length * 0.6));
      },
      "the file is damaged",
    ],
    [
      "a JPEG with corrupt pixel data",
      async () => {
        const bytes = await jpeg(picture(800, 600));
        const broken = bytes.slice();
        for (let i = Math.floor(bytes.length / 3); i < Math.floor(bytes.length / 3) + 400; i++)
          broken[i] = (i * 37) & 0xfe;
        return broken;
      },
      "the file is damaged",
    ],
    [
      "a PNG with corrupt pixel data",
      async () => {
        const bytes = await png(picture(700, 600));
        const broken = bytes.slice();
        for (let i = 200; i < 600; i++) broken[i] = (i * 91) & 0xff;
        return broken;
      },
      "the file is damaged",
    ],
  ])(
    "%s",
    async (_name, make, message) => {
      const { rows, objects, text } = await upload(await make(), "upload.bin");
      expect(text).toContain(message);
      expect(text).toContain("0 of 50");
      expect(rows).toEqual([]);
      expect(objects).toEqual([]);
    },
    30_000,
  );
});
