import { runDurableObjectAlarm } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import type { Raster } from "../../src/domain/ports";
import { createRepository } from "../../src/wiring";
import { jpeg, picture } from "../corpus/images";
import type { FalAttributes, FalFace, FalStandIn } from "../stand-ins/fal";
import type { StandInUser, TelegramStandIn } from "../stand-ins/telegram";
import { drain, installStandIns, lastAnswer, newUser, send, tap } from "../support/harness";
import { avatarCollectingPhotos } from "../support/journeys";

let telegram: TelegramStandIn;
let fal: FalStandIn;

beforeEach(() => {
  ({ telegram, fal } = installStandIns());
});

const SMALL_FACE: FalFace[] = [{ x_min: 0.45, y_min: 0.4, x_max: 0.55, y_max: 0.5 }];
const FACE_AT_EDGE: FalFace[] = [{ x_min: 0, y_min: 0.2, x_max: 0.4, y_max: 0.6 }];

function mapped(image: Raster, f: (v: number) => number): Raster {
  const data = new Uint8ClampedArray(image.data);
  for (let i = 0; i < data.length; i++) if (i % 4 !== 3) data[i] = f(data[i] ?? 0);
  return { ...image, data };
}

function blurred(image: Raster, radius: number): Raster {
  const { width, height } = image;
  const data = new Uint8ClampedArray(image.data);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        let n = 0;
        for (let dy = -radius; dy <= radius; dy += 2)
          for (let dx = -radius; dx <= radius; dx += 2) {
            const yy = Math.min(height - 1, Math.max(0, y + dy));
            const xx = Math.min(width - 1, Math.max(0, x + dx));
            sum += image.data[(yy * width + xx) * 4 + c] ?? 0;
            n++;
          }
        data[(y * width + x) * 4 + c] = sum / n;
      }
  return { ...image, data };
}

interface Case {
  picture: (seed: number) => Raster;
  faces?: FalFace[];
  seen?: Partial<FalAttributes>;
}

/** One photo for each piece of advice, in the order the tests send them. */
const CASES: Case[] = [
  { picture: (s) => picture(640, 600, s), faces: SMALL_FACE },
  { picture: (s) => picture(640, 600, s), faces: FACE_AT_EDGE },
  { picture: (s) => blurred(picture(640, 600, s), 8) },
  { picture: (s) => mapped(picture(640, 600, s), (v) => v * 0.15) },
  { picture: (s) => mapped(picture(640, 600, s), (v) => 236 + v * 0.07) },
  { picture: (s) => picture(640, 600, s), seen: { sunglasses: true } },
  { picture: (s) => picture(640, 600, s), seen: { head_covering: true } },
  { picture: (s) => picture(640, 600, s), seen: { heavy_filter: true } },
  { picture: (s) => picture(640, 600, s), seen: { gaze: "away" } },
];

/** Sends each case as its own batch (so fal's answers meet their photo in order), then a plain one. */
async function sendCases(user: StandInUser, avatarId: string, firstSeed: number): Promise<void> {
  for (const [i, c] of CASES.entries()) {
    if (c.faces) fal.seeFaces(c.faces);
    fal.seeAttributes(c.seen ?? {});
    const bytes = await jpeg(c.picture(firstSeed + i));
    await send(telegram.photoUpdate(user, [{ bytes, width: 640, height: 600 }]));
    await drain(avatarId);
  }
}

const ADVICE_EN = [
  "• Photo 1: your face is small in the frame. Move closer, or add a close-up.",
  "• Photo 2: the edge of the frame cuts off your face. Add a photo with the whole face in it.",
  "• Photo 3: the photo is blurry. A sharper one helps the likeness.",
  "• Photo 4: the photo is too dark. Add one taken in brighter light.",
  "• Photo 5: the photo is too bright. Add one taken in softer light.",
  "• Photo 6: sunglasses hide your eyes. A photo without them helps the likeness.",
  "• Photo 7: a hat or head covering hides your hair and forehead. Add a photo without it.",
  "• Photo 8: a strong filter or retouch changes your face. Add a photo without it.",
  "• Photo 9: you are looking far away from the camera. Add one looking into the lens.",
];

const ADVICE_RU = [
  "• Фото 1: лицо слишком мелкое в кадре. Подойдите ближе или добавьте крупный план.",
  "• Фото 2: край кадра обрезает лицо. Добавьте фото, где лицо видно целиком.",
  "• Фото 3: фото размыто. Более чёткое поможет сходству.",
  "• Фото 4: фото слишком тёмное. Добавьте снимок при более ярком свете.",
  "• Фото 5: фото слишком светлое. Добавьте снимок при более мягком свете.",
  "• Фото 6: солнцезащитные очки закрывают глаза. Фото без них поможет сходству.",
  "• Фото 7: головной убор закрывает волосы и лоб. Добавьте фото без него.",
  "• Фото 8: сильный фильтр или ретушь меняют лицо. Добавьте фото без обработки.",
  "• Фото 9: взгляд направлен далеко от камеры. Добавьте фото, где вы смотрите в объектив.",
];

