import { ApiError } from "@fal-ai/client";
import type { Settings } from "../config/settings";
import { type Failure, reasonForStatus } from "../domain/failure-reason";
import {
  FalRequestError,
  FalUnavailable,
  type Trainer,
  type TrainingResult,
  type TrainingStatus,
} from "../domain/ports";
import type { TrainingPlan } from "../domain/training-plan";
import { createFal } from "./client";

/** fal's queue for one trainer endpoint, through @fal-ai/client (honouring FAL_BASE_URL). */
export class FalTrainer implements Trainer {
  readonly #fal;
  readonly #timeoutMs: number;

  constructor(settings: Settings) {
    this.#fal = createFal(settings);
    this.#timeoutMs = settings.avatar.FAL_API_TIMEOUT * 1000;
  }

  async submit(plan: TrainingPlan, webhookUrl: string): Promise<{ requestId: string; queuePosition: number }> {
    const queued = await this.#call(() =>
      this.#fal.queue.submit(plan.endpoint, {
        input: plan.input as never,
        webhookUrl,
        abortSignal: AbortSignal.timeout(this.#timeoutMs),
      }),
    );
    return { requestId: queued.request_id, queuePosition: queued.queue_position ?? 0 };
  }

  async status(endpoint: string, requestId: string): Promise<TrainingStatus> {
    const status = await this.#call(() =>
      this.#fal.queue.status(endpoint, { requestId, logs: true, abortSignal: AbortSignal.timeout(this.#timeoutMs) }),
    );
    if (status.status === "IN_QUEUE") return { kind: "queued", position: status.queue_position };
    if (status.status === "IN_PROGRESS") {
      const logs = (status.logs ?? []).map((l) => l.message);
      return { kind: "running", progress: progressFromLogs(logs), logs };
    }
    return { kind: "completed" };
  }

  /** The finished job's outcome; a job that "completed" without a usable LoRA file is a failure. */
  async result(endpoint: string, requestId: string): Promise<TrainingResult> {
    try {
      const result = await this.#fal.queue.result(endpoint, {
        requestId,
        abortSignal: AbortSignal.timeout(this.#timeoutMs),
      });
      return readTrainingOutput(result.data);
    } catch (error) {
      return jobFailure(error);
    }
  }

  /** Asks fal to stop; "already completed" is an answer, not an error. */
  async cancel(endpoint: string, requestId: string): Promise<"cancelled" | "already_completed" | "not_found"> {
    try {
      await this.#fal.queue.cancel(endpoint, { requestId, abortSignal: AbortSignal.timeout(this.#timeoutMs) });
      return "cancelled";
    } catch (error) {
      const status = (error as ApiError<unknown>).body as { status?: string } | undefined;
      if (error instanceof ApiError && status?.status === "ALREADY_COMPLETED") return "already_completed";
      if (error instanceof ApiError && (error.status === 404 || status?.status === "NOT_FOUND")) return "not_found";
      throw new FalUnavailable(error instanceof Error ? error.message : String(error));
    }
  }

  async #call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw asFalError(error);
    }
  }
}

/**
 * fal has no FAILED status: a failed job's result answers with its error. A 4xx (but 429) from
 * the result endpoint is therefore the job's failure; anything else means fal is unavailable.
 */
export function jobFailure(error: unknown): Failure {
  if (error instanceof ApiError && error.status >= 400 && error.status < 500 && error.status !== 429) {
    return {
      kind: "failed",
      reason: reasonForStatus(error.status),
      detail: describeFalError(error.status, error.body),
    };
  }
  throw new FalUnavailable(error instanceof Error ? error.message : String(error));
}

/** fal's client errors as ours: an HTTP answer is a FalRequestError, anything else FalUnavailable. */
export function asFalError(error: unknown): FalRequestError | FalUnavailable {
  if (error instanceof ApiError) return new FalRequestError(error.status, describeFalError(error.status, error.body));
  return new FalUnavailable(error instanceof Error ? error.message : String(error));
}

/** Reads a trainer's output (from the result endpoint or a webhook payload). */
export function readTrainingOutput(data: unknown): TrainingResult {
  const output = data as { diffusers_lora_file?: { url?: unknown }; config_file?: { url?: unknown } } | null;
  const url = output?.diffusers_lora_file?.url;
  if (typeof url !== "string" || !/^https?:\/\//.test(url)) {
    return { kind: "failed", reason: "no_result", detail: "fal finished without a LoRA file" };
  }
  const config = output?.config_file?.url;
  return { kind: "ok", loraUrl: url, configUrl: typeof config === "string" ? config : null };
}

/** fal's error bodies: `{detail: "…", error_type}` for infrastructure, `{detail: [{msg, loc}]}` for validation. */
export function describeFalError(status: number, body: unknown): string {
  const detail = (body as { detail?: unknown } | null)?.detail;
  if (typeof detail === "string") return `${status}: ${detail}`;
  if (Array.isArray(detail)) {
    return `${status}: ${detail.map((d: { msg?: string; loc?: unknown[] }) => `${(d.loc ?? []).join(".")} ${d.msg ?? ""}`.trim()).join("; ")}`;
  }
  return `${status}`;
}

/** The last "step k/N" or "k%" a trainer logged, as 0–100. */
export function progressFromLogs(lines: string[]): number | null {
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i] ?? "";
    const steps = /(\d+)\s*\/\s*(\d+)/.exec(line);
    if (steps && Number(steps[2]) > 0) return Math.min(100, Math.round((Number(steps[1]) / Number(steps[2])) * 100));
    const percent = /(\d{1,3})\s*%/.exec(line);
    if (percent) return Math.min(100, Number(percent[1]));
  }
  return null;
}
