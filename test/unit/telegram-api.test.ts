import type { Transformer } from "grammy";
import { describe, expect, it } from "vitest";
import { htmlTransformer, MEDIA_METHODS, PARSE_MODE_METHODS } from "../../src/telegram/api";
import spec from "../fixtures/bot-api-10.1.json";

type Described = Record<string, { fields?: { name: string; types: string[] }[]; subtypes?: string[] }>;
const methods = spec.methods as unknown as Described;
const types = spec.types as unknown as Described;

/** What the transformer hands on to the next one for a call. */
async function passedOn(method: string, payload: Record<string, unknown>): Promise<Record<string, unknown>> {
  let seen: Record<string, unknown> = {};
  const prev = (async (_method: string, params: Record<string, unknown>) => {
    seen = params;
    return { ok: true, result: true };
  }) as unknown as Parameters<Transformer>[0];
  await htmlTransformer()(prev, method as never, payload as never);
  return seen;
}

describe("HTML by default", () => {
  it("covers exactly the Bot API methods that have a parse_mode parameter", () => {
    const withParseMode = Object.keys(methods).filter((name) =>
      (methods[name]?.fields ?? []).some((f) => f.name === "parse_mode"),
    );
    expect([...PARSE_MODE_METHODS].sort()).toEqual(withParseMode.sort());
  });

  it("covers the methods whose media items have a parse_mode field", () => {
    const hasParseMode = (type: string): boolean => {
      const def = types[type.replace(/^Array of /, "")];
      if (def?.subtypes) return def.subtypes.every(hasParseMode);
      return (def?.fields ?? []).some((f) => f.name === "parse_mode");
    };
    const takingMedia = Object.keys(methods).filter((name) =>
      (methods[name]?.fields ?? []).some((f) => f.name === "media" && f.types.every(hasParseMode)),
    );
    expect([...MEDIA_METHODS].sort()).toEqual(takingMedia.sort());
  });

  it("sets HTML where the caller set no parse mode, and keeps the one it set", async () => {
    expect(await passedOn("sendMessage", { chat_id: 1, text: "<b>hi</b>" })).toEqual({
      chat_id: 1,
      text: "<b>hi</b>",
      parse_mode: "HTML",
    });
    expect((await passedOn("editMessageCaption", { chat_id: 1, caption: "x" })).parse_mode).toBe("HTML");
    expect((await passedOn("sendMessage", { chat_id: 1, text: "*hi*", parse_mode: "MarkdownV2" })).parse_mode).toBe(
      "MarkdownV2",
    );
  });

  it("gives each item of an album and an edited photo its parse mode", async () => {
    const album = await passedOn("sendMediaGroup", {
      chat_id: 1,
      media: [
        { type: "photo", media: "a", caption: "<i>one</i>" },
        { type: "photo", media: "b", parse_mode: "MarkdownV2" },
      ],
    });
    expect((album.media as { parse_mode?: string }[]).map((m) => m.parse_mode)).toEqual(["HTML", "MarkdownV2"]);
    const edited = await passedOn("editMessageMedia", { chat_id: 1, media: { type: "photo", media: "c" } });
    expect((edited.media as { parse_mode?: string }).parse_mode).toBe("HTML");
  });

  it("leaves methods without a parse mode alone", async () => {
    for (const method of ["answerCallbackQuery", "sendChatAction", "deleteMessage", "sendPoll", "sendGift"])
      expect(await passedOn(method, { chat_id: 1, text: "x" })).toEqual({ chat_id: 1, text: "x" });
  });
});
