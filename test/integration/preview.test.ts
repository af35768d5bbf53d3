import { createScheduledController, runDurableObjectAlarm } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { runScheduled } from "../../src/scheduled";
import { jpeg, picture } from "../corpus/images";
import { type FalStandIn, pulidOutput } from "../stand-ins/fal";
import type { StandInUser, TelegramStandIn } from "../stand-ins/telegram";
import { drain, installStandIns, lastAnswer, newUser, send, tap } from "../support/harness";
import { avatarCollectingPhotos } from "../support/journeys";

let telegram: TelegramStandIn;
let fal: FalStandIn;

beforeEach(() => {
  ({ telegram, fal } = installStandIns());
});

const workspace = (avatarId: string) => env.AVATAR_WORKSPACE.getByName(avatarId);

/** Five photos, the third a close-up the coach likes best (the largest face), and Done. */
async function readyAvatar(user: StandInUser): Promise<string> {
  const avatarId = await avatarCollectingPhotos(telegram, user);
  for (let i = 0; i < 5; i++) {
    fal.seeFaces(
      i === 2
        ? [{ x_min: 0.25, y_min: 0.15, x_max: 0.75, y_max: 0.75 }]
        : [{ x_min: 0.4, y_min: 0.3, x_max: 0.6, y_max: 0.55 }],
    );
    const bytes = await jpeg(picture(640, 600, 900 + i));
    await send(telegram.photoUpdate(user, [{ bytes, width: 640, height: 600 }]));
    await drain(avatarId);
  }
  await tap(telegram, user, /Done|Готово/);
  return avatarId;
}

const previewJobs = () => [...fal.jobs.values()].filter((job) => job.app === "fal-ai/flux-pulid");

async function generations(avatarId: string) {
  return (
    await env.DB.prepare("SELECT * FROM generations WHERE avatar_id = ? ORDER BY created_at").bind(avatarId).all()
  ).results as Array<Record<string, unknown>>;
}

/** fal draws the latest preview job and calls the webhook; `nsfw` flags it. */
async function falDrawsPreview(nsfw = false): Promise<void> {
  const job = previewJobs().at(-1);
  if (!job) throw new Error("no preview job");
  const url = `https://v3.fal.media/files/pulid/${job.id}.jpg`;
  fal.media.set(url, { bytes: await jpeg(picture(448, 576, 77)), contentType: "image/jpeg" });
  fal.succeed(job.id, pulidOutput([url], String(job.input.prompt), [nsfw]));
  expect((await exports.default.fetch(await fal.webhook(job.id))).status).toBe(200);
}

