import { describe, expect, it } from "vitest";
import { ACTIONS, type Action, decodeAction, encodeAction } from "../../src/bot/callback-data";

const id = "0b7c6a52-4f59-4a8e-9a43-0d8f1d1a2b3c";
const actions: Action[] = [
  { kind: "menu" },
  { kind: "buyCredits" },
  { kind: "create" },
  { kind: "help" },
  { kind: "balance" },
  { kind: "language" },
  { kind: "setLanguage", language: "ru" },
  { kind: "avatars", page: 9999 },
  { kind: "card", avatarId: id },
  { kind: "upload", avatarId: id },
  { kind: "delete", avatarId: id },
  { kind: "deleteConfirm", avatarId: id },
  { kind: "wizardType", avatarId: id, type: "CHARACTER" },
  { kind: "wizardGender", avatarId: id, gender: "FEMALE" },
  { kind: "wizardCancel", avatarId: id },
  { kind: "wizardCancelConfirm", avatarId: id },
  { kind: "wizardResume", avatarId: id },
  { kind: "wizardBack", avatarId: id, to: "selecting_gender" },
  { kind: "photosDone", avatarId: id },
  { kind: "photos", avatarId: id, page: 49 },
  { kind: "photoDelete", photoId: id, page: 3 },
  { kind: "photoDeleteConfirm", photoId: id, page: 0 },
  { kind: "deleteMyData" },
  { kind: "train", avatarId: id },
  { kind: "trainPriority", avatarId: id, priority: "balanced" },
  { kind: "trainStart", avatarId: id },
  { kind: "preview", avatarId: id },
  { kind: "previewGo", avatarId: id, preset: "studio" },
  { kind: "previewPay", avatarId: id, preset: "studio", price: 1_000_000 },
  { kind: "trainCancel", avatarId: id },
  { kind: "trainCancelConfirm", avatarId: id },
  { kind: "trainRetry", avatarId: id },
  { kind: "generate", avatarId: id },
  { kind: "genPreset", avatarId: id, preset: "abcdefghijkl" },
  { kind: "genCustom", avatarId: id },
  { kind: "genAspect", avatarId: id },
  { kind: "genCount", avatarId: id },
  { kind: "genRepeat", generationId: id },
  { kind: "gallery", avatarId: id, page: 12 },
  { kind: "genDelete", generationId: id, page: 1 },
  { kind: "galleryOlder", avatarId: id, before: 1_764_633_600_123 },
  { kind: "galleryNewer", avatarId: id, after: 1_764_633_600_123 },
  { kind: "genSend", generationId: id },
  { kind: "genDeleteConfirm", generationId: id },
  { kind: "genDeleteKeep", generationId: id },
  { kind: "buyCredits" },
  { kind: "buyPackage", credits: 1_000_000, stars: 100_000 },
];

describe("callback data", () => {
  it.each(actions.map((a) => [a.kind, a] as const))("%s round-trips within 64 bytes", (_kind, action) => {
    const data = encodeAction(action);
    expect(new TextEncoder().encode(data).length).toBeLessThanOrEqual(64);
    expect(decodeAction(data)).toEqual(action);
  });

  it("has a case above for every kind, and no two kinds share a prefix", () => {
    expect(new Set(actions.map((a) => a.kind))).toEqual(new Set(Object.keys(ACTIONS)));
    const prefixes = Object.values(ACTIONS).map((a) => a.prefix);
    expect(new Set(prefixes).size).toBe(prefixes.length);
  });

  it("writes the payloads of buttons already in users' chats byte for byte", () => {
    expect(encodeAction({ kind: "menu" })).toBe("m");
    expect(encodeAction({ kind: "setLanguage", language: "en" })).toBe("setlang:en");
    expect(encodeAction({ kind: "wizardGender", avatarId: id, gender: "MALE" })).toBe(`wg:${id}:MALE`);
    expect(encodeAction({ kind: "photoDeleteConfirm", photoId: id, page: 7 })).toBe(`pxok:${id}:7`);
    expect(encodeAction({ kind: "genDelete", generationId: id, page: 2 })).toBe(`gd:${id}:2`);
  });

  it("refuses to write a payload Telegram would refuse (over 64 bytes)", () => {
    expect(() => encodeAction({ kind: "genPreset", avatarId: id, preset: "x".repeat(30) })).toThrow(/64 bytes/);
  });

  it.each([
    "",
    "zz",
    "ac",
    "ac:not-a-uuid",
    `ac:${id}:extra`,
    `wt:${id}:ROBOT`,
    `wt:${id}:CHARACTER:extra`,
    `gp:${id}:Studio`,
    `px:${id}`,
    "al:-1",
    `glo:${id}:-5`,
    `gln:${id}:1.5`,
    "al:1.5",
    "setlang:de",
    "m:1",
    "bp:0:50",
    "bp:100:-5",
    "bp:100:05",
    "bp:100",
  ])("rejects %j", (data) => {
    expect(decodeAction(data)).toBeNull();
  });
});
