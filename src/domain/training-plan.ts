import type { AvatarType, FalPriority } from "./avatar";
import type { TrainerInput } from "./entities";

export const FAST_TRAINER = "fal-ai/flux-lora-fast-training";
export const PORTRAIT_TRAINER = "fal-ai/flux-lora-portrait-trainer";
export type TrainerEndpoint = typeof FAST_TRAINER | typeof PORTRAIT_TRAINER;
/** fal's portrait trainer needs at least this many images. */
export const PORTRAIT_MIN_IMAGES = 10;

export interface TrainingPlan {
  endpoint: TrainerEndpoint;
  input: TrainerInput;
}

/**
 * How long a training usually takes, in minutes: the one estimate every screen that names a time
 * uses. fal's trainers run at about a minute per 100 steps (the portrait trainer half as fast
 * again, for its multi-resolution passes), after about two minutes of preparing the images.
 */
export function expectedTrainingMinutes(endpoint: string, steps: number): number {
  const perHundredSteps = endpoint === PORTRAIT_TRAINER ? 1.5 : 1;
  return Math.round(2 + (steps / 100) * perHundredSteps);
}

/** The trainer an avatar goes to: the portrait trainer for quality CHARACTER avatars with enough photos. */
export function chooseTrainer(
  avatar: { avatarType: AvatarType | null; falPriority: FalPriority },
  photoCount: number,
): TrainerEndpoint {
  return avatar.falPriority === "quality" && avatar.avatarType === "CHARACTER" && photoCount >= PORTRAIT_MIN_IMAGES
    ? PORTRAIT_TRAINER
    : FAST_TRAINER;
}

/**
 * The spec's settings mapped onto fal's trainers (README, "Training on fal"):
 * - quality + CHARACTER with ≥10 photos → flux-lora-portrait-trainer (subject crop, multi-resolution);
 * - otherwise flux-lora-fast-training: `is_style` for STYLE, face masks for CHARACTER
 *   except at speed priority, where mask preprocessing is skipped;
 * - fal_iterations → `steps` on both; the trigger word → `trigger_word` / `trigger_phrase`;
 * - lora_rank: neither trainer takes a rank, so it is recorded in training_config only.
 */
export function planTraining(
  avatar: { avatarType: AvatarType; falPriority: FalPriority; falIterations: number; triggerWord: string },
  photoCount: number,
  imagesUrl: string,
): TrainingPlan {
  if (chooseTrainer(avatar, photoCount) === PORTRAIT_TRAINER) {
    return {
      endpoint: PORTRAIT_TRAINER,
      input: {
        images_data_url: imagesUrl,
        trigger_phrase: avatar.triggerWord,
        steps: avatar.falIterations,
        multiresolution_training: true,
        subject_crop: true,
      },
    };
  }
  return {
    endpoint: FAST_TRAINER,
    input: {
      images_data_url: imagesUrl,
      trigger_word: avatar.triggerWord,
      steps: avatar.falIterations,
      is_style: avatar.avatarType === "STYLE",
      create_masks: avatar.avatarType === "CHARACTER" && avatar.falPriority !== "speed",
    },
  };
}
