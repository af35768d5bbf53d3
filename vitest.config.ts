import { fileURLToPath } from "node:url";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [
    cloudflareTest(async () => ({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          TELEGRAM_BOT_TOKEN: "7000000001:test-token-for-the-stand-in",
          TELEGRAM_WEBHOOK_SECRET: "test-webhook-secret",
          PUBLIC_URL: "https://bot.example",
          // fal is played by test/stand-ins/fal.ts at this origin.
          FAL_KEY: "stand-in-key-id:stand-in-key-secret",
          FAL_BASE_URL: "http://fal.stand-in",
          ADMIN_USER_IDS: "990001",
          METRICS_TOKEN: "test-metrics-token",
          // Batches are drained by the tests themselves (runDurableObjectAlarm), never by the clock.
          PHOTO_BATCH_WINDOW_MS: "600000",
          TEST_MIGRATIONS: await readD1Migrations(fileURLToPath(new URL("./migrations", import.meta.url))),
        },
      },
    })),
  ],
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["./test/setup.ts"],
    globalSetup: ["./test/global-setup.ts"],
    // Log lines are part of what the bot does; show them only for a failing test.
    silent: "passed-only",
  },
});
