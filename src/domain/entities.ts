import type {
  AvatarGender,
  AvatarStatus,
  AvatarType,
  FalPriority,
  GenerationStatus,
  PhotoValidationStatus,
} from "./avatar";

/**
 * The domain's records as plain data: what the services, the bot and the jobs work with. Each
 * database's repository maps its rows onto these (src/db/rows.ts), JSON columns parsed into the
 * types below, so nothing above the repository reads a row type or casts a JSON column.
 */

export const LANGUAGES = ["ru", "en"] as const;
export type Language = (typeof LANGUAGES)[number];

export const ASPECT_RATIOS = ["1:1", "3:4", "9:16", "16:9"] as const;
export type AspectRatio = (typeof ASPECT_RATIOS)[number];

/** Pictures one generation may ask for at most. */
export const MAX_PICTURES = 4;

/** What a generation asks for: the picture shape and how many. */
export interface PictureOptions {
  aspect: AspectRatio;
  count: number;
}

/** The options a trained avatar's menu starts from. */
export const DEFAULT_PICTURE_OPTIONS: PictureOptions = { aspect: "3:4", count: 2 };

export type FalMode = "character" | "style" | "custom";

export interface User {
  id: string;
  telegramId: number;
  languageCode: Language;
  firstName: string | null;
  lastName: string | null;
  username: string | null;
  createdAt: Date;
  lastSeenAt: Date;
}

export interface Avatar {
  id: string;
  userId: string;
  name: string | null;
  gender: AvatarGender | null;
  avatarType: AvatarType | null;
  status: AvatarStatus;
  /** What a generation needs from fal: the trained LoRA file's URL. */
  finetuneId: string | null;
  /** fal's queue request id of the current or last training; never the LoRA itself. */
  falRequestId: string | null;
  falEndpoint: string | null;
  trainingError: string | null;
  lastStatusCheckAt: Date | null;
  trainingProgress: number;
  trainingStartedAt: Date | null;
  trainingCompletedAt: Date | null;
  falMode: FalMode | null;
  falIterations: number;
  falPriority: FalPriority;
  triggerWord: string;
  loraRank: number;
  avatarData: AvatarData;
  trainingConfig: TrainingConfig;
  photosCount: number;
  generationsCount: number;
  createdAt: Date;
  updatedAt: Date;
}

/** avatar_data: what is kept with the avatar besides its columns. */
export interface AvatarData {
  /** The training archive, while it is stored (retention removes it after TRAINING_DATA_TTL). */
  trainingData?: TrainingArchive;
  /** The options last chosen in the avatar's generation menu. */
  genOptions?: PictureOptions;
}

export interface TrainingArchive {
  key: string;
  /** Epoch milliseconds. */
  createdAt: number;
  bytes: number;
}

/** fal's input for a trainer: scalar parameters only (the archive's link is never kept). */
export type TrainerInput = Readonly<Record<string, string | number | boolean>>;

/** training_config: what the current or last training was sent to fal with, and what fal gave back. */
export interface TrainingConfig {
  endpoint?: string;
  input?: TrainerInput;
  loraRank?: number;
  photos?: number;
  configFileUrl?: string | null;
  /** Names this training run in the credits ledger (`training:<id>:reserve`). */
  trainingId?: string;
}

export interface AvatarPhoto {
  id: string;
  avatarId: string;
  userId: string;
  /** The object key of the original in whichever store is configured (R2 or S3); the spec's name. */
  minioKey: string;
  fileHash: string;
  /** The picture's 64-bit dHash (src/images/dhash.ts); null for photos stored before it was kept. */
  perceptualHash: string | null;
  uploadOrder: number;
  validationStatus: PhotoValidationStatus;
  fileSize: number;
  width: number | null;
  height: number | null;
  format: string;
  hasFace: boolean | null;
  qualityScore: number | null;
  validationError: string | null;
  photoMetadata: PhotoMetadata;
  createdAt: Date;
}

/** Normalised 0–1 coordinates of a face in the processed image. */
export interface FaceBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface PhotoQuality {
  score: number;
  sharpness: number;
  exposure: number;
  contrast: number;
  /** Mean luma, 0–1 (absent on photos stored before the likeness coach). */
  brightness?: number;
}

/** "jpeg-scaled" is the JS JPEG decoder that "libjpeg-turbo" replaced; older rows still name it. */
export type PhotoDecoder = "jsquash" | "jpeg-scaled" | "png-streaming" | "libwebp" | "libjpeg-turbo";

/** photo_metadata: the photo's other objects, their sizes (for /metrics) and how it was checked. */
export interface PhotoMetadata {
  /** Numbers the photo's object keys; never reused within the avatar. */
  seq: number;
  thumbnailKey: string | null;
  processedKey: string | null;
  thumbnailBytes: number;
  processedBytes: number;
  source?: "photo" | "document";
  telegramFileUniqueId?: string;
  orientation?: number;
  decoder?: PhotoDecoder;
  faceBox?: FaceBox | null;
  quality?: PhotoQuality;
  fileName?: string;
  /** Set when the photo counts without a face check: fal could not be reached by its deadline. */
  faceCheck?: "unavailable";
  /** What the likeness coach's vision check saw (src/domain/likeness-coach.ts); null when it could not run. */
  attributes?: PhotoAttributes | null;
}

/** What fal's vision model saw on a photo, for the likeness coach. */
export interface PhotoAttributes {
  sunglasses: boolean;
  headCovering: boolean;
  heavyFilter: boolean;
  gaze: "camera" | "away";
  pose: "front" | "three_quarter" | "profile";
}

export interface Generation {
  id: string;
  avatarId: string;
  userId: string;
  prompt: string;
  preset: string | null;
  options: GenerationOptions;
  seed: number | null;
  falRequestId: string | null;
  status: GenerationStatus;
  error: string | null;
  /** One intent (a button under one message, one typed prompt): at most one generation and one fal job. */
  intentKey: string | null;
  /** When the cron sweep ends this generation if it is still active (null once it has ended). */
  deadlineAt: Date | null;
  /** fal's output, kept while the pictures are copied and sent (DELIVERING). */
  falOutput: FalImages | null;
  /** Delivery tries so far; a delivery that keeps failing ends with the pictures in the gallery. */
  attempts: number;
  resultKeys: string[];
  createdAt: Date;
  startedAt: Date | null;
  completedAt: Date | null;
}

/**
 * generations.options: what was asked for, where the job tells the user, and how the delivery
 * went. The chat and the language stay in the row because the job runs in the avatar's workspace,
 * long after the update that asked for it, and has nothing else to read them from.
 */
export interface GenerationOptions extends PictureOptions {
  chatId: number;
  language: Language;
  /** Bytes of the pictures stored for it, recorded when they are stored (the "generated" storage metric). */
  bytes?: number;
  /** Telegram's file ids of the pictures as sent. */
  fileIds?: string[];
  /** Pictures fal's safety checker held back. */
  flagged?: number;
  /** False when the pictures reached only the gallery, not the chat. */
  delivered?: boolean;
  /** The Telegram id whose credits pay for it (`generation:<id>:reserve`). */
  payer?: number;
  /** Set on a preview before training (fal-ai/flux-pulid): the stored photo it is drawn from. */
  preview?: { referenceKey: string };
}

/** What fal made for a generation: each picture's URL and whether its safety checker flagged it. */
export interface FalImages {
  images: Array<{ url: string; nsfw: boolean }>;
  seed: number | null;
}
