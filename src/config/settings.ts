import * as v from "valibot";
import { FAL_PRIORITIES } from "../domain/avatar";
import type { CreditPackage } from "../domain/packages";
import {
  docOf,
  envString,
  flag,
  kindOfValue,
  list,
  oneOf,
  optional,
  origin,
  required,
  secret,
  setting,
  text,
  wholeNumber,
  withDefault,
} from "./env-schema";
import { webhookSecretFault } from "./webhook-secret";

const PHOTO_FORMATS = ["JPEG", "PNG", "WEBP"];

const photoFormats = kindOfValue(
  v.pipe(
    list,
    v.transform((formats) => formats.map((f) => f.toUpperCase())),
    v.check(
      (formats) => formats.length > 0 && formats.every((f) => PHOTO_FORMATS.includes(f)),
      `must list some of ${PHOTO_FORMATS.join(", ")}`,
    ),
  ),
  `comma-separated: ${PHOTO_FORMATS.join(", ")}`,
);

const userIds = kindOfValue(
  v.pipe(
    list,
    v.array(
      v.pipe(
        v.string(),
        v.regex(/^\d+$/, (issue) => `has "${issue.input}", which is not a Telegram user id`),
        v.transform(Number),
      ),
    ),
    v.transform((ids): ReadonlySet<number> => new Set(ids)),
  ),
  "comma-separated user ids",
);

const botToken = kindOfValue(
  v.pipe(envString, v.regex(/^\d+:[\w-]+$/, "does not look like a BotFather token")),
  "BotFather token",
);

const webhookSecret = kindOfValue(
  v.pipe(
    envString,
    v.check(
      (secret) => webhookSecretFault(secret) === null,
      (issue) => webhookSecretFault(issue.input) ?? "",
    ),
  ),
  "32–256 of A-Z a-z 0-9 _ -",
);

/** Telegram Stars take whole amounts; this bound keeps a mistyped package from asking for a fortune. */
const MAX_PACKAGE_STARS = 100_000;

const packages = kindOfValue(
  v.pipe(
    list,
    v.check((items) => items.length > 0 && items.length <= 8, "must list 1 to 8 packages"),
    v.array(
      v.pipe(
        v.string(),
        v.regex(/^\d{1,7}:\d{1,6}$/, (issue) => `has "${issue.input}", which is not credits:stars`),
        v.transform((item): CreditPackage => {
          const [credits, stars] = item.split(":").map(Number);
          return { credits: credits ?? 0, stars: stars ?? 0 };
        }),
        v.check(
          (p) => p.credits >= 1 && p.stars >= 1 && p.stars <= MAX_PACKAGE_STARS,
          `needs at least 1 credit and 1 to ${MAX_PACKAGE_STARS} Stars in each package`,
        ),
      ),
    ),
    v.check(
      (items) => new Set(items.map((p) => p.credits)).size === items.length,
      "must not list two packages of the same credits",
    ),
  ),
  "credits:stars, comma-separated",
);

const WITH_S3 = { requiredWhen: ["STORAGE_DRIVER", "s3"] } as const;
const DAY = 24 * 3600;

