import type { FaceBox, PhotoDecoder, PhotoQuality } from "./entities";
import type { Failure } from "./failure-reason";
import type { TrainingPlan } from "./training-plan";

/*
 * What the services ask of the outside world besides the repository and object storage: fal's trainer
 * and face check, Telegram's files, the image codecs. The adapters (src/fal, src/telegram, src/images)
 * implement these and throw these errors; the services never import an adapter.
 */

export type TrainingStatus =
  | { kind: "queued"; position: number }
  | { kind: "running"; progress: number | null; logs: string[] }
  | { kind: "completed" };

export type TrainingResult = { kind: "ok"; loraUrl: string; configUrl: string | null } | Failure;

/** fal's queue for training. */
export interface Trainer {
  submit(plan: TrainingPlan, webhookUrl: string): Promise<{ requestId: string; queuePosition: number }>;
  status(endpoint: string, requestId: string): Promise<TrainingStatus>;
  /** The finished job's outcome; a job that "completed" without a usable LoRA file is a failure. */
  result(endpoint: string, requestId: string): Promise<TrainingResult>;
  /** Asks fal to stop; "already completed" is an answer, not an error. */
  cancel(endpoint: string, requestId: string): Promise<"cancelled" | "already_completed" | "not_found">;
}

/** fal answered with an HTTP error. */
export class FalRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** fal could not be reached, or gave no usable answer. */
export class FalUnavailable extends Error {}

export type FaceCheck = { kind: "faces"; boxes: FaceBox[] } | { kind: "skipped" } | { kind: "failed"; error: string };

/** Bots may download files of at most 20 MB; Telegram refuses getFile above that. */
export const TELEGRAM_DOWNLOAD_LIMIT = 20 * 1000 * 1000;

export class FileDownloadError extends Error {
  constructor(
    readonly reason: "too_big" | "gone" | "unavailable",
    message: string,
  ) {
    super(message);
  }
}

export type PhotoFormat = "JPEG" | "PNG" | "WEBP";

export interface ImageHeader {
  width: number;
  height: number;
  orientation: number;
}

/** Decoded pixels, RGBA, 8 bits per channel. */
export interface Raster {
  data: Uint8ClampedArray;
  width: number;
  height: number;
}

/** A photo decoded and turned as the user sees it. */
export interface UprightPhoto {
  raster: Raster;
  decoder: PhotoDecoder;
}

export interface PreparedPhoto {
  thumbnail: ArrayBuffer;
  processed: ArrayBuffer;
  processedWidth: number;
  processedHeight: number;
  quality: PhotoQuality;
  decoder: PhotoDecoder;
  /** The picture's 64-bit dHash as 16 hex digits, from the thumbnail. */
  perceptualHash: string;
}

/** A photo the codecs will not decode, and why. */
export class ImageRefusal extends Error {
  constructor(
    readonly reason: "unreadable" | "too_complex",
    message: string,
  ) {
    super(message);
  }
}

/** The image codecs a photo check runs through. */
export interface PhotoImages {
  /** What the first bytes say the file is ("JPEG", "GIF", …, "UNKNOWN"); never its name or MIME type. */
  sniff(bytes: Uint8Array): string;
  /** Dimensions and EXIF orientation from the header alone; null when there is no readable header. */
  readHeader(bytes: Uint8Array): ImageHeader | null;
  /**
   * Decodes within the memory budget and applies the orientation; throws ImageRefusal. `pause` is
   * awaited between the decode's steps (bands of rows).
   */
  decodeUpright(
    bytes: Uint8Array,
    format: PhotoFormat,
    header: ImageHeader,
    pause?: () => Promise<void>,
  ): Promise<UprightPhoto>;
  /**
   * The thumbnail, the training crop (face-centred when a face is known) and a quality score;
   * `pause` is awaited between its steps (bands of rows of the region's decode, each resize, each encode).
   */
  prepare(upright: UprightPhoto, face: FaceBox | null, pause?: () => Promise<void>): Promise<PreparedPhoto>;
}
