import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, vi } from "vitest";

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);

afterEach(() => {
  // Spies a test made on console and the like; the fetch router in support/harness.ts stays.
  vi.clearAllMocks();
});
