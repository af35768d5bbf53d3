import type { Hono } from "hono";
import type { Settings } from "../../config/settings";
import type { ObjectStorage } from "../../storage/object-storage";
import { createStorage } from "../../wiring";
import type { AppEnv } from "../app-env";
import { signPath, verifySignedPath } from "../signed-urls";

const PREFIX = "/training-data/";

/** A link fal can download the archive from: presigned by the store where it can, else signed by us. */
export async function trainingDataLink(
  settings: Settings,
  storage: ObjectStorage,
  key: string,
  ttlSeconds: number,
): Promise<string> {
  const presigned = await storage.presignGet?.(key, ttlSeconds);
  if (presigned) return presigned;
  return signPath(settings.telegramWebhookSecret, settings.publicUrl, `${PREFIX}${key}`, ttlSeconds);
}

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
