import { AVATAR_GENDERS, AVATAR_TYPES, FAL_PRIORITIES } from "../domain/avatar";
import type { Language } from "../domain/entities";

/** Reads one `:`-separated part of a payload; undefined when it is not a valid value. Values are written with String(). */
type Part<T> = (part: string) => T | undefined;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const id: Part<string> = (part) => (UUID.test(part) ? part : undefined);

const page: Part<number> = (part) => {
  const value = Number(part);
  return Number.isInteger(value) && value >= 0 && value < 10_000 ? value : undefined;
};

/** A moment as epoch milliseconds (the gallery's page edges). */
const instant: Part<number> = (part) => (/^\d{1,15}$/.test(part) ? Number(part) : undefined);

/** A package's credits or Stars (PACKAGES). */
const amount: Part<number> = (part) => (/^[1-9]\d{0,6}$/.test(part) ? Number(part) : undefined);

const presetId: Part<string> = (part) => (/^[a-z]{1,12}$/.test(part) ? part : undefined);

function oneOf<const T extends string>(values: readonly T[]): Part<T> {
  return (part) => values.find((value) => value === part);
}

const LANGUAGES: readonly Language[] = ["ru", "en"];

interface ActionSpec {
  prefix: string;
  /** The payload's fields in wire order, each with how its part is read. */
  values?: Record<string, Part<unknown>>;
}

/**
 * Every inline button's payload: its kind's prefix, then its values in the order listed, joined by
 * `:` (`ac:<avatar id>`, `px:<photo id>:3`). A new kind is one line here. The prefixes are on buttons
 * already in users' chats, so they and the order of the values never change.
 */
export const ACTIONS = {
  menu: { prefix: "m" },
  buyCredits: { prefix: "buy" },
  buyPackage: { prefix: "bp", values: { credits: amount, stars: amount } },
  deleteMyData: { prefix: "dmd" },
  create: { prefix: "new" },
  help: { prefix: "h" },
  balance: { prefix: "bal" },
  language: { prefix: "lang" },
  setLanguage: { prefix: "setlang", values: { language: oneOf(LANGUAGES) } },
  avatars: { prefix: "al", values: { page } },
  card: { prefix: "ac", values: { avatarId: id } },
  upload: { prefix: "au", values: { avatarId: id } },
  delete: { prefix: "ad", values: { avatarId: id } },
  deleteConfirm: { prefix: "adok", values: { avatarId: id } },
  wizardType: { prefix: "wt", values: { avatarId: id, type: oneOf(AVATAR_TYPES) } },
  wizardGender: { prefix: "wg", values: { avatarId: id, gender: oneOf(AVATAR_GENDERS) } },
  wizardCancel: { prefix: "wc", values: { avatarId: id } },
  wizardCancelConfirm: { prefix: "wcok", values: { avatarId: id } },
  wizardResume: { prefix: "wr", values: { avatarId: id } },
  wizardBack: { prefix: "wb", values: { avatarId: id, to: oneOf(["selecting_type", "selecting_gender"] as const) } },
  photosDone: { prefix: "pd", values: { avatarId: id } },
  train: { prefix: "t", values: { avatarId: id } },
  trainPriority: { prefix: "tp", values: { avatarId: id, priority: oneOf(FAL_PRIORITIES) } },
  trainStart: { prefix: "tgo", values: { avatarId: id } },
  preview: { prefix: "prv", values: { avatarId: id } },
  previewGo: { prefix: "prvgo", values: { avatarId: id, preset: presetId } },
  /** A style on a chooser that showed this price: a tap pays only the price the user saw. */
  previewPay: { prefix: "prvpay", values: { avatarId: id, preset: presetId, price: amount } },
  trainCancel: { prefix: "tx", values: { avatarId: id } },
  trainCancelConfirm: { prefix: "txok", values: { avatarId: id } },
  trainRetry: { prefix: "tr", values: { avatarId: id } },
  generate: { prefix: "g", values: { avatarId: id } },
  genPreset: { prefix: "gp", values: { avatarId: id, preset: presetId } },
  genCustom: { prefix: "gc", values: { avatarId: id } },
  genAspect: { prefix: "ga", values: { avatarId: id } },
  genCount: { prefix: "gn", values: { avatarId: id } },
  genRepeat: { prefix: "gr", values: { generationId: id } },
  gallery: { prefix: "gl", values: { avatarId: id, page } },
  genDelete: { prefix: "gd", values: { generationId: id, page } },
  galleryOlder: { prefix: "glo", values: { avatarId: id, before: instant } },
  galleryNewer: { prefix: "gln", values: { avatarId: id, after: instant } },
  genSend: { prefix: "gs", values: { generationId: id } },
  genDeleteConfirm: { prefix: "gdok", values: { generationId: id } },
  genDeleteKeep: { prefix: "gdno", values: { generationId: id } },
  photos: { prefix: "pv", values: { avatarId: id, page } },
  photoDelete: { prefix: "px", values: { photoId: id, page } },
  photoDeleteConfirm: { prefix: "pxok", values: { photoId: id, page } },
} satisfies Record<string, ActionSpec>;

type Kind = keyof typeof ACTIONS;
type ValuesOf<S> = S extends { values: infer V } ? { [F in keyof V]: V[F] extends Part<infer T> ? T : never } : unknown;

/** Every inline button's payload, typed: `{ kind: "photoDelete", photoId, page }`. */
export type Action = { [K in Kind]: { kind: K } & ValuesOf<(typeof ACTIONS)[K]> }[Kind];

type Args<K extends Kind> = Omit<Extract<Action, { kind: K }>, "kind">;

/** Telegram refuses a button whose callback_data is longer than this, in bytes. */
const MAX_BYTES = 64;

function valuesOf(kind: Kind): [string, Part<unknown>][] {
  const spec: ActionSpec = ACTIONS[kind];
  return Object.entries(spec.values ?? {});
}

/** The payload for an action, as its button carries it. */
export function encodeAction(action: Action): string {
  const fields = action as unknown as Record<string, unknown>;
  const data = [ACTIONS[action.kind].prefix, ...valuesOf(action.kind).map(([name]) => String(fields[name]))].join(":");
  if (new TextEncoder().encode(data).length > MAX_BYTES)
    throw new Error(`callback data over ${MAX_BYTES} bytes: ${data}`);
  return data;
}

/** Builds the payload for one action kind: `cb("card", { avatarId })`. */
export function cb<K extends Kind>(kind: K, ...args: keyof Args<K> extends never ? [] : [Args<K>]): string {
  return encodeAction({ kind, ...(args[0] ?? {}) } as Action);
}

const KIND_BY_PREFIX = new Map(Object.entries(ACTIONS).map(([kind, { prefix }]) => [prefix, kind as Kind]));

/** Parses a payload; anything unknown or malformed (old bot versions, forged data) is null. */
export function decodeAction(data: string): Action | null {
  const [prefix = "", ...parts] = data.split(":");
  const kind = KIND_BY_PREFIX.get(prefix);
  if (!kind) return null;
  const fields = valuesOf(kind);
  if (parts.length !== fields.length) return null;
  const action: Record<string, unknown> = { kind };
  for (const [i, [name, read]] of fields.entries()) {
    const value = read(parts[i] ?? "");
    if (value === undefined) return null;
    action[name] = value;
  }
  return action as Action;
}
