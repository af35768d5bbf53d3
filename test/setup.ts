import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, expect, vi } from "vitest";
import { CUT_LABELS } from "./stand-ins/button-width";

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);

afterEach(() => {
  // Spies a test made on console and the like; the fetch router in support/harness.ts stays.
  vi.clearAllMocks();
  // Every keyboard the bot sent in the test, in either language, fits a 360 px phone.
  const cut = CUT_LABELS.splice(0);
  expect(cut, "button labels cut on a 360 px phone").toEqual([]);
});