/** The spec's AvatarSettings, each overridable by a var of its name. */
const AVATAR_SETTINGS = {
  MAX_PHOTO_SIZE: setting(
    withDefault(wholeNumber(1024, 20_000_000), 10 * 1024 * 1024),
    "Largest photo accepted, in bytes (10 MiB).",
  ),
  MAX_PHOTOS_PER_AVATAR: setting(withDefault(wholeNumber(1, 500), 50), "Photos per avatar."),
  MIN_PHOTOS_FOR_TRAINING: setting(
    withDefault(wholeNumber(1, 500), 5),
    "Photos needed before training; at most `MAX_PHOTOS_PER_AVATAR`.",
  ),
  ALLOWED_PHOTO_FORMATS: setting(withDefault(photoFormats, PHOTO_FORMATS.join(",")), "Photo formats accepted."),
  MIN_PHOTO_RESOLUTION: setting(
    withDefault(wholeNumber(64, 4096), 512),
    "Shortest side, pixels; at most `MAX_PHOTO_RESOLUTION`.",
  ),
  MAX_PHOTO_RESOLUTION: setting(withDefault(wholeNumber(256, 16384), 4096), "Longest side, pixels."),
  DEFAULT_ITERATIONS: setting(withDefault(wholeNumber(1, 10_000), 500), "Training steps."),
  DEFAULT_PRIORITY: setting(withDefault(oneOf(FAL_PRIORITIES), "quality"), "Training priority of a new avatar."),
  DEFAULT_LORA_RANK: setting(withDefault(wholeNumber(1, 128), 32), "LoRA rank."),
  AVATAR_BUCKET: setting(
    withDefault(text, "avatars"),
    "The bucket name; for R2 the bucket itself is bound as `BUCKET` in `wrangler.toml`.",
  ),
  TRAINING_DATA_TTL: setting(
    withDefault(wholeNumber(60, 365 * DAY), 7 * DAY),
    "Seconds a training zip is kept (7 days).",
  ),
  FAL_API_TIMEOUT: setting(withDefault(wholeNumber(1, 3600), 300), "Seconds before a fal call counts as failed."),
  TRAINING_CHECK_INTERVAL: setting(
    withDefault(wholeNumber(5, 3600), 30),
    "Seconds between status checks of a running training.",
  ),
};

/**
 * Every setting the Worker reads from its environment, by its var name: what it accepts, its
 * default and what it means. README's settings table is made from this (`npm run settings:table`).
 */
