import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { ConfigError, loadSettings } from "../config/settings";
import { errorFields, log } from "../log";
import type { AppEnv } from "./app-env";
import { registerFalWebhook } from "./routes/fal-webhook";
import { registerHealth } from "./routes/health";
import { registerMetrics } from "./routes/metrics";
import { registerTelegramWebhook } from "./routes/telegram-webhook";
import { registerTrainingData } from "./routes/training-data";

/** The Worker's HTTP surface: settings are checked first, then each route, with one error funnel. */
export function createApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.use(async (c, next) => {
    c.set("settings", loadSettings(c.env));
    await next();
  });

  registerHealth(app);
  registerTelegramWebhook(app);
  registerFalWebhook(app);
  registerTrainingData(app);
  registerMetrics(app);

  app.notFound((c) => c.json({ error: "not_found" }, 404));

  app.onError((error, c) => {
    if (error instanceof HTTPException) return c.json({ error: error.message }, error.status);
    if (error instanceof ConfigError) {
      log("error", "config_invalid", { problems: error.problems });
      return c.json({ error: "server_misconfigured" }, 500);
    }
    log("error", "http_request_failed", { path: c.req.path, ...errorFields(error) });
    return c.json({ error: "internal_error" }, 500);
  });

  return app;
}
