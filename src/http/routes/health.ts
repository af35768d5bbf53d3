import type { Hono } from "hono";
import { errorFields, log } from "../../log";
import { createRepository, createStorage } from "../../wiring";
import type { AppEnv } from "../app-env";

type Check = "ok" | "failed";

/** GET /health: proves each binding answers; 503 with the failing names otherwise. */
export function registerHealth(app: Hono<AppEnv>): void {
  app.get("/health", async (c) => {
    const probe = async (name: string, run: () => Promise<unknown>): Promise<[string, Check]> => {
      try {
        await run();
        return [name, "ok"];
      } catch (error) {
        log("error", "health_check_failed", { check: name, ...errorFields(error) });
        return [name, "failed"];
      }
    };
    const checks = Object.fromEntries(
      await Promise.all([
        probe("db", () => createRepository(c.env).ping()),
        probe("storage", () => createStorage(c.env).head("health/probe")),
        probe("chatSession", () => c.env.CHAT_SESSION.getByName("health").ping()),
      ]),
    );
    const ok = Object.values(checks).every((v) => v === "ok");
    return c.json({ ok, checks }, ok ? 200 : 503);
  });
}
