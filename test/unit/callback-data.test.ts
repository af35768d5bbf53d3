import { describe, expect, it } from "vitest";
import { type Action, decodeAction, encodeAction } from "../../src/bot/callback-data";

const id = "0b7c6a52-4f59-4a8e-9a43-0d8f1d1a2b3c";
const actions: Action[] = [
  { kind: "menu" },
  { kind: "create" },
  { kind: "help" },
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
  { kind: "photosDone", avatarId: id },
  { kind: "photos", avatarId: id, page: 49 },
  { kind: "photoDelete", photoId: id, page: 3 },
  { kind: "photoDeleteConfirm", photoId: id, page: 0 },
];

describe("callback data", () => {
  it.each(actions.map((a) => [a.kind, a] as const))("%s round-trips within 64 bytes", (_kind, action) => {
    const data = encodeAction(action);
    expect(new TextEncoder().encode(data).length).toBeLessThanOrEqual(64);
    expect(decodeAction(data)).toEqual(action);
  });

  it.each([
    "",
    "zz",
    "ac",
    "ac:not-a-uuid",
    `ac:${id}:extra`,
    `wt:${id}:ROBOT`,
    "al:-1",
    "al:1.5",
    "setlang:de",
    "m:1",
  ])("rejects %j", (data) => {
    expect(decodeAction(data)).toBeNull();
  });
});