export const SETTINGS = {
  TELEGRAM_BOT_TOKEN: secret(required(botToken), "The token from BotFather."),
  TELEGRAM_WEBHOOK_SECRET: secret(
    required(webhookSecret),
    "Must match Telegram's `X-Telegram-Bot-Api-Secret-Token` header, else 401 (`openssl rand -hex 32` makes one); also keys the archive links.",
  ),
  FAL_KEY: secret(
    optional(text),
    "fal.ai API key; without it photos skip the face check, and training and generation say no key is configured.",
  ),
  METRICS_TOKEN: secret(
    optional(text),
    "Enables `GET /metrics` with `Authorization: Bearer <token>`; without it the route answers 404.",
  ),
  DB_DRIVER: setting(
    withDefault(oneOf(["d1", "postgres"]), "d1"),
    "Where rows live: the `DB` binding (D1) or the `HYPERDRIVE` binding (Postgres); see [storage backends](docs/storage-backends.md).",
  ),
  STORAGE_DRIVER: setting(
    withDefault(oneOf(["r2", "s3"]), "r2"),
    "Where files live: the `BUCKET` binding (R2) or any S3 API with the `S3_*` settings; see [storage backends](docs/storage-backends.md).",
  ),
  TELEGRAM_API_ROOT: setting(
    withDefault(origin, "https://api.telegram.org"),
    "Where Bot API calls and file downloads go; point it at a self-hosted Bot API server if you run one.",
  ),
  PUBLIC_URL: setting(
    required(origin),
    "The Worker's own public origin; the webhook is `PUBLIC_URL/telegram/webhook`. `wrangler.toml` sets `http://localhost:8787` for local runs.",
  ),
  FAL_BASE_URL: setting(
    optional(origin),
    "When set, every fal request goes to this origin instead of fal's hosts (path and query kept).",
  ),
  ADMIN_USER_IDS: setting(
    optional(userIds),
    "Telegram user ids of administrators (`/stats`, `/allow`, `/deny`); always let in and never limited.",
  ),
  ACCESS_MODE: setting(
    withDefault(oneOf(["open", "allowlist"]), "open"),
    "`open`: anyone may use the bot; `allowlist`: only admins, `ALLOWED_USER_IDS` and `/allow`. `/deny` shuts out anyone but an admin in both; see [access and limits](#access-and-limits).",
  ),
  ALLOWED_USER_IDS: setting(
    optional(userIds),
    "Telegram user ids let in when `ACCESS_MODE=allowlist`, besides `ADMIN_USER_IDS` and `/allow`.",
  ),
  MAX_TRAININGS_PER_DAY: setting(
    withDefault(wholeNumber(0, 1000), 3),
    "Trainings one user may start in any 24 hours; `0`: no limit. Admins are not limited.",
  ),
  MAX_GENERATIONS_PER_HOUR: setting(
    withDefault(wholeNumber(0, 10_000), 30),
    "Picture orders (one set of pictures each) one user may start in any hour; `0`: no limit. Admins are not limited.",
  ),
  ...AVATAR_SETTINGS,
  PHOTO_BATCH_WINDOW_MS: setting(
    withDefault(wholeNumber(0, 600_000), 1500),
    "Milliseconds to wait after a photo for more of the same album or burst, then check them as one batch: checks start two thirds to all of it after the last photo, and at most 20 s after the first.",
  ),
  TRAINING_TIMEOUT: setting(
    withDefault(wholeNumber(60, 7 * DAY), 3 * 3600),
    "Seconds after which a training still running is cancelled at fal and marked ERROR (3 hours).",
  ),
  MAX_CONCURRENT_GENERATIONS: setting(
    withDefault(wholeNumber(1, 20), 2),
    "Generations one user may have queued or running at once.",
  ),
  GENERATION_TIMEOUT: setting(
    withDefault(wholeNumber(30, 3600), 600),
    "Seconds after which an unfinished generation is marked failed and the user told.",
  ),
  PREVIEW_FREE_ONCE: setting(
    withDefault(flag, "true"),
    "`true`: each avatar's first preview before training (fal-ai/flux-pulid, from its best photo) is free; `false`: every preview costs `PREVIEW_CREDITS`.",
  ),
  PREVIEW_CREDITS: setting(
    withDefault(wholeNumber(0, 1_000_000), 10),
    "Credits a preview costs beyond the free one; `0`: no paid previews (with `PREVIEW_FREE_ONCE=false` too, no preview at all).",
  ),
  ABANDONED_AVATAR_TTL: setting(
    withDefault(wholeNumber(3600, 365 * DAY), 7 * DAY),
    "Seconds a DRAFT, PHOTOS_UPLOADING or cancelled-draft avatar may stay unchanged before cron deletes it with its files (7 days); an avatar whose training was cancelled is kept.",
  ),
  GENERATION_RETENTION: setting(
    optional(wholeNumber(3600, 10 * 365 * DAY)),
    "Seconds generated pictures are kept; unset keeps them until the user deletes them.",
  ),
  FREE_CREDITS: setting(
    withDefault(wholeNumber(0, 1_000_000), 300),
    "Credits a user is given once, on first start; 0 gives none.",
  ),
  TRAINING_CREDITS_SPEED: setting(
    withDefault(wholeNumber(0, 100_000), 40),
    "Credits per 100 steps (`DEFAULT_ITERATIONS`) of a training at speed priority, rounded up: 200 at 500 steps.",
  ),
  TRAINING_CREDITS_BALANCED: setting(
    withDefault(wholeNumber(0, 100_000), 45),
    "The same at balanced priority: 225 at 500 steps.",
  ),
  TRAINING_CREDITS_QUALITY: setting(
    withDefault(wholeNumber(0, 100_000), 50),
    "The same at quality priority: 250 at 500 steps.",
  ),
  PICTURE_CREDITS: setting(
    withDefault(wholeNumber(0, 1_000_000), 10),
    "Credits one generated picture costs; only pictures delivered are charged.",
  ),
  PACKAGES: setting(
    withDefault(packages, "100:50,300:140,1000:420"),
    "Credit packages sold for Telegram Stars, as credits:stars (`100:50` is 100 credits for 50 Stars); one to eight, each of different credits.",
  ),
  PAYSUPPORT_CONTACT: setting(
    optional(text),
    "Who answers payment questions in `/paysupport` (for example `@studio_support`); unset says the bot's administrators answer in this chat.",
  ),
  S3_ENDPOINT: setting(optional(origin), "The S3 API's origin.", WITH_S3),
  S3_BUCKET: setting(optional(text), "The S3 bucket; unset uses `AVATAR_BUCKET`."),
  S3_REGION: setting(withDefault(text, "us-east-1"), "The S3 region to sign for."),
  S3_FORCE_PATH_STYLE: setting(
    withDefault(flag, "true"),
    "`true`: `endpoint/bucket/key` (MinIO); `false`: `bucket.endpoint/key`.",
  ),
  S3_ACCESS_KEY_ID: secret(optional(text), "The S3 access key id.", WITH_S3),
  S3_SECRET_ACCESS_KEY: secret(optional(text), "The S3 access key's secret.", WITH_S3),
};

