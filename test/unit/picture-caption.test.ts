import { describe, expect, it } from "vitest";
import { messagesFor } from "../../src/bot/locales";
import { pictureCaption } from "../../src/bot/screens/pictures";
import type { GenerationOptions } from "../../src/domain/entities";
import { PRESETS, sanitizePrompt } from "../../src/domain/presets";

const avatar = { name: "Мария", triggerWord: "ohxqzkt" };
const options = (aspect: GenerationOptions["aspect"]): GenerationOptions => ({
  aspect,
  count: 2,
  chatId: 1,
  language: "ru",
});
const typed = (words: string) => {
  const prompt = sanitizePrompt(words, avatar.triggerWord);
  if (!prompt.ok) throw new Error("not a prompt");
  return prompt.prompt;
};

describe("a picture set's caption", () => {
  it("names every preset in each language, with no icon, template or trigger word", () => {
    for (const language of ["en", "ru"] as const) {
      for (const preset of PRESETS) {
        const prompt = preset.prompt(avatar.triggerWord, "woman");
        const caption = pictureCaption(messagesFor(language), language, avatar, {
          preset: preset.id,
          prompt,
          options: options("3:4"),
        });
        expect(caption).toBe(
          `Мария · ${preset.title[language].replace(/^\S+\s/, "")} · ${language === "ru" ? "портрет" : "portrait"} 3:4`,
        );
        expect(caption).not.toContain(avatar.triggerWord);
      }
    }
  });

  it("names each shape", () => {
    const shapes = (["3:4", "9:16", "16:9", "1:1"] as const).map((aspect) =>
      pictureCaption(messagesFor("ru"), "ru", avatar, { preset: "cinema", prompt: "", options: options(aspect) }),
    );
    expect(shapes).toEqual([
      "Мария · Кинокадр · портрет 3:4",
      "Мария · Кинокадр · сторис 9:16",
      "Мария · Кинокадр · альбомный 16:9",
      "Мария · Кинокадр · квадрат 1:1",
    ]);
  });

  it("quotes the user's own words, without the trigger word however they were written, cut at a word", () => {
    const own = (words: string, language: "en" | "ru" = "ru") =>
      pictureCaption(messagesFor(language), language, avatar, {
        preset: null,
        prompt: typed(words),
        options: options("1:1"),
      });
    expect(own("верхом на лошади")).toBe("Мария · ваш запрос «верхом на лошади» · квадрат 1:1");
    expect(own("OHXQZKT at the beach, sunset", "en")).toBe("Мария · your prompt “at the beach, sunset” · square 1:1");
    expect(own("a portrait of ohxqzkt in the rain", "en")).toBe(
      "Мария · your prompt “a portrait of in the rain” · square 1:1",
    );
    expect(own("a very long description of a picture with many words in it", "en")).toBe(
      "Мария · your prompt “a very long description of a picture…” · square 1:1",
    );
    expect(own("<b>&</b>", "en")).toBe("Мария · your prompt “&lt;b&gt;&amp;&lt;/b&gt;” · square 1:1");
  });

  it("never shows a retired preset's template", () => {
    const caption = pictureCaption(messagesFor("en"), "en", avatar, {
      preset: "gone",
      prompt: "photo of ohxqzkt woman, a template",
      options: options("3:4"),
    });
    expect(caption).toBe("Мария · an earlier style · portrait 3:4");
  });
});
