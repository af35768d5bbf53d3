import { FAL_PRIORITIES, type FalPriority } from "../domain/avatar";
import { webhookSecretProblem } from "./webhook-secret";

/** Everything the Worker reads from its environment, parsed and checked once at the edge. */
export interface Settings {
  telegramBotToken: string;
  telegramWebhookSecret: string;
  telegramApiRoot: string;
  publicUrl: string;
  falKey: string | undefined;
  /** Bearer token for GET /metrics; without it the route is not there. */
  metricsToken: string | undefined;
  falBaseUrl: string | undefined;
  adminUserIds: ReadonlySet<number>;
  /** Photos arriving within this many milliseconds of each other are processed as one batch. */
  photoBatchWindowMs: number;
  /** A training running longer than this is given up on and marked ERROR. */
  trainingTimeoutSeconds: number;
  /** DRAFT, PHOTOS_UPLOADING and CANCELLED avatars unchanged this long (seconds) are deleted with their files. */
  abandonedAvatarTtlSeconds: number;
  /** Generated pictures older than this (seconds) are deleted; undefined keeps them. */
  generationRetentionSeconds: number | undefined;
  /** Generations one user may have running at once. */
  maxConcurrentGenerations: number;
  /** A generation not finished after this many seconds is marked failed. */
  generationTimeoutSeconds: number;
  avatar: AvatarSettings;
  /** Where rows live: the D1 binding `DB`, or Postgres through the Hyperdrive binding `HYPERDRIVE`. */
  database: { driver: "d1" } | { driver: "postgres"; connectionString: string };
  /** Where files live: the R2 binding, or any S3 API through aws4fetch. */
  storage: { driver: "r2" } | ({ driver: "s3" } & S3Settings);
}

export interface S3Settings {
  endpoint: string;
  bucket: string;
  region: string;
  forcePathStyle: boolean;
  accessKeyId: string;
  secretAccessKey: string;
}

/** The spec's AvatarSettings; each one can be overridden by a var of the same name. */
export interface AvatarSettings {
  MAX_PHOTO_SIZE: number;
  MAX_PHOTOS_PER_AVATAR: number;
  MIN_PHOTOS_FOR_TRAINING: number;
  ALLOWED_PHOTO_FORMATS: readonly string[];
  MIN_PHOTO_RESOLUTION: number;
  MAX_PHOTO_RESOLUTION: number;
  DEFAULT_ITERATIONS: number;
  DEFAULT_PRIORITY: FalPriority;
  DEFAULT_LORA_RANK: number;
  AVATAR_BUCKET: string;
  TRAINING_DATA_TTL: number;
  FAL_API_TIMEOUT: number;
  TRAINING_CHECK_INTERVAL: number;
}

export const AVATAR_SETTING_DEFAULTS: AvatarSettings = {
  MAX_PHOTO_SIZE: 10 * 1024 * 1024,
  MAX_PHOTOS_PER_AVATAR: 50,
  MIN_PHOTOS_FOR_TRAINING: 5,
  ALLOWED_PHOTO_FORMATS: ["JPEG", "PNG", "WEBP"],
  MIN_PHOTO_RESOLUTION: 512,
  MAX_PHOTO_RESOLUTION: 4096,
  DEFAULT_ITERATIONS: 500,
  DEFAULT_PRIORITY: "quality",
  DEFAULT_LORA_RANK: 32,
  AVATAR_BUCKET: "avatars",
  TRAINING_DATA_TTL: 7 * 24 * 3600,
  FAL_API_TIMEOUT: 300,
  TRAINING_CHECK_INTERVAL: 30,
};

const KNOWN_FORMATS = ["JPEG", "PNG", "WEBP"];

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

