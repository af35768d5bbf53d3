import type { AvatarSettings } from "../config/settings";
import { coachedPhoto, type PhotoAdvice, photoAdvice } from "../domain/likeness-coach";
import { isNearDuplicate } from "../domain/near-duplicate";
import type { ObjectStorage } from "../domain/object-storage";
import { PHOTO_CHECK } from "../domain/photo-check-lifecycle";
import {
  type FaceCheck,
  FileDownloadError,
  type ImageHeader,
  ImageRefusal,
  type PhotoFormat,
  type PhotoImages,
  type PreparedPhoto,
  TELEGRAM_DOWNLOAD_LIMIT,
  type UprightPhoto,
} from "../domain/ports";
import type { Repository } from "../domain/repository";
import { PHOTO_EXTENSIONS, photoKeys } from "../domain/storage-keys";
import { errorFields, log } from "../log";

/** One photo or image file a user sent, waiting in the avatar's workspace. */
export interface PhotoJob {
  id: string;
  avatarId: string;
  userId: string;
  chatId: number;
  messageId: number;
  kind: "photo" | "document";
  fileId: string;
  fileUniqueId: string;
  fileSize?: number;
  fileName?: string;
  /** For compressed photos: Telegram's pre-scaled variant closest above 1024 px, decoded instead of the original. */
  preview?: { fileId: string; width: number; height: number };
  receivedAt: number;
}

export type RefusalReason =
  | "too_big"
  | "wrong_format"
  | "too_small"
  | "too_large"
  | "unreadable"
  | "too_complex"
  | "no_face"
  | "many_faces"
  | "duplicate"
  | "full"
  | "not_uploading"
  | "failed";

export type PhotoOutcome =
  | {
      kind: "accepted";
      uploadOrder: number;
      photosCount: number;
      alsoIn: string | null;
      faceChecked: boolean;
      photoId: string;
      /** The likeness coach's advice, most harmful first; the vision part arrives later (PhotoQueue). */
      advice: PhotoAdvice[];
    }
  | { kind: "refused"; reason: RefusalReason; format?: string; width?: number; height?: number; uploadOrder?: number };

export interface PhotoServiceDeps {
  repo: Repository;
  storage: ObjectStorage;
  settings: AvatarSettings;
  images: PhotoImages;
  download: (fileId: string, maxBytes: number) => Promise<Uint8Array>;
  detectFaces: (jpeg: ArrayBuffer) => Promise<FaceCheck>;
  nextSequence: () => Promise<number>;
  /** Called with keys that could not be deleted right away, to be retried later. */
  scheduleCleanup: (keys: string[]) => Promise<void>;
  /**
   * Called between the long synchronous steps of a check (decode, resizes, encodes), so that work
   * sharing the thread (the webhook, under `wrangler dev`) gets in between them.
   */
  pause?: () => Promise<void>;
  now?: () => Date;
}

/** The spec's PhotoService: validate cheapest first, deduplicate, store, record. */
export class PhotoService {
  constructor(private readonly deps: PhotoServiceDeps) {}

  async process(job: PhotoJob): Promise<PhotoOutcome> {
    const started = Date.now();
    const outcome = await this.#process(job);
    const fields = { avatarId: job.avatarId, jobId: job.id, ms: Date.now() - started };
    if (outcome.kind === "refused") log("info", "photo_refused", { ...fields, reason: outcome.reason });
    else log("info", "photo_accepted", { ...fields, uploadOrder: outcome.uploadOrder });
    return outcome;
  }

  async #process(job: PhotoJob): Promise<PhotoOutcome> {
    const { settings, repo } = this.deps;
    const limit = Math.min(settings.MAX_PHOTO_SIZE, TELEGRAM_DOWNLOAD_LIMIT);
    if (job.fileSize !== undefined && job.fileSize > limit) return refused("too_big");
    if ((await repo.countPhotos(job.avatarId)) >= settings.MAX_PHOTOS_PER_AVATAR) return refused("full");

    let original: Uint8Array;
    try {
      original = await this.deps.download(job.fileId, limit);
    } catch (error) {
      if (error instanceof FileDownloadError && error.reason === "too_big") return refused("too_big");
      log("warn", "photo_download_failed", { avatarId: job.avatarId, jobId: job.id, ...errorFields(error) });
      return refused("failed");
    }
    if (original.length === 0) return refused("unreadable");

    const { images } = this.deps;
    const sniffed = images.sniff(original);
    if (sniffed === "UNKNOWN") return refused("unreadable");
    if (!(settings.ALLOWED_PHOTO_FORMATS as readonly string[]).includes(sniffed))
      return { kind: "refused", reason: "wrong_format", format: sniffed };
    const format = sniffed as PhotoFormat;

