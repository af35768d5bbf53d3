import { InlineKeyboard } from "grammy";
import { describe, expect, it } from "vitest";
import { avatarCardKeyboard, avatarListKeyboard, deleteConfirmKeyboard } from "../../src/bot/keyboards/avatars";
import { addInPairs } from "../../src/bot/keyboards/layout";
import { languageKeyboard, mainMenuKeyboard } from "../../src/bot/keyboards/menu";
import { cancelConfirmKeyboard, genderKeyboard, typeKeyboard } from "../../src/bot/keyboards/wizard";
import { messagesFor } from "../../src/bot/locales";
import { AVATAR_STATUSES, FAL_PRIORITIES } from "../../src/domain/avatar";
import { ASPECT_RATIOS, type Avatar } from "../../src/domain/entities";
import { PRESETS } from "../../src/domain/presets";
import { cutLabels } from "../stand-ins/button-width";

const id = "0b7c6a52-4f59-4a8e-9a43-0d8f1d1a2b3c";

/** The keyboards of both languages, including those the integration tests reach only in English. */
describe("every keyboard fits a 360 px phone", () => {
  for (const language of ["en", "ru"] as const) {
    it(language, () => {
      const t = messagesFor(language);
      const avatar = (status: Avatar["status"]): Avatar =>
        ({ id, status, name: "x".repeat(40), photosCount: 3 }) as unknown as Avatar;
      const pairs = (labels: string[]) =>
        addInPairs(
          new InlineKeyboard(),
          labels.map((label) => ({ label, data: "d" })),
        );
      const keyboards = [
        mainMenuKeyboard(t),
        languageKeyboard(),
        typeKeyboard(t, id),
        genderKeyboard(t, id),
        cancelConfirmKeyboard(t, id),
        deleteConfirmKeyboard(t, id),
        avatarListKeyboard(t, AVATAR_STATUSES.map(avatar), 1, 3),
        ...AVATAR_STATUSES.map((status) => avatarCardKeyboard(t, avatar(status))),
        pairs([...PRESETS.filter((p) => p.for === "person").map((p) => p.title[language]), t.generate.custom]),
        pairs(PRESETS.filter((p) => p.for === "style").map((p) => p.title[language])),
        ...ASPECT_RATIOS.map((a) => pairs([t.generate.aspect(t.generate.aspectName[a]), t.generate.count(4)])),
        pairs([t.generate.repeat, t.generate.gallery]),
        pairs([t.generate.moreLikeThis, t.generate.anotherStyle]),
        pairs([t.training.yesCancel, t.training.keepTraining]),
        pairs([t.photos.yesDeletePhoto, t.photos.keepPhoto]),
        pairs([t.deleteData.yes, t.deleteData.no]),
        pairs(FAL_PRIORITIES.map((p) => `• ${t.training.priority[p]}`)),
        pairs([t.photos.doneNeedMore(50), t.photos.view]),
      ];
      expect(keyboards.flatMap((keyboard) => cutLabels(keyboard))).toEqual([]);
    });
  }
});
