import { defineConfig } from "vitest/config";

/** The playground's browser journey: plain Node, outside workerd (see scripts/test-browser.ts). */
export default defineConfig({
  test: {
    include: ["playground/**/*.browser.ts"],
    environment: "node",
    fileParallelism: false,
    hookTimeout: 180_000,
  },
});
