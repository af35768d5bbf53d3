import { fileURLToPath } from "node:url";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig, type TestProjectInlineConfiguration } from "vitest/config";
import { findPostgres } from "./test/servers/postgres-setup.ts";
import { S3_TEST_CREDENTIALS } from "./test/servers/s3-credentials.ts";

const bindings = {
  TELEGRAM_BOT_TOKEN: "7000000001:test-token-for-the-stand-in",
  TELEGRAM_WEBHOOK_SECRET: "test-webhook-secret-of-thirty-two-or-more-chars",
  PUBLIC_URL: "https://bot.example",
  // fal is played by test/stand-ins/fal.ts at this origin.
  FAL_KEY: "stand-in-key-id:stand-in-key-secret",
  FAL_BASE_URL: "http://fal.stand-in",
  ADMIN_USER_IDS: "990001",
  METRICS_TOKEN: "test-metrics-token",
  // Batches are drained by the tests themselves (runDurableObjectAlarm), never by the clock.
  PHOTO_BATCH_WINDOW_MS: "600000",
  TEST_MIGRATIONS: await readD1Migrations(fileURLToPath(new URL("./migrations", import.meta.url))),
};

const withPostgres = await findPostgres();
const ACCESS_TESTS = "test/integration/access.test.ts";
const STARS_TESTS = "test/integration/stars.test.ts";
const PAID_PREVIEW_TESTS = "test/integration/preview-paid.test.ts";

/** One vitest project: the Worker in workerd with these extra bindings for the given test files. */
function workerProject(
  name: string,
  include: string[],
  extra: (s3Endpoint: string) => Record<string, string>,
  database: "contract" | "photo_flow",
  exclude: string[] = [],
): TestProjectInlineConfiguration {
  return {
    plugins: [
      cloudflareTest(({ inject }) => {
        const postgres = inject("postgres");
        return {
          wrangler: { configPath: "./wrangler.toml" },
          miniflare: {
            bindings: { ...bindings, ...extra(inject("s3Endpoint")) },
            ...(postgres ? { hyperdrives: { HYPERDRIVE: postgres[database] } } : {}),
          },
        };
      }),
    ],
    // A hang guard, not a speed check (speed is `npm run bench`): both projects run at once on two
    // cores, and a photo test that decodes WASM images takes a few seconds when they contend.
    test: {
      name,
      include,
      exclude: ["**/node_modules/**", ...exclude],
      setupFiles: ["./test/setup.ts"],
      testTimeout: 30_000,
    },
  };
}

export default defineConfig({
  test: {
    globalSetup: ["./test/servers/global-setup.ts", ...(withPostgres ? ["./test/servers/postgres-setup.ts"] : [])],
    // Log lines are part of what the bot does; show them only for a failing test.
    silent: "passed-only",
    projects: [
      // Everything on D1 and R2; the repository contract suite also reaches Postgres when it is there.
      workerProject("d1-r2", ["test/**/*.test.ts"], () => ({}), "contract", [
        ACCESS_TESTS,
        STARS_TESTS,
        PAID_PREVIEW_TESTS,
      ]),
      // A closed beta with tight limits: the access rules and the per-user limits at the Worker's edges.
      workerProject(
        "d1-r2-closed-beta",
        [ACCESS_TESTS],
        () => ({
          ACCESS_MODE: "allowlist",
          ALLOWED_USER_IDS: "990101,990102",
          MAX_TRAININGS_PER_DAY: "2",
          MAX_GENERATIONS_PER_HOUR: "3",
          MAX_CONCURRENT_GENERATIONS: "20",
          MIN_PHOTOS_FOR_TRAINING: "1",
          // The limits are what is tested here, not the credits.
          FREE_CREDITS: "100000",
        }),
        "contract",
      ),
      // Paying users with no free allowance (FREE_CREDITS=0): every credit is bought.
      workerProject("d1-r2-no-free-credits", [STARS_TESTS], () => ({ FREE_CREDITS: "0" }), "contract"),
      // No free preview (PREVIEW_FREE_ONCE=false): every preview costs PREVIEW_CREDITS.
      workerProject("d1-r2-paid-preview", [PAID_PREVIEW_TESTS], () => ({ PREVIEW_FREE_ONCE: "false" }), "contract"),
      // The photo flow again on Postgres and S3 (test/servers/s3-server.ts, started by test/servers/global-setup.ts).
      ...(withPostgres
        ? [
            workerProject(
              "postgres-s3",
              [
                "test/integration/photo-upload.test.ts",
                "test/integration/photo-viewer.test.ts",
                "test/integration/face-check.test.ts",
                "test/integration/training-archive.test.ts",
                "test/integration/credits.test.ts",
              ],
              (s3Endpoint) => ({
                DB_DRIVER: "postgres",
                STORAGE_DRIVER: "s3",
                S3_ENDPOINT: s3Endpoint,
                S3_ACCESS_KEY_ID: S3_TEST_CREDENTIALS.accessKeyId,
                S3_SECRET_ACCESS_KEY: S3_TEST_CREDENTIALS.secretAccessKey,
              }),
              "photo_flow",
            ),
          ]
        : []),
    ],
  },
});
