import { ApiError } from "@fal-ai/client";
import type { Settings } from "../config/settings";
import type { FaceBox } from "../domain/entities";
import type { FaceCheck } from "../domain/ports";
import { createFal } from "./client";

export const FACE_DETECTION_ENDPOINT = "fal-ai/moondream3-preview/detect";

interface DetectOutput {
  objects?: Array<{ x_min: number; y_min: number; x_max: number; y_max: number }>;
}

/**
 * Looks for human faces with fal's Moondream detector. Without FAL_KEY the check is skipped
 * (the photo gets has_face = null); a fal failure is reported, never mistaken for "no face". A check
 * that has not answered within `budgetMs` counts as a failure, so one photo cannot hold the queue.
 */
export function createFaceDetector(
  settings: Settings,
  budgetMs = settings.avatar.FAL_API_TIMEOUT * 1000,
): (jpeg: ArrayBuffer) => Promise<FaceCheck> {
  if (!settings.falKey) return async () => ({ kind: "skipped" });
  const fal = createFal(settings);
  return async (jpeg) => {
    try {
      const result = await fal.run(FACE_DETECTION_ENDPOINT, {
        input: { image_url: `data:image/jpeg;base64,${toBase64(new Uint8Array(jpeg))}`, prompt: "human face" },
        abortSignal: AbortSignal.timeout(Math.min(budgetMs, settings.avatar.FAL_API_TIMEOUT * 1000)),
      });
      const objects = (result.data as DetectOutput).objects;
      if (!Array.isArray(objects)) return { kind: "failed", error: "detector answered without objects" };
      return { kind: "faces", boxes: objects.map(toBox) };
    } catch (error) {
      const detail = error instanceof ApiError ? `${error.status} ${error.message}` : String(error);
      return { kind: "failed", error: detail };
    }
  };
}

function toBox(object: { x_min: number; y_min: number; x_max: number; y_max: number }): FaceBox {
  const clamp = (v: number) => Math.min(1, Math.max(0, v));
  const x = clamp(object.x_min);
  const y = clamp(object.y_min);
  return { x, y, width: clamp(object.x_max) - x, height: clamp(object.y_max) - y };
}

/** Bytes as base64, for a data URI fal reads the picture from. */
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}
