import type { Hono } from "hono";
import { TRAINING_DATA_PREFIX as PREFIX, verifySignedPath } from "../../storage/signed-urls";
import { createStorage } from "../../wiring";
import type { AppEnv } from "../app-env";

/** GET /training-data/<key>?expires=…&signature=…: streams the archive to fal while the link is valid. */
export function registerTrainingData(app: Hono<AppEnv>): void {
  app.get(`${PREFIX}*`, async (c) => {
    const path = new URL(c.req.url).pathname;
    const valid = await verifySignedPath(
      c.get("settings").telegramWebhookSecret,
      path,
      c.req.query("expires"),
      c.req.query("signature"),
    );
    if (!valid) return c.json({ error: "forbidden" }, 403);
    const key = decodeURIComponent(path.slice(PREFIX.length));
    if (!key.endsWith("/training_data/training_set.zip")) return c.json({ error: "not_found" }, 404);
    const object = await createStorage(c.env).get(key);
    if (!object) return c.json({ error: "not_found" }, 404);
    return new Response(object.body, {
      headers: { "content-type": "application/zip", "content-length": String(object.size) },
    });
  });
}