export type SettingName = keyof typeof SETTINGS;

/** What README's table shows of a setting. */
export function settingDoc(name: SettingName) {
  return docOf(SETTINGS[name]);
}

/** The bindings the Worker needs (see `wrangler.toml`), each with what shows it is really there. */
const BINDINGS: { name: string; usable: (binding: unknown) => boolean; when?: readonly [SettingName, string] }[] = [
  { name: "DB", usable: hasMethod("prepare"), when: ["DB_DRIVER", "d1"] },
  { name: "HYPERDRIVE", usable: (b) => typeof connectionStringOf(b) === "string", when: ["DB_DRIVER", "postgres"] },
  { name: "BUCKET", usable: hasMethod("put"), when: ["STORAGE_DRIVER", "r2"] },
  { name: "CHAT_SESSION", usable: hasMethod("idFromName") },
  { name: "AVATAR_WORKSPACE", usable: hasMethod("idFromName") },
];

const envSchema = v.looseObject(SETTINGS);
const avatarSettingsSchema = v.object(AVATAR_SETTINGS);
type Env = v.InferOutput<typeof envSchema>;

const REQUIRED_WHEN = (Object.keys(SETTINGS) as SettingName[]).flatMap((name) => {
  const when = settingDoc(name).requiredWhen;
  return when ? [{ name, when }] : [];
});

/**
 * The rules between settings: a minimum not above its maximum, the S3 settings with `s3`, the
 * bindings each driver needs. A rule is checked once the settings it reads are valid.
 */
const crossChecks = v.rawCheck<Env>(({ dataset, addIssue }) => {
  const invalid = new Set(dataset.issues?.map((issue) => issue.path?.[0]?.key));
  const env = dataset.value as Env;
  const holds = (when: readonly [string, string] | undefined) =>
    when === undefined || (!invalid.has(when[0]) && env[when[0]] === when[1]);
  for (const [min, max] of [
    ["MIN_PHOTOS_FOR_TRAINING", "MAX_PHOTOS_PER_AVATAR"],
    ["MIN_PHOTO_RESOLUTION", "MAX_PHOTO_RESOLUTION"],
  ] as const) {
    if (!invalid.has(min) && !invalid.has(max) && env[min] > env[max])
      addIssue({ message: `${min} must not exceed ${max}` });
  }
  for (const { name, when } of REQUIRED_WHEN) {
    if (holds(when) && !invalid.has(name) && env[name] === undefined) addIssue({ message: `${name} is not set` });
  }
  for (const { name, usable, when } of BINDINGS) {
    if (holds(when) && !usable(env[name])) addIssue({ message: `binding ${name} is missing` });
  }
});