const text = (user: StandInUser) => telegram.lastBotMessage(user.id).text ?? "";
const caption = (user: StandInUser) => telegram.lastBotMessage(user.id).caption ?? "";

describe("the likeness coach, per photo", () => {
  for (const [language, advice, title] of [
    ["en", ADVICE_EN, "Accepted, but could be better:"],
    ["ru", ADVICE_RU, "Приняты, но могли бы быть лучше:"],
  ] as const) {
    it(`accepts each photo that hurts likeness with one line of advice (${language})`, async () => {
      const user = newUser(language);
      const avatarId = await avatarCollectingPhotos(telegram, user);
      await sendCases(user, avatarId, language === "en" ? 301 : 401);
      const status = text(user).split("\n");
      const at = status.indexOf(title);
      expect(at).toBeGreaterThan(0);
      expect(status.slice(at + 1, at + 1 + advice.length)).toEqual(advice);
      const rows = (await createRepository(env).listPhotos(avatarId, 0, 50)).items;
      expect(rows).toHaveLength(9);
      expect(rows.every((r) => r.validationStatus === "VALID")).toBe(true);
      // One vision question per photo, with reasoning off, and its answer kept with the photo.
      const queries = fal.calls.filter((c) => c.path === "/fal-ai/moondream3-preview/query");
      expect(queries).toHaveLength(9);
      expect(queries.every((c) => (c.body as { reasoning?: unknown }).reasoning === false)).toBe(true);
      expect(rows[5]?.photoMetadata.attributes).toEqual({
        sunglasses: true,
        headCovering: false,
        heavyFilter: false,
        gaze: "camera",
        pose: "front",
      });
    });
  }

  it("accepts the photo without advice when fal's vision check fails or answers off the format, and never asks twice", async () => {
    const user = newUser();
    const avatarId = await avatarCollectingPhotos(telegram, user);
    // fal refuses the picture (a client error, which fal's client does not retry).
    fal.failNextQuery(422, {
      detail: [{ loc: ["body", "image_url"], msg: "Could not read the image", type: "value_error" }],
    });
    await send(telegram.photoUpdate(user, [{ bytes: await jpeg(picture(640, 600, 501)), width: 640, height: 600 }]));
    await drain(avatarId);
    fal.answerQueryWith("The person seems to wear a cap.");
    await send(telegram.photoUpdate(user, [{ bytes: await jpeg(picture(640, 600, 502)), width: 640, height: 600 }]));
    await drain(avatarId);
    const rows = (await createRepository(env).listPhotos(avatarId, 0, 50)).items;
    expect(rows.map((r) => r.photoMetadata.attributes)).toEqual([null, null]);
    expect(text(user)).toContain("Me: 2 of 50 photos");
    expect(text(user)).not.toContain("Accepted, but could be better:");
    await send(telegram.photoUpdate(user, [{ bytes: await jpeg(picture(640, 600, 503)), width: 640, height: 600 }]));
    await drain(avatarId);
    expect(fal.calls.filter((c) => c.path === "/fal-ai/moondream3-preview/query").map((c) => c.status)).toEqual([
      422, 200, 200,
    ]);
  });

  for (const [language, marks, deleteNow, deleted] of [
    ["en", "⚠️ Could be better: sunglasses", "🗑 Delete now", "Photo deleted."],
    ["ru", "⚠️ Можно лучше: солнцезащитные очки", "🗑 Удалить сразу", "Фото удалено."],
  ] as const) {
    it(`shows the marks in the photo viewer and deletes a marked photo in one tap (${language})`, async () => {
      const user = newUser(language);
      const avatarId = await avatarCollectingPhotos(telegram, user);
      fal.seeAttributes({}, { sunglasses: true });
      await send(telegram.photoUpdate(user, [{ bytes: await jpeg(picture(640, 600, 601)), width: 640, height: 600 }]));
      await drain(avatarId);
      await send(telegram.photoUpdate(user, [{ bytes: await jpeg(picture(640, 600, 602)), width: 640, height: 600 }]));
      await drain(avatarId);
      await tap(telegram, user, /View photos|Мои фото/);
      expect(caption(user)).not.toContain("⚠️");
      await tap(telegram, user, "▶️");
      expect(caption(user).split("\n").at(-1)).toBe(marks);
      await tap(telegram, user, deleteNow);
      expect(lastAnswer(telegram)).toBe(deleted);
      expect((await createRepository(env).listPhotos(avatarId, 0, 50)).total).toBe(1);
    });
  }
});

function cropped(image: Raster, share: number): Raster {
  const dx = Math.round(image.width * share);
  const dy = Math.round(image.height * share);
  const width = image.width - 2 * dx;
  const height = image.height - 2 * dy;
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++)
    data.set(
      image.data.subarray(((y + dy) * image.width + dx) * 4, ((y + dy) * image.width + dx + width) * 4),
      y * width * 4,
    );
  return { data, width, height };
}

