import type { Hono } from "hono";
import { type GenerationOutput, readGenerationOutput } from "../../fal/generator";
import { readTrainingOutput, type TrainingResult } from "../../fal/trainer";
import { DEFAULT_JWKS_ORIGIN, verifyFalWebhook } from "../../fal/webhook-signature";
import { log } from "../../log";
import { createRepository } from "../../wiring";
import type { AppEnv } from "../app-env";

interface FalWebhookBody {
  request_id?: string;
  status?: "OK" | "ERROR";
  payload?: unknown;
  error?: string;
  payload_error?: string;
}

/**
 * POST /fal/webhook: fal's signed delivery of a finished job. A forged, stale or unsigned call
 * gets 401 and changes nothing; a delivery for a job we no longer follow is acknowledged and
 * ignored, so fal's retries end; the avatar's workspace applies each result once.
 */
export function registerFalWebhook(app: Hono<AppEnv>): void {
  app.post("/fal/webhook", async (c) => {
    const settings = c.get("settings");
    const body = new Uint8Array(await c.req.arrayBuffer());
    const verdict = await verifyFalWebhook(c.req.raw.headers, body, settings.falBaseUrl ?? DEFAULT_JWKS_ORIGIN);
    if (!verdict.ok) {
      log("warn", "fal_webhook_rejected", { reason: verdict.reason });
      return c.json({ error: "unauthorized" }, 401);
    }
    let delivery: FalWebhookBody;
    try {
      delivery = JSON.parse(new TextDecoder().decode(body)) as FalWebhookBody;
    } catch {
      return c.json({ error: "invalid_json" }, 400);
    }
    const requestId = delivery.request_id ?? verdict.requestId;
    const repo = createRepository(c.env);
    const generation = await repo.findGenerationByFalRequest(requestId);
    if (generation) {
      const output: GenerationOutput =
        delivery.status === "OK" && !delivery.payload_error
          ? readGenerationOutput(delivery.payload)
          : { kind: "failed", reason: delivery.error ?? delivery.payload_error ?? "fal reported an error" };
      await c.env.AVATAR_WORKSPACE.getByName(generation.avatarId).generationResult(requestId, output);
      return c.json({ ok: true });
    }
    const avatar = await repo.findAvatarByFalRequest(requestId);
    if (!avatar) {
      log("info", "fal_webhook_unknown_request", { requestId });
      return c.json({ ok: true });
    }
    if (delivery.status === "OK" && delivery.payload_error) {
      // fal could not attach the output; the workspace fetches it from the queue instead.
      await c.env.AVATAR_WORKSPACE.getByName(avatar.id).followTraining();
      return c.json({ ok: true });
    }
    const result: TrainingResult =
      delivery.status === "OK"
        ? readTrainingOutput(delivery.payload)
        : { kind: "failed", reason: delivery.error ?? delivery.payload_error ?? "fal reported an error" };
    await c.env.AVATAR_WORKSPACE.getByName(avatar.id).trainingResult(requestId, result);
    return c.json({ ok: true });
  });
}
