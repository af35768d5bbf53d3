import type { Hono } from "hono";
import { MetricsService, renderPrometheus } from "../../services/metrics";
import { createRepository } from "../../wiring";
import type { AppEnv } from "../app-env";
import { constantTimeEqual } from "../constant-time";

/** GET /metrics: Prometheus text behind `Authorization: Bearer METRICS_TOKEN`; 404 when no token is set. */
export function registerMetrics(app: Hono<AppEnv>): void {
  app.get("/metrics", async (c) => {
    const token = c.get("settings").metricsToken;
    if (!token) return c.json({ error: "not_found" }, 404);
    const given = /^Bearer (.+)$/.exec(c.req.header("authorization") ?? "")?.[1];
    if (!(await constantTimeEqual(given, token))) {
      c.header("WWW-Authenticate", 'Bearer realm="metrics"');
      return c.json({ error: "unauthorized" }, 401);
    }
    const body = renderPrometheus(await new MetricsService(createRepository(c.env)).snapshot(new Date()));
    return c.body(body, 200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
  });
}
