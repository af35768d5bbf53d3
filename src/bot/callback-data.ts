import type { Language } from "../db/repository";
import {
  type AvatarGender,
  type AvatarType,
  FAL_PRIORITIES,
  type FalPriority,
  isAvatarGender,
  isAvatarType,
} from "../domain/avatar";

/** Every inline button's payload, typed. Encoded as short `prefix:arg:arg` strings well under Telegram's 64 bytes. */
export type Action =
  | { kind: "menu" }
  | { kind: "deleteMyData" }
  | { kind: "create" }
  | { kind: "help" }
  | { kind: "language" }
  | { kind: "setLanguage"; language: Language }
  | { kind: "avatars"; page: number }
  | { kind: "card"; avatarId: string }
  | { kind: "upload"; avatarId: string }
  | { kind: "delete"; avatarId: string }
  | { kind: "deleteConfirm"; avatarId: string }
  | { kind: "wizardType"; avatarId: string; type: AvatarType }
  | { kind: "wizardGender"; avatarId: string; gender: AvatarGender }
  | { kind: "wizardCancel"; avatarId: string }
  | { kind: "wizardCancelConfirm"; avatarId: string }
  | { kind: "wizardResume"; avatarId: string }
  | { kind: "photosDone"; avatarId: string }
  | { kind: "train"; avatarId: string }
  | { kind: "trainPriority"; avatarId: string; priority: FalPriority }
  | { kind: "trainSteps"; avatarId: string }
  | { kind: "trainStart"; avatarId: string }
  | { kind: "trainCancel"; avatarId: string }
  | { kind: "trainCancelConfirm"; avatarId: string }
  | { kind: "trainRetry"; avatarId: string }
  | { kind: "generate"; avatarId: string }
  | { kind: "genPreset"; avatarId: string; preset: string }
  | { kind: "genCustom"; avatarId: string }
  | { kind: "genAspect"; avatarId: string }
  | { kind: "genCount"; avatarId: string }
  | { kind: "genRepeat"; generationId: string }
  | { kind: "gallery"; avatarId: string; page: number }
  | { kind: "genDelete"; generationId: string; page: number }
  | { kind: "photos"; avatarId: string; page: number }
  | { kind: "photoDelete"; photoId: string; page: number }
  | { kind: "photoDeleteConfirm"; photoId: string; page: number };

type Kind = Action["kind"];
type Args<K extends Kind> = Omit<Extract<Action, { kind: K }>, "kind">;

const PREFIX: Record<Kind, string> = {
  menu: "m",
  deleteMyData: "dmd",
  create: "new",
  help: "h",
  language: "lang",
  setLanguage: "setlang",
  avatars: "al",
  card: "ac",
  upload: "au",
  delete: "ad",
  deleteConfirm: "adok",
  wizardType: "wt",
  wizardGender: "wg",
  wizardCancel: "wc",
  wizardCancelConfirm: "wcok",
  wizardResume: "wr",
  photosDone: "pd",
  train: "t",
  trainPriority: "tp",
  trainSteps: "ts",
  trainStart: "tgo",
  trainCancel: "tx",
  trainCancelConfirm: "txok",
  trainRetry: "tr",
  generate: "g",
  genPreset: "gp",
  genCustom: "gc",
  genAspect: "ga",
  genCount: "gn",
  genRepeat: "gr",
  gallery: "gl",
  genDelete: "gd",
  photos: "pv",
  photoDelete: "px",
  photoDeleteConfirm: "pxok",
};
const KIND_BY_PREFIX = new Map(Object.entries(PREFIX).map(([kind, prefix]) => [prefix, kind as Kind]));

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function encodeAction(action: Action): string {
  const parts = [PREFIX[action.kind]];
  if ("avatarId" in action) parts.push(action.avatarId);
  if ("photoId" in action) parts.push(action.photoId);
  if ("generationId" in action) parts.push(action.generationId);
  if ("preset" in action) parts.push(action.preset);
  if ("type" in action) parts.push(action.type);
  if ("gender" in action) parts.push(action.gender);
  if ("language" in action) parts.push(action.language);
  if ("priority" in action) parts.push(action.priority);
  if ("page" in action) parts.push(String(action.page));
  return parts.join(":");
}

/** Builds the payload for one action kind: `cb("card", { avatarId })`. */
export function cb<K extends Kind>(kind: K, ...args: keyof Args<K> extends never ? [] : [Args<K>]): string {
  return encodeAction({ kind, ...(args[0] ?? {}) } as Action);
}

/** Parses a payload; anything unknown or malformed (old bot versions, forged data) is null. */
export function decodeAction(data: string): Action | null {
  const [prefix, ...args] = data.split(":");
  const kind = prefix === undefined ? undefined : KIND_BY_PREFIX.get(prefix);
  if (!kind) return null;
  const [first, second] = args;
  const avatarId = first !== undefined && UUID.test(first) ? first : undefined;
  switch (kind) {
    case "menu":
    case "deleteMyData":
    case "create":
    case "help":
    case "language":
      return args.length === 0 ? { kind } : null;
    case "setLanguage":
      return args.length === 1 && (first === "ru" || first === "en") ? { kind, language: first } : null;
    case "avatars": {
      const page = Number(first);
      return args.length === 1 && Number.isInteger(page) && page >= 0 && page < 10_000 ? { kind, page } : null;
    }
    case "wizardType":
      return avatarId && second !== undefined && isAvatarType(second) ? { kind, avatarId, type: second } : null;
    case "photos":
    case "photoDelete":
    case "photoDeleteConfirm": {
      const page = Number(second);
      if (!avatarId || args.length !== 2 || !Number.isInteger(page) || page < 0 || page >= 10_000) return null;
      return kind === "photos" ? { kind, avatarId, page } : { kind, photoId: avatarId, page };
    }
    case "genPreset":
      return avatarId && args.length === 2 && /^[a-z]{1,12}$/.test(second ?? "")
        ? { kind, avatarId, preset: second as string }
        : null;
    case "genRepeat":
      return avatarId && args.length === 1 ? { kind, generationId: avatarId } : null;
    case "gallery":
    case "genDelete": {
      const page = Number(second);
      if (!avatarId || args.length !== 2 || !Number.isInteger(page) || page < 0 || page >= 10_000) return null;
      return kind === "gallery" ? { kind, avatarId, page } : { kind, generationId: avatarId, page };
    }
    case "trainPriority":
      return avatarId && args.length === 2 && (FAL_PRIORITIES as readonly string[]).includes(second ?? "")
        ? { kind, avatarId, priority: second as FalPriority }
        : null;
    case "wizardGender":
      return avatarId && second !== undefined && isAvatarGender(second) ? { kind, avatarId, gender: second } : null;
    default:
      return avatarId && args.length === 1 ? { kind, avatarId } : null;
  }
}