    const header = images.readHeader(original);
    if (!header) return refused("unreadable");
    const shortSide = Math.min(header.width, header.height);
    const longSide = Math.max(header.width, header.height);
    if (shortSide < settings.MIN_PHOTO_RESOLUTION)
      return { kind: "refused", reason: "too_small", width: header.width, height: header.height };
    if (longSide > settings.MAX_PHOTO_RESOLUTION)
      return { kind: "refused", reason: "too_large", width: header.width, height: header.height };

    const fileHash = await sha256Hex(original);
    if (await repo.findPhotoByHash(job.avatarId, fileHash)) return refused("duplicate");

    const pause = this.deps.pause ?? (async () => {});
    let decoded: UprightPhoto;
    try {
      await pause();
      decoded = await this.#decode(job, original, format, header);
    } catch (error) {
      return refused(this.#decodeFailure(job, error));
    }

    // Faces are looked for on the upright, resized picture; boxes come back normalised.
    let probe: PreparedPhoto;
    try {
      await pause();
      probe = await images.prepare(decoded, null, pause);
    } catch (error) {
      return refused(this.#decodeFailure(job, error));
    }
    // The same picture in other bytes (a photo and the same photo as a file, or sent again after
    // Telegram recompressed it) is a duplicate too; checked before paying for a face check.
    if (isNearDuplicate(probe.perceptualHash, await repo.listPerceptualHashes(job.avatarId)))
      return refused("duplicate");
    const faces = await this.deps.detectFaces(probe.processed);
    if (faces.kind === "faces" && faces.boxes.length === 0) return refused("no_face");
    if (faces.kind === "faces" && faces.boxes.length > 1) return refused("many_faces");
    const face = faces.kind === "faces" ? (faces.boxes[0] ?? null) : null;
    if (faces.kind === "skipped")
      log("info", "face_check_skipped", { avatarId: job.avatarId, jobId: job.id, why: "no FAL_KEY" });
    if (faces.kind === "failed")
      log("warn", "face_check_failed", { avatarId: job.avatarId, jobId: job.id, error: faces.error });
    const prepared = face ? await images.prepare(decoded, face, pause) : probe;

    const sequence = await this.deps.nextSequence();
    const keys = photoKeys(job.userId, job.avatarId, sequence, PHOTO_EXTENSIONS[format]);
    const stored = await this.#storeAll([
      [keys.original, original, mimeOf(format)],
      [keys.thumbnail, prepared.thumbnail, "image/jpeg"],
      [keys.processed, prepared.processed, "image/jpeg"],
    ]);
    if (!stored) return refused("failed");