export function parseSettings(env: RawEnv): Settings {
  const problems: string[] = [];
  const str = (name: string): string | undefined => {
    const value = env[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "string") {
      problems.push(`${name} must be a string`);
      return undefined;
    }
    const trimmed = value.trim();
    return trimmed === "" ? undefined : trimmed;
  };
  const required = (name: string): string => {
    const value = str(name);
    if (value === undefined) problems.push(`${name} is not set`);
    return value ?? "";
  };
  const origin = (name: string, fallback?: string): string | undefined => {
    const value = str(name) ?? fallback;
    if (value === undefined) return undefined;
    try {
      const url = new URL(value);
      if (url.protocol !== "https:" && url.protocol !== "http:") throw new Error("protocol");
      return value.replace(/\/+$/, "");
    } catch {
      problems.push(`${name} must be an http(s) URL, got "${value}"`);
      return undefined;
    }
  };
  const wholeNumber = (name: string, fallback: number, min: number, max: number): number => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return value;
  };
  const int = (name: keyof AvatarSettings, min: number, max: number): number =>
    wholeNumber(name, AVATAR_SETTING_DEFAULTS[name] as number, min, max);

  const token = required("TELEGRAM_BOT_TOKEN");
  if (token && !/^\d+:[\w-]+$/.test(token)) problems.push("TELEGRAM_BOT_TOKEN does not look like a BotFather token");
  const webhookSecret = required("TELEGRAM_WEBHOOK_SECRET");
  const secretProblem = webhookSecret ? webhookSecretProblem(webhookSecret) : null;
  if (secretProblem) problems.push(secretProblem);

  const adminUserIds = new Set<number>();
  for (const part of (str("ADMIN_USER_IDS") ?? "").split(",")) {
    const id = part.trim();
    if (id === "") continue;
    if (!/^\d+$/.test(id)) problems.push(`ADMIN_USER_IDS has "${id}", which is not a Telegram user id`);
    else adminUserIds.add(Number(id));
  }

  const formats = (str("ALLOWED_PHOTO_FORMATS") ?? AVATAR_SETTING_DEFAULTS.ALLOWED_PHOTO_FORMATS.join(","))
    .split(",")
    .map((f) => f.trim().toUpperCase())
    .filter(Boolean);
  const unknownFormats = formats.filter((f) => !KNOWN_FORMATS.includes(f));
  if (formats.length === 0 || unknownFormats.length > 0) {
    problems.push(`ALLOWED_PHOTO_FORMATS must list some of ${KNOWN_FORMATS.join(", ")}`);
  }
  const priority = (str("DEFAULT_PRIORITY") ?? AVATAR_SETTING_DEFAULTS.DEFAULT_PRIORITY).toLowerCase();
  if (!(FAL_PRIORITIES as readonly string[]).includes(priority)) {
    problems.push(`DEFAULT_PRIORITY must be one of ${FAL_PRIORITIES.join(", ")}`);
  }

  const avatarBucket = str("AVATAR_BUCKET") ?? AVATAR_SETTING_DEFAULTS.AVATAR_BUCKET;
  const avatar: AvatarSettings = {
    MAX_PHOTO_SIZE: int("MAX_PHOTO_SIZE", 1024, 20 * 1000 * 1000),
    MAX_PHOTOS_PER_AVATAR: int("MAX_PHOTOS_PER_AVATAR", 1, 500),
    MIN_PHOTOS_FOR_TRAINING: int("MIN_PHOTOS_FOR_TRAINING", 1, 500),
    ALLOWED_PHOTO_FORMATS: formats,
    MIN_PHOTO_RESOLUTION: int("MIN_PHOTO_RESOLUTION", 64, 4096),
    MAX_PHOTO_RESOLUTION: int("MAX_PHOTO_RESOLUTION", 256, 16384),
    DEFAULT_ITERATIONS: int("DEFAULT_ITERATIONS", 1, 10000),
    DEFAULT_PRIORITY: priority as FalPriority,
    DEFAULT_LORA_RANK: int("DEFAULT_LORA_RANK", 1, 128),
    AVATAR_BUCKET: avatarBucket,
    TRAINING_DATA_TTL: int("TRAINING_DATA_TTL", 60, 365 * 24 * 3600),
    FAL_API_TIMEOUT: int("FAL_API_TIMEOUT", 1, 3600),
    TRAINING_CHECK_INTERVAL: int("TRAINING_CHECK_INTERVAL", 5, 3600),
  };
  if (avatar.MIN_PHOTOS_FOR_TRAINING > avatar.MAX_PHOTOS_PER_AVATAR) {
    problems.push("MIN_PHOTOS_FOR_TRAINING must not exceed MAX_PHOTOS_PER_AVATAR");
  }
  if (avatar.MIN_PHOTO_RESOLUTION > avatar.MAX_PHOTO_RESOLUTION) {
    problems.push("MIN_PHOTO_RESOLUTION must not exceed MAX_PHOTO_RESOLUTION");
  }

  const driver = (str("STORAGE_DRIVER") ?? "r2").toLowerCase();
  if (driver !== "r2" && driver !== "s3") problems.push(`STORAGE_DRIVER must be r2 or s3, got "${driver}"`);
  let storage: Settings["storage"] = { driver: "r2" };
  if (driver === "s3") {
    const forcePathStyle = (str("S3_FORCE_PATH_STYLE") ?? "true").toLowerCase();
    if (forcePathStyle !== "true" && forcePathStyle !== "false")
      problems.push("S3_FORCE_PATH_STYLE must be true or false");
    const endpoint = origin("S3_ENDPOINT");
    if (!endpoint && !problems.some((p) => p.startsWith("S3_ENDPOINT"))) problems.push("S3_ENDPOINT is not set");
    storage = {
      driver: "s3",
      endpoint: endpoint ?? "",
      bucket: str("S3_BUCKET") ?? avatarBucket,
      region: str("S3_REGION") ?? "us-east-1",
      forcePathStyle: forcePathStyle !== "false",
      accessKeyId: required("S3_ACCESS_KEY_ID"),
      secretAccessKey: required("S3_SECRET_ACCESS_KEY"),
    };
  }
  const dbDriver = (str("DB_DRIVER") ?? "d1").toLowerCase();
  if (dbDriver !== "d1" && dbDriver !== "postgres")
    problems.push(`DB_DRIVER must be d1 or postgres, got "${dbDriver}"`);
  let database: Settings["database"] = { driver: "d1" };
  if (dbDriver === "postgres") {
    const connectionString = (env.HYPERDRIVE as { connectionString?: unknown } | undefined)?.connectionString;
    if (typeof connectionString !== "string") problems.push("binding HYPERDRIVE is missing");
    database = { driver: "postgres", connectionString: String(connectionString) };
  }
  for (const [binding, method] of [
    ...(dbDriver === "d1" ? ([["DB", "prepare"]] as const) : []),
    ...(driver === "r2" ? ([["BUCKET", "put"]] as const) : []),
    ["CHAT_SESSION", "idFromName"],
    ["AVATAR_WORKSPACE", "idFromName"],
  ] as const) {
    const value = env[binding] as Record<string, unknown> | undefined;
    if (typeof value?.[method] !== "function") problems.push(`binding ${binding} is missing`);
  }

  const photoBatchWindowMs = wholeNumber("PHOTO_BATCH_WINDOW_MS", 1500, 0, 600_000);

  const trainingTimeoutSeconds = wholeNumber("TRAINING_TIMEOUT", 3 * 3600, 60, 7 * 24 * 3600);

  const abandonedAvatarTtlSeconds = wholeNumber("ABANDONED_AVATAR_TTL", 7 * 24 * 3600, 3600, 365 * 24 * 3600);
  const generationRetentionSeconds =
    str("GENERATION_RETENTION") === undefined
      ? undefined
      : wholeNumber("GENERATION_RETENTION", 0, 3600, 10 * 365 * 24 * 3600);
  const maxConcurrentGenerations = wholeNumber("MAX_CONCURRENT_GENERATIONS", 2, 1, 20);
  const generationTimeoutSeconds = wholeNumber("GENERATION_TIMEOUT", 600, 30, 3600);

  const settings: Settings = {
    telegramBotToken: token,
    telegramWebhookSecret: webhookSecret,
    telegramApiRoot: origin("TELEGRAM_API_ROOT", "https://api.telegram.org") ?? "",
    publicUrl: origin("PUBLIC_URL") ?? "",
    falKey: str("FAL_KEY"),
    metricsToken: str("METRICS_TOKEN"),
    falBaseUrl: origin("FAL_BASE_URL"),
    adminUserIds,
    photoBatchWindowMs,
    trainingTimeoutSeconds,
    abandonedAvatarTtlSeconds,
    generationRetentionSeconds,
    maxConcurrentGenerations,
    generationTimeoutSeconds,
    avatar,
    database,
    storage,
  };
  if (!settings.publicUrl && !problems.some((p) => p.startsWith("PUBLIC_URL"))) problems.push("PUBLIC_URL is not set");
  if (problems.length > 0) throw new ConfigError(problems);
  return settings;
}
