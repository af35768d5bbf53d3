import type { Hono } from "hono";
import { type Failure, type FailureReason, reasonForStatus } from "../../domain/failure-reason";
import { readGenerationOutput } from "../../fal/generator";
import { readTrainingOutput } from "../../fal/trainer";
import { DEFAULT_JWKS_ORIGIN, verifyFalWebhook } from "../../fal/webhook-signature";
import { log } from "../../log";
import { createRepository } from "../../wiring";
import type { AppEnv } from "../app-env";

/** The job the webhook's URL names, if any, and only while its request id is still unknown. */
async function pending<T extends { falRequestId: string | null }>(
  id: string | null,
  find: (id: string) => Promise<T | null>,
): Promise<T | null> {
  if (!id) return null;
  const job = await find(id);
  return job && job.falRequestId === null ? job : null;
}

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
    // fal could not attach the output (payload_error): the workspace fetches it from the queue.
    const attached = delivery.status === "OK" && !delivery.payload_error;
    const failure = delivery.error ?? delivery.payload_error ?? "fal reported an error";
    const repo = createRepository(c.env);
    // The URL names the job too, for a job whose request id was never recorded (a restart between
    // fal's answer to the submit and our write); the signature already proved fal sent this.
    const named = new URL(c.req.url).searchParams;
    /** fal's word as the job reads it: a failure, the output, or null (fetch it from the queue). */
    const outcome = <T>(read: (payload: unknown) => T): T | Failure | null =>
      delivery.status !== "OK"
        ? { kind: "failed", reason: webhookReason(failure), detail: failure }
        : attached
          ? read(delivery.payload)
          : null;
    const generation =
      (await repo.findGenerationByFalRequest(requestId)) ??
      (await pending(named.get("generation"), (id) => repo.findGeneration(id)));
    if (generation) {
      await c.env.AVATAR_WORKSPACE.getByName(generation.avatarId).generationResult(
        generation.id,
        requestId,
        outcome(readGenerationOutput),
      );
      return c.json({ ok: true });
    }
    const avatar =
      (await repo.findAvatarByFalRequest(requestId)) ??
      (await pending(named.get("avatar"), (id) => repo.findAvatar(id)));
    if (!avatar) {
      log("info", "fal_webhook_unknown_request", { requestId });
      return c.json({ ok: true });
    }
    await c.env.AVATAR_WORKSPACE.getByName(avatar.id).trainingResult(requestId, outcome(readTrainingOutput));
    return c.json({ ok: true });
  });
}

/** fal's webhook names a failed job's HTTP status only in its error text ("Invalid status code: 422"). */
function webhookReason(error: string): FailureReason {
  const status = /status code:?\s*(\d{3})/i.exec(error)?.[1];
  return status ? reasonForStatus(Number(status)) : "unknown";
}