    const alsoIn = await repo.findOtherAvatarWithHash(job.userId, job.avatarId, fileHash);
    let result: Awaited<ReturnType<Repository["insertPhoto"]>>;
    const photoId = crypto.randomUUID();
    try {
      result = await repo.insertPhoto(
        {
          id: photoId,
          avatarId: job.avatarId,
          userId: job.userId,
          minioKey: keys.original,
          fileHash,
          perceptualHash: probe.perceptualHash,
          // A photo whose face check could not run (fal down) waits as PENDING and is checked again.
          validationStatus: faces.kind === "failed" ? "PENDING" : "VALID",
          fileSize: original.length,
          width: header.width,
          height: header.height,
          format: PHOTO_EXTENSIONS[format],
          hasFace: faces.kind === "faces" ? true : null,
          qualityScore: prepared.quality.score,
          photoMetadata: {
            seq: sequence,
            thumbnailKey: keys.thumbnail,
            processedKey: keys.processed,
            thumbnailBytes: prepared.thumbnail.byteLength,
            processedBytes: prepared.processed.byteLength,
            source: job.kind,
            telegramFileUniqueId: job.fileUniqueId,
            orientation: header.orientation,
            decoder: prepared.decoder,
            faceBox: face,
            quality: prepared.quality,
            ...(job.fileName ? { fileName: job.fileName } : {}),
          },
        },
        this.deps.settings.MAX_PHOTOS_PER_AVATAR,
        this.#now(),
      );
    } catch (error) {
      log("error", "photo_row_failed", { avatarId: job.avatarId, jobId: job.id, ...errorFields(error) });
      await this.#removeQuietly([keys.original, keys.thumbnail, keys.processed]);
      return refused("failed");
    }
    if (result.kind !== "inserted") {
      await this.#removeQuietly([keys.original, keys.thumbnail, keys.processed]);
      return refused(result.kind);
    }
    return {
      kind: "accepted",
      uploadOrder: result.uploadOrder,
      photosCount: result.photosCount,
      alsoIn: alsoIn ? (alsoIn.name ?? "") : null,
      faceChecked: faces.kind === "faces",
      photoId,
      advice: photoAdvice({
        faceBox: face,
        quality: prepared.quality,
        attributes: null,
        perceptualHash: probe.perceptualHash,
      }),
    };
  }

  /**
   * Runs the face check again for photos kept as PENDING. Returns what became of each: accepted,
   * refused (and deleted: no face, several faces) or still waiting (fal still failing).
   */
  async recheckPending(avatarId: string, deletePhoto: (photoId: string) => Promise<void>): Promise<PhotoOutcome[]> {
    const outcomes: PhotoOutcome[] = [];
    for (const photo of await this.deps.repo.listPendingPhotos(avatarId, 10)) {
      const { processedKey } = photo.photoMetadata;
      const object = processedKey ? await this.deps.storage.get(processedKey) : null;
      if (!object) {
        // Its crop is gone: it could never be trained on, so it goes, and the user is asked again.
        await deletePhoto(photo.id);
        outcomes.push({ kind: "refused", reason: "failed", uploadOrder: photo.uploadOrder });
        continue;
      }
      const faces = await this.deps.detectFaces(await object.arrayBuffer());
      if (faces.kind === "failed" || faces.kind === "skipped") {
        if (this.#now().getTime() - photo.createdAt.getTime() < PHOTO_CHECK.pendingDeadlineMs) continue;
        // fal's face check has been out of reach for hours: the photo counts, marked unchecked.
        await this.deps.repo.markPhotoValid(photo.id, { faceCheck: "unavailable" }, this.#now(), null);
        log("warn", "photo_face_check_given_up", { avatarId, photoId: photo.id });
        outcomes.push({
          kind: "accepted",
          uploadOrder: photo.uploadOrder,
          photosCount: 0,
          alsoIn: null,
          faceChecked: false,
          photoId: photo.id,
          advice: photoAdvice(coachedPhoto(photo)),
        });
        continue;
      }
      if (faces.boxes.length !== 1) {
        await deletePhoto(photo.id);
        outcomes.push({
          kind: "refused",
          reason: faces.boxes.length === 0 ? "no_face" : "many_faces",
          uploadOrder: photo.uploadOrder,
        });
        continue;
      }
      await this.deps.repo.markPhotoValid(photo.id, { faceBox: faces.boxes[0] }, this.#now());
      log("info", "photo_face_rechecked", { avatarId, photoId: photo.id });
      outcomes.push({
        kind: "accepted",
        uploadOrder: photo.uploadOrder,
        photosCount: 0,
        alsoIn: null,
        faceChecked: true,
        photoId: photo.id,
        advice: photoAdvice(
          coachedPhoto({ ...photo, photoMetadata: { ...photo.photoMetadata, faceBox: faces.boxes[0] } }),
        ),
      });
    }
    return outcomes;
  }

  /** A decoder that refuses says why; one that crashes (a crafted file) makes the photo unreadable. */
  #decodeFailure(job: PhotoJob, error: unknown): RefusalReason {
    if (error instanceof ImageRefusal) return error.reason;
    log("warn", "photo_decoder_crashed", { avatarId: job.avatarId, jobId: job.id, ...errorFields(error) });
    return "unreadable";
  }

  async #decode(job: PhotoJob, original: Uint8Array, format: PhotoFormat, header: ImageHeader): Promise<UprightPhoto> {
    const { images } = this.deps;
    const pause = this.deps.pause;
    if (job.preview && job.preview.fileId !== job.fileId) {
      // Telegram already made a smaller JPEG of this photo: decoding it costs a fraction of the original.
      try {
        const preview = await this.deps.download(job.preview.fileId, TELEGRAM_DOWNLOAD_LIMIT);
        const previewHeader = images.readHeader(preview);
        if (previewHeader && images.sniff(preview) === "JPEG")
          return await images.decodeUpright(preview, "JPEG", previewHeader, pause);
      } catch (error) {
        log("warn", "photo_preview_unusable", { jobId: job.id, ...errorFields(error) });
      }
    }
    return images.decodeUpright(original, format, header, pause);
  }

  /** Puts every object or none: on a failure the ones already stored are removed again. */
  async #storeAll(objects: Array<[string, ArrayBuffer | Uint8Array, string]>): Promise<boolean> {
    const done: string[] = [];
    try {
      for (const [key, body, type] of objects) {
        await this.deps.storage.put(key, body, type);
        done.push(key);
      }
      return true;
    } catch (error) {
      log("error", "photo_store_failed", { keys: objects.map(([k]) => k), ...errorFields(error) });
      await this.#removeQuietly(done);
      return false;
    }
  }

  async #removeQuietly(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    try {
      await this.deps.storage.delete(keys);
    } catch (error) {
      log("error", "photo_cleanup_failed", { keys, ...errorFields(error) });
      await this.deps.scheduleCleanup(keys);
    }
  }

  #now(): Date {
    return this.deps.now?.() ?? new Date();
  }
}

function refused(reason: RefusalReason): PhotoOutcome {
  return { kind: "refused", reason };
}

function mimeOf(format: PhotoFormat): string {
  return format === "JPEG" ? "image/jpeg" : format === "PNG" ? "image/png" : "image/webp";
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