describe("the preview before training", () => {
  for (const [language, button, style, starting, caption, running, used] of [
    [
      "en",
      "👀 Free preview",
      "📸 Portrait studio",
      "⏳ Making your preview… it takes about a minute.",
      "👀 Preview of avatar Me · 📸 Portrait studio\npreview — training gives a closer likeness",
      "Your preview is already being made; it will arrive here shortly.",
      "The free preview of this avatar is used up. Train the avatar for pictures that look more like you.",
    ],
    [
      "ru",
      "👀 Бесплатное превью",
      "📸 Студия",
      "⏳ Готовлю превью… это займёт около минуты.",
      "👀 Превью аватара «Me» · 📸 Студия\nпревью — после обучения сходство будет точнее",
      "Превью уже готовится и скоро придёт сюда.",
      "Бесплатное превью этого аватара уже использовано. Обучите аватар — на его снимках сходство будет точнее.",
    ],
  ] as const) {
    it(`draws one picture from the best photo, labelled, once per avatar for free (${language})`, async () => {
      const user = newUser(language);
      const avatarId = await readyAvatar(user);
      await tap(telegram, user, button);
      const chooser = telegram.lastBotMessage(user.id);
      await tap(telegram, user, style, chooser.message_id);
      expect(telegram.lastBotMessage(user.id).text).toBe(starting);
      // A double tap on the same button while it is being made: one job, and a clear answer.
      await tap(telegram, user, style, chooser.message_id);
      expect(lastAnswer(telegram)).toBe(running);
      await runDurableObjectAlarm(workspace(avatarId));
      await runDurableObjectAlarm(workspace(avatarId));
      expect(previewJobs()).toHaveLength(1);
      const [job] = previewJobs();
      // Drawn from the stored crop of photo 3, without the avatar's trigger word.
      const photos = await env.DB.prepare(
        "SELECT json_extract(photo_metadata, '$.processedKey') AS k FROM avatar_photos WHERE avatar_id = ? ORDER BY upload_order",
      )
        .bind(avatarId)
        .all<{ k: string }>();
      const crop = await env.BUCKET.get(photos.results[2]?.k ?? "");
      const base64 = btoa(String.fromCharCode(...new Uint8Array((await crop?.arrayBuffer()) ?? new ArrayBuffer(0))));
      expect(job?.input.reference_image_url).toBe(`data:image/jpeg;base64,${base64}`);
      expect(job?.input.prompt).toMatch(/^photo of a woman, studio portrait/);
      expect(job?.input).toMatchObject({ image_size: "portrait_4_3", enable_safety_checker: true });
      expect(job?.webhookUrl).toMatch(/\/fal\/webhook\?generation=[0-9a-f-]{36}$/);

      await falDrawsPreview();
      expect(telegram.lastBotMessage(user.id).caption).toBe(caption);
      const photosSent = telegram.callsTo("sendPhoto").length;
      expect((await generations(avatarId))[0]).toMatchObject({ status: "SUCCEEDED", deadline_at: null });
      // The redelivered webhook changes nothing.
      expect((await exports.default.fetch(await fal.webhook(job?.id ?? ""))).status).toBe(200);
      expect(telegram.callsTo("sendPhoto")).toHaveLength(photosSent);

      // Free once: the next tap, on any style, says so and makes nothing.
      await tap(telegram, user, style, chooser.message_id);
      expect(lastAnswer(telegram)).toBe(used);
      await runDurableObjectAlarm(workspace(avatarId));
      expect(previewJobs()).toHaveLength(1);
      expect(await generations(avatarId)).toHaveLength(1);
    });
  }

  it("a failed or flagged preview is not counted: the user is told and may try again", async () => {
    const user = newUser();
    const avatarId = await readyAvatar(user);
    await tap(telegram, user, "👀 Free preview");
    const chooser = telegram.lastBotMessage(user.id);
    await tap(telegram, user, "📸 Portrait studio", chooser.message_id);
    await runDurableObjectAlarm(workspace(avatarId));
    const first = previewJobs()[0];
    fal.fail(first?.id ?? "", 422, {
      detail: [{ loc: ["body", "reference_image_url"], msg: "No face detected", type: "value_error" }],
    });
    expect((await exports.default.fetch(await fal.webhook(first?.id ?? ""))).status).toBe(200);
    expect(telegram.lastBotMessage(user.id).text).toBe(
      "⚠️ The preview could not be made. The service could not work with these photos or settings. Try again; if it fails again, replace a few photos with sharp ones showing only you.",
    );

    await tap(telegram, user, "📸 Portrait studio", chooser.message_id);
    await runDurableObjectAlarm(workspace(avatarId));
    expect(previewJobs()).toHaveLength(2);
    await falDrawsPreview(true);
    expect(telegram.lastBotMessage(user.id).text).toBe(
      "🙈 The preview was flagged as not safe for work, so I did not send it. Try another style.",
    );
    expect((await generations(avatarId)).map((g) => [g.status, g.error])).toEqual([
      ["FAILED", "rejected"],
      ["FAILED", "nsfw"],
    ]);
    // Still free: a third try goes to fal.
    await tap(telegram, user, "📸 Portrait studio", chooser.message_id);
    await runDurableObjectAlarm(workspace(avatarId));
    expect(previewJobs()).toHaveLength(3);
  });

  it("is never submitted twice after a restart between fal's answer and our record, and fal's webhook still settles it", async () => {
    const user = newUser();
    const avatarId = await readyAvatar(user);
    await tap(telegram, user, "👀 Free preview");
    await tap(telegram, user, "📸 Portrait studio");
    await runDurableObjectAlarm(workspace(avatarId));
    expect(previewJobs()).toHaveLength(1);
    // As a restart right after fal accepted the job would leave the row: the intent, no request id.
    await env.DB.prepare("UPDATE generations SET status = 'SUBMITTING', fal_request_id = NULL WHERE avatar_id = ?")
      .bind(avatarId)
      .run();
    await runDurableObjectAlarm(workspace(avatarId));
    await runScheduled(createScheduledController({ scheduledTime: new Date(), cron: "* * * * *" }), env);
    expect(previewJobs()).toHaveLength(1);
    await falDrawsPreview();
    expect(telegram.lastBotMessage(user.id).caption).toContain("preview — training gives a closer likeness");
    expect((await generations(avatarId))[0]).toMatchObject({
      status: "SUCCEEDED",
      fal_request_id: previewJobs()[0]?.id,
    });
  });

  it("is ended by the cron sweep at its deadline, and the user is told", async () => {
    const user = newUser();
    const avatarId = await readyAvatar(user);
    await tap(telegram, user, "👀 Free preview");
    await tap(telegram, user, "📸 Portrait studio");
    await runDurableObjectAlarm(workspace(avatarId));
    await env.DB.prepare("UPDATE generations SET deadline_at = ? WHERE avatar_id = ?")
      .bind(Date.now() - 1000, avatarId)
      .run();
    await runScheduled(createScheduledController({ scheduledTime: new Date(), cron: "* * * * *" }), env);
    await runDurableObjectAlarm(workspace(avatarId));
    expect((await generations(avatarId))[0]).toMatchObject({ status: "FAILED", error: "timed_out" });
    expect(telegram.lastBotMessage(user.id).text).toBe(
      "⚠️ The preview could not be made. It took far longer than it ever should, so I stopped waiting. Try again.",
    );
  });

  it("is not offered once the avatar trains, and a stale chooser says so", async () => {
    const user = newUser();
    const avatarId = await readyAvatar(user);
    await tap(telegram, user, "👀 Free preview");
    const chooser = telegram.lastBotMessage(user.id);
    await env.DB.prepare("UPDATE avatars SET status = 'TRAINING' WHERE id = ?").bind(avatarId).run();
    await tap(telegram, user, "📸 Portrait studio", chooser.message_id);
    expect(lastAnswer(telegram)).toBe("This button is out of date. Use the latest message, or /start.");
    expect(await generations(avatarId)).toHaveLength(0);
  });
});
