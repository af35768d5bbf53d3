import type { Settings } from "../config/settings";
import type { AspectRatio } from "../domain/entities";
import type { Failure } from "../domain/failure-reason";
import { createFal } from "./client";
import { asFalError, jobFailure } from "./trainer";

export const GENERATION_ENDPOINT = "fal-ai/flux-lora";
/** The preview before training: a zero-shot identity model that takes one reference photo, one picture a call. */
export const PREVIEW_ENDPOINT = "fal-ai/flux-pulid";

/** Our aspect ratios as fal's `image_size` presets. */
export const IMAGE_SIZES: Record<AspectRatio, string> = {
  "1:1": "square_hd",
  "3:4": "portrait_4_3",
  "9:16": "portrait_16_9",
  "16:9": "landscape_16_9",
};

export interface GenerationRequest {
  prompt: string;
  loraUrl: string;
  loraScale: number;
  aspect: AspectRatio;
  count: number;
  seed: number;
}

export interface PreviewRequest {
  prompt: string;
  /** The reference photo, as a URL or a data URI. */
  referenceImageUrl: string;
  aspect: AspectRatio;
  seed: number;
}

export type GenerationOutput =
  | { kind: "ok"; images: Array<{ url: string; nsfw: boolean }>; seed: number | null }
  | Failure;

/** fal's text-to-image with the avatar's LoRA, through the queue (honouring FAL_BASE_URL). */
export class FalGenerator {
  readonly #fal;
  readonly #timeoutMs: number;

  constructor(settings: Settings) {
    this.#fal = createFal(settings);
    this.#timeoutMs = settings.avatar.FAL_API_TIMEOUT * 1000;
  }

  submit(request: GenerationRequest, webhookUrl: string): Promise<string> {
    return this.#queue(GENERATION_ENDPOINT, webhookUrl, {
      prompt: request.prompt,
      loras: [{ path: request.loraUrl, scale: request.loraScale }],
      image_size: IMAGE_SIZES[request.aspect],
      num_images: request.count,
      seed: request.seed,
      enable_safety_checker: true,
      output_format: "jpeg",
    });
  }

  /** fal-ai/flux-pulid through the queue: its output has flux-lora's shape (images[], has_nsfw_concepts[], seed). */
  submitPreview(request: PreviewRequest, webhookUrl: string): Promise<string> {
    return this.#queue(PREVIEW_ENDPOINT, webhookUrl, {
      prompt: request.prompt,
      reference_image_url: request.referenceImageUrl,
      image_size: IMAGE_SIZES[request.aspect],
      seed: request.seed,
      enable_safety_checker: true,
    });
  }

  async #queue(endpoint: string, webhookUrl: string, input: Record<string, unknown>): Promise<string> {
    try {
      const queued = await this.#fal.queue.submit(endpoint, {
        input: input as never,
        webhookUrl,
        abortSignal: AbortSignal.timeout(this.#timeoutMs),
      });
      return queued.request_id;
    } catch (error) {
      throw asFalError(error);
    }
  }

  async poll(requestId: string, endpoint: string = GENERATION_ENDPOINT): Promise<GenerationOutput | null> {
    try {
      const status = await this.#fal.queue.status(endpoint, {
        requestId,
        abortSignal: AbortSignal.timeout(this.#timeoutMs),
      });
      if (status.status !== "COMPLETED") return null;
      const result = await this.#fal.queue.result(endpoint, {
        requestId,
        abortSignal: AbortSignal.timeout(this.#timeoutMs),
      });
      return readGenerationOutput(result.data);
    } catch (error) {
      return jobFailure(error);
    }
  }
}

/** fal-ai/flux-lora's output: `images[]` and `has_nsfw_concepts[]`, index for index. */
export function readGenerationOutput(data: unknown): GenerationOutput {
  const output = data as { images?: Array<{ url?: unknown }>; has_nsfw_concepts?: unknown[]; seed?: unknown } | null;
  const images = (output?.images ?? []).flatMap((image, i) =>
    typeof image?.url === "string" ? [{ url: image.url, nsfw: output?.has_nsfw_concepts?.[i] === true }] : [],
  );
  if (images.length === 0) return { kind: "failed", reason: "no_result", detail: "fal returned no images" };
  return { kind: "ok", images, seed: typeof output?.seed === "number" ? output.seed : null };
}
