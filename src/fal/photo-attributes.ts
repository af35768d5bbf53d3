import { ApiError } from "@fal-ai/client";
import type { Settings } from "../config/settings";
import type { PhotoAttributes } from "../domain/entities";
import { createFal } from "./client";
import { toBase64 } from "./face-detector";

export const ATTRIBUTES_ENDPOINT = "fal-ai/moondream3-preview/query";

/**
 * One question covers every attribute, so a photo costs one call (about 750 input and 40 output
 * tokens: well under a tenth of a cent). Reasoning is off: it costs output tokens and time, and the
 * answer is a handful of words.
 */
export const ATTRIBUTES_PROMPT =
  'Look at the person in this photo and answer with JSON only, no other text: {"sunglasses": true if they wear sunglasses or tinted glasses, "head_covering": true if a hat, cap, hood, headscarf or other covering hides the hair or forehead, "heavy_filter": true if a strong filter, beauty retouch or skin smoothing changes how the face looks, "gaze": "camera" if the eyes look at or near the camera, otherwise "away", "pose": "front", "three_quarter" or "profile"}.';

export type AttributesCheck =
  | { kind: "seen"; attributes: PhotoAttributes }
  | { kind: "skipped" }
  | { kind: "failed"; error: string };

/**
 * Asks fal's Moondream 3 what hurts likeness on a photo. Bounded by `budgetMs`; any failure (an HTTP
 * error, a timeout, an answer that is not the JSON asked for) is reported, never thrown, because a
 * photo without advice is still a good photo.
 */
export function createAttributesCheck(
  settings: Settings,
  budgetMs: number,
): (jpeg: ArrayBuffer) => Promise<AttributesCheck> {
  if (!settings.falKey) return async () => ({ kind: "skipped" });
  const fal = createFal(settings);
  return async (jpeg) => {
    try {
      const result = await fal.run(ATTRIBUTES_ENDPOINT, {
        input: {
          image_url: `data:image/jpeg;base64,${toBase64(new Uint8Array(jpeg))}`,
          prompt: ATTRIBUTES_PROMPT,
          reasoning: false,
          temperature: 0,
        },
        abortSignal: AbortSignal.timeout(Math.min(budgetMs, settings.avatar.FAL_API_TIMEOUT * 1000)),
      });
      const attributes = readAttributes((result.data as { output?: unknown }).output);
      if (!attributes) return { kind: "failed", error: "the answer was not the JSON asked for" };
      return { kind: "seen", attributes };
    } catch (error) {
      const detail = error instanceof ApiError ? `${error.status} ${error.message}` : String(error);
      return { kind: "failed", error: detail };
    }
  };
}

/** The JSON object in Moondream's `output` text (it may come fenced or with words around it). */
export function readAttributes(output: unknown): PhotoAttributes | null {
  if (typeof output !== "string") return null;
  const start = output.indexOf("{");
  const end = output.lastIndexOf("}");
  if (start < 0 || end <= start) return null;
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(output.slice(start, end + 1)) as Record<string, unknown>;
  } catch {
    return null;
  }
  const gaze = parsed.gaze === "camera" || parsed.gaze === "away" ? parsed.gaze : null;
  const pose =
    parsed.pose === "front" || parsed.pose === "three_quarter" || parsed.pose === "profile" ? parsed.pose : null;
  const flags = [parsed.sunglasses, parsed.head_covering, parsed.heavy_filter];
  if (!gaze || !pose || flags.some((flag) => typeof flag !== "boolean")) return null;
  return {
    sunglasses: parsed.sunglasses === true,
    headCovering: parsed.head_covering === true,
    heavyFilter: parsed.heavy_filter === true,
    gaze,
    pose,
  };
}
