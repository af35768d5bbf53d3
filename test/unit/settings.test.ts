import { describe, expect, it } from "vitest";
import { AVATAR_SETTING_DEFAULTS, ConfigError, parseSettings } from "../../src/config/settings";

const bindings = {
  DB: { prepare() {} },
  BUCKET: { put() {} },
  CHAT_SESSION: { idFromName() {} },
  AVATAR_WORKSPACE: { idFromName() {} },
};
const base = {
  ...bindings,
  TELEGRAM_BOT_TOKEN: "123:abc",
  TELEGRAM_WEBHOOK_SECRET: "0123456789abcdef0123456789abcdef",
  PUBLIC_URL: "https://bot.example/",
};

function problemsOf(env: Record<string, unknown>): string[] {
  try {
    parseSettings(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

describe("settings", () => {
  it("uses the spec's AvatarSettings when nothing overrides them", () => {
    const settings = parseSettings(base);
    expect(settings.avatar).toEqual(AVATAR_SETTING_DEFAULTS);
    expect(settings.telegramApiRoot).toBe("https://api.telegram.org");
    expect(settings.publicUrl).toBe("https://bot.example");
    expect(settings.falKey).toBeUndefined();
  });

  it("takes overrides by the spec's names", () => {
    const settings = parseSettings({
      ...base,
      MAX_PHOTOS_PER_AVATAR: "20",
      DEFAULT_PRIORITY: "speed",
      ALLOWED_PHOTO_FORMATS: "jpeg, png",
      TELEGRAM_API_ROOT: "http://127.0.0.1:8081/",
      ADMIN_USER_IDS: "1, 22",
      FAL_BASE_URL: "http://127.0.0.1:9000",
    });
    expect(settings.avatar.MAX_PHOTOS_PER_AVATAR).toBe(20);
    expect(settings.avatar.DEFAULT_PRIORITY).toBe("speed");
    expect(settings.avatar.ALLOWED_PHOTO_FORMATS).toEqual(["JPEG", "PNG"]);
    expect(settings.telegramApiRoot).toBe("http://127.0.0.1:8081");
    expect([...settings.adminUserIds]).toEqual([1, 22]);
    expect(settings.falBaseUrl).toBe("http://127.0.0.1:9000");
  });

  it("lists every problem at once", () => {
    const problems = problemsOf({
      TELEGRAM_BOT_TOKEN: "nope",
      PUBLIC_URL: "ftp://x",
      MIN_PHOTO_RESOLUTION: "-1",
      ALLOWED_PHOTO_FORMATS: "GIF",
      ADMIN_USER_IDS: "abc",
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        "TELEGRAM_BOT_TOKEN does not look like a BotFather token",
        "TELEGRAM_WEBHOOK_SECRET is not set",
        'PUBLIC_URL must be an http(s) URL, got "ftp://x"',
        'MIN_PHOTO_RESOLUTION must be a whole number from 64 to 4096, got "-1"',
        "ALLOWED_PHOTO_FORMATS must list some of JPEG, PNG, WEBP",
        'ADMIN_USER_IDS has "abc", which is not a Telegram user id',
        "binding DB is missing",
        "binding BUCKET is missing",
        "binding CHAT_SESSION is missing",
      ]),
    );
  });

  it("reads PACKAGES as credits:stars and refuses a list that is not one", () => {
    expect(parseSettings(base).packages).toEqual([
      { credits: 100, stars: 50 },
      { credits: 300, stars: 140 },
      { credits: 1000, stars: 420 },
    ]);
    expect(parseSettings({ ...base, PACKAGES: " 50:25 , 500:200" }).packages).toEqual([
      { credits: 50, stars: 25 },
      { credits: 500, stars: 200 },
    ]);
    expect(problemsOf({ ...base, PACKAGES: "100:50,lots" })).toEqual([
      'PACKAGES has "lots", which is not credits:stars',
    ]);
    expect(problemsOf({ ...base, PACKAGES: "100:0" })).toEqual([
      "PACKAGES needs at least 1 credit and 1 to 100000 Stars in each package",
    ]);
    expect(problemsOf({ ...base, PACKAGES: "100:50,100:40" })).toEqual([
      "PACKAGES must not list two packages of the same credits",
    ]);
    expect(problemsOf({ ...base, PACKAGES: ",,," })).toEqual(["PACKAGES must list 1 to 8 packages"]);
  });

  it("refuses a minimum above the maximum", () => {
    expect(problemsOf({ ...base, MIN_PHOTOS_FOR_TRAINING: "60" })).toContain(
      "MIN_PHOTOS_FOR_TRAINING must not exceed MAX_PHOTOS_PER_AVATAR",
    );
  });

  it("refuses a webhook secret Telegram would not accept", () => {
    expect(problemsOf({ ...base, TELEGRAM_WEBHOOK_SECRET: "has spaces but is long enough otherwise" })).toEqual([
      "TELEGRAM_WEBHOOK_SECRET must be 32-256 characters of A-Z, a-z, 0-9, _ and - (it has other characters); make one with `openssl rand -hex 32`",
    ]);
    expect(problemsOf({ ...base, TELEGRAM_WEBHOOK_SECRET: "x".repeat(257) })).toEqual([
      "TELEGRAM_WEBHOOK_SECRET must be 32-256 characters of A-Z, a-z, 0-9, _ and - (it has 257); make one with `openssl rand -hex 32`",
    ]);
  });

  it("refuses a webhook secret shorter than 32 characters: it is also the root of the archive links' key", () => {
    expect(problemsOf({ ...base, TELEGRAM_WEBHOOK_SECRET: "s" })).toEqual([
      "TELEGRAM_WEBHOOK_SECRET must be 32-256 characters of A-Z, a-z, 0-9, _ and - (it has 1); make one with `openssl rand -hex 32`",
    ]);
    expect(problemsOf({ ...base, TELEGRAM_WEBHOOK_SECRET: "a".repeat(31) })).toEqual([
      "TELEGRAM_WEBHOOK_SECRET must be 32-256 characters of A-Z, a-z, 0-9, _ and - (it has 31); make one with `openssl rand -hex 32`",
    ]);
    for (const secret of ["a".repeat(32), `${"A-z_0".repeat(51)}9`, "f".repeat(64)])
      expect(parseSettings({ ...base, TELEGRAM_WEBHOOK_SECRET: secret }).telegramWebhookSecret).toBe(secret);
  });

  it("reads the S3 settings with MinIO's defaults, and needs the keys", () => {
    const settings = parseSettings({
      ...base,
      STORAGE_DRIVER: "s3",
      S3_ENDPOINT: "http://127.0.0.1:9000",
      S3_ACCESS_KEY_ID: "minio",
      S3_SECRET_ACCESS_KEY: "minio-secret",
    });
    expect(settings.storage).toEqual({
      driver: "s3",
      endpoint: "http://127.0.0.1:9000",
      bucket: "avatars",
      region: "us-east-1",
      forcePathStyle: true,
      accessKeyId: "minio",
      secretAccessKey: "minio-secret",
    });
    expect(problemsOf({ ...base, STORAGE_DRIVER: "s3" })).toEqual(
      expect.arrayContaining([
        "S3_ENDPOINT is not set",
        "S3_ACCESS_KEY_ID is not set",
        "S3_SECRET_ACCESS_KEY is not set",
      ]),
    );
    expect(problemsOf({ ...base, STORAGE_DRIVER: "gcs" })).toContain('STORAGE_DRIVER must be r2 or s3, got "gcs"');
  });

  it("reaches Postgres through the HYPERDRIVE binding with DB_DRIVER=postgres, which then needs no DB", () => {
    const { DB: _d1, ...withoutD1 } = base;
    const hyperdrive = { connectionString: "postgres://user:pass@db.hyperdrive.local:5432/avatars" };
    expect(parseSettings(base).database).toEqual({ driver: "d1" });
    expect(parseSettings({ ...withoutD1, DB_DRIVER: "postgres", HYPERDRIVE: hyperdrive }).database).toEqual({
      driver: "postgres",
      connectionString: hyperdrive.connectionString,
    });
    expect(problemsOf({ ...withoutD1, DB_DRIVER: "postgres" })).toEqual(["binding HYPERDRIVE is missing"]);
    expect(problemsOf(withoutD1)).toEqual(["binding DB is missing"]);
    expect(problemsOf({ ...base, DB_DRIVER: "mysql" })).toEqual(['DB_DRIVER must be d1 or postgres, got "mysql"']);
  });
});
