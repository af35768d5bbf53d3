import { createScheduledController, runDurableObjectAlarm } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { runScheduled } from "../../src/scheduled";
import type { FalStandIn } from "../stand-ins/fal";
import type { StandInUser, TelegramStandIn } from "../stand-ins/telegram";
import { avatarsOf, userIdOf } from "../support/db";
import { installStandIns, lastAnswer, newUser, say, send, tap } from "../support/harness";
import {
  allowance,
  balance,
  buttonsOf,
  falDrawsPreview as falDrawsPreviewOf,
  generations,
  ledger,
  previewJobs as previewJobsOf,
  readyAvatar as readyAvatarOf,
  workspace,
} from "../support/preview";

let telegram: TelegramStandIn;
let fal: FalStandIn;

beforeEach(() => {
  ({ telegram, fal } = installStandIns());
});

const readyAvatar = (user: StandInUser) => readyAvatarOf(telegram, fal, user);
const previewJobs = () => previewJobsOf(fal);
const falDrawsPreview = (nsfw = false) => falDrawsPreviewOf(fal, nsfw);

describe("the preview before training", () => {
  for (const [language, button, style, starting, caption, running, noLongerFree, paidButton, priceLine, spent] of [
    [
      "en",
      "👀 Free preview",
      "📸 Portrait studio",
      "⏳ Making your preview… it takes about a minute.",
      "👀 Preview of avatar Me · 📸 Portrait studio\npreview — training gives a closer likeness",
      "Your preview is already being made; it will arrive here shortly.",
      "The free preview of this avatar is used up; another one costs 10 credits. Pick a style again.",
      "👀 Preview · 10 credits",
      "💳 A preview costs 10 credits · you have 300. It is charged only when the preview arrives.",
      "−10 preview «Me»",
    ],
    [
      "ru",
      "👀 Бесплатное превью",
      "📸 Студия",
      "⏳ Готовлю превью… это займёт около минуты.",
      "👀 Превью аватара «Me» · 📸 Студия\nпревью — после обучения сходство будет точнее",
      "Превью уже готовится и скоро придёт сюда.",
      "Бесплатное превью этого аватара уже использовано, следующее стоит 10 кредитов. Выберите стиль ещё раз.",
      "👀 Превью · 10 кредитов",
      "💳 Превью стоит 10 кредитов · у вас 300. Кредиты спишутся, только когда превью придёт.",
      "−10 — превью аватара «Me»",
    ],
  ] as const) {
    it(`draws one picture from the best photo, labelled, free once; the next costs credits, charged when delivered (${language})`, async () => {
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

      expect(await ledger(user)).toEqual([]);

      // Free once: a tap on the chooser that said "free" starts nothing, says the price and shows it.
      await tap(telegram, user, style, chooser.message_id);
      expect(lastAnswer(telegram)).toBe(noLongerFree);
      await runDurableObjectAlarm(workspace(avatarId));
      expect(previewJobs()).toHaveLength(1);
      expect(await generations(avatarId)).toHaveLength(1);
      // The same chooser, edited in place.
      const repriced = telegram.messages.get(`${user.id}:${chooser.message_id}`);
      expect(repriced?.text).toContain(priceLine);

      // The Train screen's button says the price too.
      await send(telegram.callbackUpdate(user, chooser.message_id, `t:${avatarId}`));
      const screen = () => telegram.messages.get(`${user.id}:${chooser.message_id}`) ?? chooser;
      expect(buttonsOf(screen())).toContain(paidButton);
      await tap(telegram, user, paidButton, chooser.message_id);
      expect(screen().text).toContain(priceLine);
      const paidChooser = screen();
      await tap(telegram, user, style, paidChooser.message_id);
      expect(telegram.lastBotMessage(user.id).text).toBe(starting);
      await tap(telegram, user, style, paidChooser.message_id);
      expect(lastAnswer(telegram)).toBe(running);
      const paid = (await generations(avatarId))[1];
      // Held with its intent, before fal is called.
      expect(await ledger(user)).toEqual([[`preview:${paid?.id}:reserve`, 10]]);
      expect(await balance(user)).toMatchObject({ available: 290, reserved: 10 });
      await runDurableObjectAlarm(workspace(avatarId));
      await runDurableObjectAlarm(workspace(avatarId));
      expect(previewJobs()).toHaveLength(2);
      await falDrawsPreview();
      expect(telegram.lastBotMessage(user.id).caption).toBe(caption);
      expect(await ledger(user)).toEqual([
        [`preview:${paid?.id}:reserve`, 10],
        [`preview:${paid?.id}:charge`, 10],
      ]);
      expect(await balance(user)).toMatchObject({ available: 290, reserved: 0 });
      await say(telegram, user, "/balance");
      expect(telegram.lastBotMessage(user.id).text).toContain(spent);
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

  /** The free preview, delivered; then the chooser again from the Train screen, now with the price. */
  async function pastTheFreeOne(user: StandInUser, free: string, paid: string) {
    const avatarId = await readyAvatar(user);
    await tap(telegram, user, free);
    const chooser = telegram.lastBotMessage(user.id);
    await tap(telegram, user, /Portrait studio|Студия/, chooser.message_id);
    await runDurableObjectAlarm(workspace(avatarId));
    await falDrawsPreview();
    await send(telegram.callbackUpdate(user, chooser.message_id, `t:${avatarId}`));
    await tap(telegram, user, paid, chooser.message_id);
    return { avatarId, chooser: () => telegram.messages.get(`${user.id}:${chooser.message_id}`) ?? chooser };
  }

  for (const [language, free, paid, failed, nsfw, back, returnedFailed, returnedHeldBack] of [
    [
      "en",
      "👀 Free preview",
      "👀 Preview · 10 credits",
      "⚠️ The preview could not be made. The service could not work with these photos or settings. Try again; if it fails again, replace a few photos with sharp ones showing only you.",
      "🙈 The preview was flagged as not safe for work, so I did not send it. Try another style.",
      "💳 10 credits are back on your balance.",
      "+10 returned: preview «Me» failed",
      "+10 returned: preview «Me» held back",
    ],
    [
      "ru",
      "👀 Бесплатное превью",
      "👀 Превью · 10 кредитов",
      "⚠️ Не удалось сделать превью. Сервису не подошли эти фотографии или настройки. Попробуйте ещё раз; если снова не выйдет, замените несколько фотографий на чёткие, где только вы.",
      "🙈 Превью помечено как неприемлемое, поэтому я его не отправил. Попробуйте другой стиль.",
      "💳 10 кредитов вернулись на ваш баланс.",
      "+10 — возврат: превью аватара «Me» не получилось",
      "+10 — возврат: превью аватара «Me» не прошло проверку безопасности",
    ],
  ] as const) {
    it(`a paid preview that fails or is flagged gives its credits back, and /balance says so (${language})`, async () => {
      const user = newUser(language);
      const { avatarId, chooser } = await pastTheFreeOne(user, free, paid);
      await tap(telegram, user, /Portrait studio|Студия/, chooser().message_id);
      await runDurableObjectAlarm(workspace(avatarId));
      const first = previewJobs()[1];
      fal.fail(first?.id ?? "", 422, {
        detail: [{ loc: ["body", "reference_image_url"], msg: "No face detected", type: "value_error" }],
      });
      expect((await exports.default.fetch(await fal.webhook(first?.id ?? ""))).status).toBe(200);
      expect(telegram.lastBotMessage(user.id).text).toBe(`${failed}\n\n${back}`);
      expect(await balance(user)).toMatchObject({ available: 300, reserved: 0 });

      await tap(telegram, user, /Portrait studio|Студия/, chooser().message_id);
      await runDurableObjectAlarm(workspace(avatarId));
      expect(previewJobs()).toHaveLength(3);
      await falDrawsPreview(true);
      expect(telegram.lastBotMessage(user.id).text).toBe(`${nsfw}\n\n${back}`);
      const [, failedOne, flaggedOne] = await generations(avatarId);
      expect(await ledger(user)).toEqual([
        [`preview:${failedOne?.id}:reserve`, 10],
        [`preview:${failedOne?.id}:release`, 10],
        [`preview:${flaggedOne?.id}:reserve`, 10],
        [`preview:${flaggedOne?.id}:release`, 10],
      ]);
      expect(await balance(user)).toMatchObject({ available: 300, reserved: 0 });
      await say(telegram, user, "/balance");
      const lines = (telegram.lastBotMessage(user.id).text ?? "").split("\n");
      expect(lines.indexOf(returnedHeldBack)).toBeGreaterThan(-1);
      expect(lines.indexOf(returnedFailed)).toBeGreaterThan(lines.indexOf(returnedHeldBack));
    });
  }

  for (const [language, free, paid, notEnough, buy] of [
    [
      "en",
      "👀 Free preview",
      "👀 Preview · 10 credits",
      "💳 Not enough credits.\nA preview costs 10 credits · you have 5",
      "💳 Buy credits",
    ],
    [
      "ru",
      "👀 Бесплатное превью",
      "👀 Превью · 10 кредитов",
      "💳 Не хватает кредитов.\nПревью стоит 10 кредитов · у вас 5",
      "💳 Купить кредиты",
    ],
  ] as const) {
    it(`with too few credits a paid preview shows the not-enough screen and starts nothing (${language})`, async () => {
      const user = newUser(language);
      await allowance(user, 5);
      const { avatarId, chooser } = await pastTheFreeOne(user, free, paid);
      expect(chooser().text).toContain(language === "en" ? "· you have 5." : "· у вас 5.");
      await tap(telegram, user, /Portrait studio|Студия/, chooser().message_id);
      expect(telegram.lastBotMessage(user.id).text).toBe(notEnough);
      expect(buttonsOf(telegram.lastBotMessage(user.id))).toContain(buy);
      await runDurableObjectAlarm(workspace(avatarId));
      expect(previewJobs()).toHaveLength(1);
      expect(await generations(avatarId)).toHaveLength(1);
      expect(await ledger(user)).toEqual([]);
      expect(await balance(user)).toEqual({ userId: user.id, available: 5, reserved: 0 });
      // A tap racing past the screen's check: the workspace's hold refuses, and leaves no row behind.
      const raced = await workspace(avatarId).preview(await userIdOf(user.id), {
        chatId: user.id,
        language,
        preset: "studio",
        payer: user.id,
        shownPrice: 10,
      });
      expect(raced).toEqual({ kind: "insufficient", price: 10, available: 5 });
      expect(await generations(avatarId)).toHaveLength(1);
      expect(await ledger(user)).toEqual([]);
    });
  }

  it("deleting the avatar gives back what its running paid preview held", async () => {
    const user = newUser();
    const { avatarId, chooser } = await pastTheFreeOne(user, "👀 Free preview", "👀 Preview · 10 credits");
    await tap(telegram, user, "📸 Portrait studio", chooser().message_id);
    await runDurableObjectAlarm(workspace(avatarId));
    expect(await balance(user)).toMatchObject({ available: 290, reserved: 10 });
    await send(telegram.callbackUpdate(user, chooser().message_id, `adok:${avatarId}`));
    expect(await avatarsOf(user.id)).toEqual([]);
    expect(await balance(user)).toMatchObject({ available: 300, reserved: 0 });
    expect((await ledger(user)).map(([key]) => key.split(":").at(-1))).toEqual(["reserve", "release"]);
  });

  it("a paid preview past its deadline is ended by the cron sweep and gives its credits back", async () => {
    const user = newUser();
    const { avatarId, chooser } = await pastTheFreeOne(user, "👀 Free preview", "👀 Preview · 10 credits");
    await tap(telegram, user, "📸 Portrait studio", chooser().message_id);
    await runDurableObjectAlarm(workspace(avatarId));
    expect(await balance(user)).toMatchObject({ available: 290, reserved: 10 });
    await env.DB.prepare("UPDATE generations SET deadline_at = ? WHERE avatar_id = ? AND status = 'RUNNING'")
      .bind(Date.now() - 1000, avatarId)
      .run();
    await runScheduled(createScheduledController({ scheduledTime: new Date(), cron: "* * * * *" }), env);
    await runDurableObjectAlarm(workspace(avatarId));
    expect((await generations(avatarId))[1]).toMatchObject({ status: "FAILED", error: "timed_out" });
    expect(telegram.lastBotMessage(user.id).text).toBe(
      "⚠️ The preview could not be made. It took far longer than it ever should, so I stopped waiting. Try again.\n\n💳 10 credits are back on your balance.",
    );
    expect(await balance(user)).toMatchObject({ available: 300, reserved: 0 });
  });
});
