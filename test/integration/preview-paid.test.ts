import { runDurableObjectAlarm } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import type { FalStandIn } from "../stand-ins/fal";
import type { TelegramStandIn } from "../stand-ins/telegram";
import { installStandIns, newUser, tap } from "../support/harness";
import {
  balance,
  buttonsOf,
  falDrawsPreview,
  generations,
  ledger,
  previewJobs,
  readyAvatar,
  workspace,
} from "../support/preview";

// Run with PREVIEW_FREE_ONCE=false (vitest.config.ts, project d1-r2-paid-preview): every preview is paid.
let telegram: TelegramStandIn;
let fal: FalStandIn;

beforeEach(() => {
  ({ telegram, fal } = installStandIns());
});

describe("previews when none is free", () => {
  for (const [language, button, priceLine, caption] of [
    [
      "en",
      "👀 Preview · 10 credits",
      "💳 A preview costs 10 credits · you have 300. It is charged only when the preview arrives.",
      "👀 Preview of avatar Me · 📸 Portrait studio\npreview — training gives a closer likeness",
    ],
    [
      "ru",
      "👀 Превью · 10 кредитов",
      "💳 Превью стоит 10 кредитов · у вас 300. Кредиты спишутся, только когда превью придёт.",
      "👀 Превью аватара «Me» · 📸 Студия\nпревью — после обучения сходство будет точнее",
    ],
  ] as const) {
    it(`the first preview already costs credits, held when asked for and charged once delivered (${language})`, async () => {
      const user = newUser(language);
      const avatarId = await readyAvatar(telegram, fal, user);
      const done = telegram.lastBotMessage(user.id);
      expect(buttonsOf(done)).toContain(button);
      expect(buttonsOf(done).some((label) => /Free preview|Бесплатное превью/.test(label))).toBe(false);
      await tap(telegram, user, button, done.message_id);
      const chooser = telegram.messages.get(`${user.id}:${done.message_id}`) ?? done;
      expect(chooser.text).toContain(priceLine);
      await tap(telegram, user, /Portrait studio|Студия/, chooser.message_id);
      const [paid] = await generations(avatarId);
      expect(await ledger(user)).toEqual([[`preview:${paid?.id}:reserve`, 10]]);
      expect(await balance(user)).toMatchObject({ available: 290, reserved: 10 });
      await runDurableObjectAlarm(workspace(avatarId));
      expect(previewJobs(fal)).toHaveLength(1);
      await falDrawsPreview(fal);
      expect(telegram.lastBotMessage(user.id).caption).toBe(caption);
      expect(await ledger(user)).toEqual([
        [`preview:${paid?.id}:reserve`, 10],
        [`preview:${paid?.id}:charge`, 10],
      ]);
      expect(await balance(user)).toMatchObject({ available: 290, reserved: 0 });
    });
  }
});