/** Sends the pictures one batch each, fal seeing `seen[i]` on the i-th, and presses Done. */
async function setOf(user: StandInUser, name: string, pictures: Raster[], seen: Partial<FalAttributes>[]) {
  const avatarId = await avatarCollectingPhotos(telegram, user, name);
  for (const [i, image] of pictures.entries()) {
    fal.seeAttributes(seen[i] ?? {});
    await send(telegram.photoUpdate(user, [{ bytes: await jpeg(image), width: image.width, height: image.height }]));
    await drain(avatarId);
  }
  await tap(telegram, user, /Done|Готово/);
  return avatarId;
}

describe("the likeness coach, on the set", () => {
  const weakSet = () => ({
    pictures: [
      picture(800, 600, 40),
      // The same shot, 3% off each side: accepted (not the same picture), but almost the same.
      cropped(picture(800, 600, 40), 0.03),
      picture(800, 600, 41),
      picture(800, 600, 42),
      picture(800, 600, 43),
    ],
    seen: [{}, {}, { sunglasses: true }, {}, {}] as Partial<FalAttributes>[],
  });
  // Distinct shots in different light, one in profile, no sunglasses.
  const strongSet = () => ({
    pictures: [
      picture(800, 600, 40),
      mapped(picture(800, 600, 44), (v) => v * 0.7),
      picture(800, 600, 42),
      mapped(picture(800, 600, 43), (v) => Math.min(255, v * 1.25)),
      picture(800, 600, 45),
    ],
    seen: [{}, {}, { pose: "profile" }, {}, {}] as Partial<FalAttributes>[],
  });

  for (const [language, weakText, strongText, train] of [
    [
      "en",
      [
        "✅ Avatar Weak is ready for training with 5 photos.",
        "",
        "⭐ For likeness, the set scores 7 out of 10.",
        "What would raise it:",
        "• Add 1 photo in profile or half-turned.",
        "• Add photos in different light and places.",
        "• 1 photo has sunglasses.",
        "• 2 photos look almost the same: keep the best of them and replace the rest with different shots.",
        "You can improve the set before training, or go ahead as it is.",
      ],
      [
        "✅ Avatar Strong is ready for training with 5 photos.",
        "",
        "⭐ For likeness, the set scores 10 out of 10.",
        "The set looks good.",
      ],
      "🚀 Train",
    ],
    [
      "ru",
      [
        "✅ Аватар «Weak» готов к обучению: в нём 5 фотографий.",
        "",
        "⭐ Оценка набора для сходства: 7 из 10",
        "Что её повысит:",
        "• Добавьте 1 снимок в профиль или вполоборота.",
        "• Добавьте фото при другом освещении и в других местах.",
        "• 1 фото — в солнцезащитных очках.",
        "• 2 фото почти не отличаются друг от друга: оставьте лучшее, остальные замените другими снимками.",
        "Можно улучшить набор до обучения или начать как есть.",
      ],
      [
        "✅ Аватар «Strong» готов к обучению: в нём 5 фотографий.",
        "",
        "⭐ Оценка набора для сходства: 10 из 10",
        "Набор выглядит хорошо.",
      ],
      "🚀 Обучить",
    ],
  ] as const) {
    it(`scores the set out of 10 on the Done and Train screens, higher as the set improves (${language})`, async () => {
      const user = newUser(language);
      const weak = weakSet();
      await setOf(user, "Weak", weak.pictures, weak.seen);
      expect(text(user)).toBe(weakText.join("\n"));
      await tap(telegram, user, train);
      // The Train screen repeats the score and what would raise it; the user may go ahead anyway.
      expect(text(user)).toContain(weakText.slice(2).join("\n"));
      expect(telegram.buttonData(telegram.lastBotMessage(user.id), /Start training|Начать обучение/)).toBeTruthy();

      const strong = strongSet();
      await setOf(user, "Strong", strong.pictures, strong.seen);
      expect(text(user)).toBe(strongText.join("\n"));
    });
  }

  for (const [language, hint] of [
    ["en", "💡 Photos 2 and 3 helped the likeness least. If you train again, replace them with sharp close-ups."],
    [
      "ru",
      "💡 Меньше всего для сходства дали фото 2 и 3. Если будете обучать заново, замените их чёткими крупными планами.",
    ],
  ] as const) {
    it(`names the photos that helped least on the trained card (${language})`, async () => {
      const user = newUser(language);
      const weak = weakSet();
      const avatarId = await setOf(user, "Weak", weak.pictures, weak.seen);
      await tap(telegram, user, /Train|Обучить/);
      await tap(telegram, user, /Start training|Начать обучение/);
      const workspace = env.AVATAR_WORKSPACE.getByName(avatarId);
      for (let i = 0; i < 20 && fal.jobs.size === 0; i++) await runDurableObjectAlarm(workspace);
      const job = fal.job();
      fal.succeed(job.id);
      expect((await exports.default.fetch(await fal.webhook(job.id))).status).toBe(200);
      expect(text(user).split("\n").at(-1)).toBe(hint);
    });
  }
});
