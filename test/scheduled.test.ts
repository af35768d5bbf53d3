import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import worker from "../src/index";
import { isProcessed } from "./support/db";

it("cron forgets processed update ids older than three days and keeps recent ones", async () => {
  const now = Date.parse("2026-11-23T12:00:00Z");
  await env.DB.batch([
    env.DB.prepare("INSERT INTO processed_updates (update_id, processed_at) VALUES (?, ?)").bind(
      1,
      now - 4 * 86400_000,
    ),
    env.DB.prepare("INSERT INTO processed_updates (update_id, processed_at) VALUES (?, ?)").bind(2, now - 3600_000),
  ]);
  const controller = createScheduledController({ scheduledTime: new Date(now), cron: "* * * * *" });
  const ctx = createExecutionContext();
  worker.scheduled(controller, env, ctx);
  await waitOnExecutionContext(ctx);
  expect(await isProcessed(1)).toBe(false);
  expect(await isProcessed(2)).toBe(true);
});