const settingsSchema = v.pipe(
  envSchema,
  crossChecks,
  v.transform((env) => ({
    telegramBotToken: env.TELEGRAM_BOT_TOKEN,
    telegramWebhookSecret: env.TELEGRAM_WEBHOOK_SECRET,
    telegramApiRoot: env.TELEGRAM_API_ROOT,
    publicUrl: env.PUBLIC_URL,
    falKey: env.FAL_KEY,
    metricsToken: env.METRICS_TOKEN,
    falBaseUrl: env.FAL_BASE_URL,
    adminUserIds: env.ADMIN_USER_IDS ?? new Set<number>(),
    access: { mode: env.ACCESS_MODE, allowedUserIds: env.ALLOWED_USER_IDS ?? new Set<number>() },
    limits: { trainingsPerDay: env.MAX_TRAININGS_PER_DAY, generationsPerHour: env.MAX_GENERATIONS_PER_HOUR },
    photoBatchWindowMs: env.PHOTO_BATCH_WINDOW_MS,
    trainingTimeoutSeconds: env.TRAINING_TIMEOUT,
    abandonedAvatarTtlSeconds: env.ABANDONED_AVATAR_TTL,
    generationRetentionSeconds: env.GENERATION_RETENTION,
    maxConcurrentGenerations: env.MAX_CONCURRENT_GENERATIONS,
    generationTimeoutSeconds: env.GENERATION_TIMEOUT,
    credits: {
      free: env.FREE_CREDITS,
      trainingPer100Steps: {
        speed: env.TRAINING_CREDITS_SPEED,
        balanced: env.TRAINING_CREDITS_BALANCED,
        quality: env.TRAINING_CREDITS_QUALITY,
      },
      picture: env.PICTURE_CREDITS,
      preview: env.PREVIEW_CREDITS,
    },
    packages: env.PACKAGES,
    paySupportContact: env.PAYSUPPORT_CONTACT,
    previewFreeOnce: env.PREVIEW_FREE_ONCE,
    avatar: Object.fromEntries(Object.keys(AVATAR_SETTINGS).map((name) => [name, env[name]])) as AvatarSettings,
    database:
      env.DB_DRIVER === "postgres"
        ? { driver: "postgres" as const, connectionString: String(connectionStringOf(env.HYPERDRIVE)) }
        : { driver: "d1" as const },
    storage:
      env.STORAGE_DRIVER === "s3"
        ? {
            driver: "s3" as const,
            endpoint: env.S3_ENDPOINT ?? "",
            bucket: env.S3_BUCKET ?? env.AVATAR_BUCKET,
            region: env.S3_REGION,
            forcePathStyle: env.S3_FORCE_PATH_STYLE,
            accessKeyId: env.S3_ACCESS_KEY_ID ?? "",
            secretAccessKey: env.S3_SECRET_ACCESS_KEY ?? "",
          }
        : { driver: "r2" as const },
  })),
);

/** Everything the Worker reads from its environment, parsed and checked once at the edge. */
export type Settings = v.InferOutput<typeof settingsSchema>;
export type S3Settings = Omit<Extract<Settings["storage"], { driver: "s3" }>, "driver">;

/** The spec's AvatarSettings; each one can be overridden by a var of the same name. */
export type AvatarSettings = v.InferOutput<typeof avatarSettingsSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join("; ")}`);
    this.name = "ConfigError";
  }
}

type RawEnv = Record<string, unknown>;

const cache = new WeakMap<object, Settings>();

/** Parses the environment once per env object; throws ConfigError listing every problem found. */
export function loadSettings(env: object): Settings {
  const cached = cache.get(env);
  if (cached) return cached;
  const settings = parseSettings(env as RawEnv);
  cache.set(env, settings);
  return settings;
}

/** Parses an environment; throws ConfigError listing every problem found, each naming its setting. */
export function parseSettings(env: RawEnv): Settings {
  const input: RawEnv = {};
  for (const { name } of BINDINGS) input[name] = env[name];
  // A blank var (`FAL_KEY=` in .dev.vars) counts as unset.
  for (const name of Object.keys(SETTINGS)) {
    const value = env[name];
    input[name] = typeof value === "string" ? value.trim() || undefined : (value ?? undefined);
  }
  const result = v.safeParse(settingsSchema, input);
  if (!result.success) {
    throw new ConfigError(
      result.issues.map((issue) => {
        const name = issue.path?.[0]?.key;
        return name === undefined ? issue.message : `${String(name)} ${issue.message}`;
      }),
    );
  }
  return result.output;
}

/** The spec's AvatarSettings as they are when no var overrides them. */
export const AVATAR_SETTING_DEFAULTS: AvatarSettings = v.parse(avatarSettingsSchema, {});

function hasMethod(method: string): (binding: unknown) => boolean {
  return (binding) => typeof (binding as Record<string, unknown> | undefined)?.[method] === "function";
}

function connectionStringOf(binding: unknown): unknown {
  return (binding as { connectionString?: unknown } | undefined)?.connectionString;
}
