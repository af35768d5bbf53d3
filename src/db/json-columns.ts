import {
  ASPECT_RATIOS,
  type AspectRatio,
  type AvatarData,
  DEFAULT_PICTURE_OPTIONS,
  type FaceBox,
  type FalImages,
  type GenerationOptions,
  LANGUAGES,
  MAX_PICTURES,
  type PhotoAttributes,
  type PhotoDecoder,
  type PhotoMetadata,
  type PhotoQuality,
  type PictureOptions,
  type TrainingArchive,
  type TrainingConfig,
} from "../domain/entities";

/*
 * The JSON columns as the domain types, read defensively: a row written by an older version (a field
 * missing, renamed or of another type) still reads. A missing or malformed field takes its default or
 * is left out, fields nobody knows are dropped, and nothing here throws.
 */

type Json = Record<string, unknown>;

const asObject = (value: unknown): Json =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : {};
const asNumber = (value: unknown): number | undefined =>
  typeof value === "number" && Number.isFinite(value) ? value : undefined;
const asString = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);
const oneOf = <T extends string>(options: readonly T[], value: unknown): T | undefined =>
  options.find((option) => option === value);
/** `{ [key]: value }` when there is a value, else nothing: optional fields stay absent, never undefined. */
const some = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };

export function parseAvatarData(raw: unknown): AvatarData {
  const data = asObject(raw);
  return {
    ...some("trainingData", trainingArchive(data.trainingData)),
    ...some("genOptions", data.genOptions === undefined ? undefined : pictureOptions(data.genOptions)),
  };
}

function trainingArchive(raw: unknown): TrainingArchive | undefined {
  const archive = asObject(raw);
  const key = asString(archive.key);
  if (key === undefined) return undefined;
  return { key, createdAt: asNumber(archive.createdAt) ?? 0, bytes: asNumber(archive.bytes) ?? 0 };
}

function pictureOptions(raw: unknown): PictureOptions {
  const options = asObject(raw);
  const count = asNumber(options.count);
  return {
    aspect: oneOf<AspectRatio>(ASPECT_RATIOS, options.aspect) ?? DEFAULT_PICTURE_OPTIONS.aspect,
    count:
      count !== undefined && Number.isInteger(count) && count >= 1 && count <= MAX_PICTURES
        ? count
        : DEFAULT_PICTURE_OPTIONS.count,
  };
}

export function parseTrainingConfig(raw: unknown): TrainingConfig {
  const config = asObject(raw);
  const input = Object.entries(asObject(config.input)).filter(
    (entry): entry is [string, string | number | boolean] =>
      typeof entry[1] === "string" || typeof entry[1] === "boolean" || asNumber(entry[1]) !== undefined,
  );
  return {
    ...some("endpoint", asString(config.endpoint)),
    ...(config.input === undefined ? {} : { input: Object.fromEntries(input) }),
    ...some("loraRank", asNumber(config.loraRank)),
    ...some("photos", asNumber(config.photos)),
    ...(config.configFileUrl === null
      ? { configFileUrl: null }
      : some("configFileUrl", asString(config.configFileUrl))),
    ...some("trainingId", asString(config.trainingId)),
  };
}

const DECODERS: readonly PhotoDecoder[] = ["jsquash", "jpeg-scaled", "png-streaming", "libwebp", "libjpeg-turbo"];

export function parsePhotoMetadata(raw: unknown): PhotoMetadata {
  const meta = asObject(raw);
  return {
    seq: asNumber(meta.seq) ?? 0,
    thumbnailKey: asString(meta.thumbnailKey) ?? null,
    processedKey: asString(meta.processedKey) ?? null,
    thumbnailBytes: asNumber(meta.thumbnailBytes) ?? 0,
    processedBytes: asNumber(meta.processedBytes) ?? 0,
    ...some("source", oneOf(["photo", "document"] as const, meta.source)),
    ...some("telegramFileUniqueId", asString(meta.telegramFileUniqueId)),
    ...some("orientation", asNumber(meta.orientation)),
    ...some("decoder", oneOf(DECODERS, meta.decoder)),
    ...(meta.faceBox === null ? { faceBox: null } : some("faceBox", faceBox(meta.faceBox))),
    ...some("quality", quality(meta.quality)),
    ...some("fileName", asString(meta.fileName)),
    ...some("faceCheck", oneOf(["unavailable"] as const, meta.faceCheck)),
    ...(meta.attributes === null ? { attributes: null } : some("attributes", attributes(meta.attributes))),
  };
}

function attributes(raw: unknown): PhotoAttributes | undefined {
  const a = asObject(raw);
  const gaze = oneOf(["camera", "away"] as const, a.gaze);
  const pose = oneOf(["front", "three_quarter", "profile"] as const, a.pose);
  if (gaze === undefined || pose === undefined) return undefined;
  return {
    sunglasses: a.sunglasses === true,
    headCovering: a.headCovering === true,
    heavyFilter: a.heavyFilter === true,
    gaze,
    pose,
  };
}

function faceBox(raw: unknown): FaceBox | undefined {
  const box = asObject(raw);
  const [x, y, width, height] = [box.x, box.y, box.width, box.height].map(asNumber);
  if (x === undefined || y === undefined || width === undefined || height === undefined) return undefined;
  return { x, y, width, height };
}

function quality(raw: unknown): PhotoQuality | undefined {
  const parts = asObject(raw);
  const score = asNumber(parts.score);
  if (score === undefined) return undefined;
  return {
    score,
    sharpness: asNumber(parts.sharpness) ?? 0,
    exposure: asNumber(parts.exposure) ?? 0,
    contrast: asNumber(parts.contrast) ?? 0,
    ...some("brightness", asNumber(parts.brightness)),
  };
}

export function parseGenerationOptions(raw: unknown): GenerationOptions {
  const options = asObject(raw);
  const fileIds = Array.isArray(options.fileIds) ? options.fileIds.filter((id) => typeof id === "string") : undefined;
  return {
    ...pictureOptions(options),
    chatId: asNumber(options.chatId) ?? 0,
    language: oneOf(LANGUAGES, options.language) ?? "en",
    ...some("bytes", asNumber(options.bytes)),
    ...some("fileIds", fileIds),
    ...some("flagged", asNumber(options.flagged)),
    ...some("delivered", typeof options.delivered === "boolean" ? options.delivered : undefined),
    ...some("payer", asNumber(options.payer)),
    ...some("preview", previewOf(options.preview)),
  };
}

function previewOf(raw: unknown): { referenceKey: string } | undefined {
  const referenceKey = asString(asObject(raw).referenceKey);
  return referenceKey === undefined ? undefined : { referenceKey };
}

export function parseFalImages(raw: unknown): FalImages | null {
  if (raw === null || raw === undefined) return null;
  const output = asObject(raw);
  const images = (Array.isArray(output.images) ? output.images : []).flatMap((image) => {
    const url = asString(asObject(image).url);
    return url === undefined ? [] : [{ url, nsfw: asObject(image).nsfw === true }];
  });
  return { images, seed: asNumber(output.seed) ?? null };
}

export function parseStringList(raw: unknown): string[] {
  return Array.isArray(raw) ? raw.filter((item) => typeof item === "string") : [];
}
