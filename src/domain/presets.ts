import type { AvatarGender, AvatarType } from "./avatar";

/** A style preset: a tested prompt template around the avatar's trigger word. */
export interface Preset {
  id: string;
  title: { en: string; ru: string };
  /** Presets written for people (CHARACTER, CUSTOM) or for a visual style (STYLE). */
  for: "person" | "style";
  prompt: (trigger: string, subject: string) => string;
}

const person = (id: string, en: string, ru: string, scene: string): Preset => ({
  id,
  title: { en, ru },
  for: "person",
  prompt: (trigger, subject) => `${scene.replace("{who}", `photo of ${trigger} ${subject}`)}`,
});

const style = (id: string, en: string, ru: string, subject: string): Preset => ({
  id,
  title: { en, ru },
  for: "style",
  prompt: (trigger) => `${subject}, in the style of ${trigger}, highly detailed`,
});

export const PRESETS: readonly Preset[] = [
  person(
    "studio",
    "📸 Portrait studio",
    "📸 Студия",
    "{who}, studio portrait, soft key light, neutral grey backdrop, 85mm lens, sharp focus",
  ),
  person(
    "business",
    "💼 Business",
    "💼 Бизнес",
    "{who}, professional business headshot, tailored suit, office background, natural light",
  ),
  person(
    "cinema",
    "🎬 Cinematic",
    "🎬 Кинокадр",
    "{who}, cinematic film still, dramatic lighting, anamorphic lens, moody color grading",
  ),
  person("anime", "🌸 Anime", "🌸 Аниме", "{who}, as an anime character, cel shading, vibrant colors, detailed eyes"),
  person(
    "oil",
    "🖌 Oil paint",
    "🖌 Живопись",
    "{who}, classical oil painting, visible brush strokes, warm palette, museum portrait",
  ),
  person(
    "fantasy",
    "🗡 Fantasy hero",
    "🗡 Фэнтези",
    "{who}, as a fantasy hero in ornate armor, epic landscape, golden hour",
  ),
  person(
    "cyber",
    "🌃 Cyberpunk",
    "🌃 Киберпанк",
    "{who}, cyberpunk city at night, neon reflections, rain, futuristic jacket",
  ),
  person(
    "vintage",
    "📷 1970s film",
    "📷 Плёнка 70-х",
    "{who}, 1970s film photograph, grain, faded colors, natural pose",
  ),
  person(
    "beach",
    "🏖 Summer beach",
    "🏖 Летний пляж",
    "{who}, on a sunny beach, turquoise sea, relaxed smile, summer clothes",
  ),
  person("noir", "🕶 Film noir", "🕶 Нуар", "{who}, black and white film noir, hard shadows, fedora, smoky street"),
  person(
    "astronaut",
    "🚀 Astronaut",
    "🚀 Астронавт",
    "{who}, as an astronaut in a detailed spacesuit, Earth in the background",
  ),
  person(
    "watercolor",
    "🎨 Watercolor",
    "🎨 Акварель",
    "{who}, delicate watercolor illustration, soft washes, white paper texture",
  ),
  style("city", "🏙 City street", "🏙 Город", "a busy city street at dusk"),
  style("portrait", "🙂 A portrait", "🙂 Портрет", "a portrait of a young woman"),
  style("landscape", "⛰ Landscape", "⛰ Пейзаж", "a mountain landscape with a lake"),
  style("still", "🍎 Still life", "🍎 Натюрморт", "a still life with fruit and a vase"),
];

export function subjectFor(gender: AvatarGender | null): string {
  return gender === "MALE" ? "man" : gender === "FEMALE" ? "woman" : "person";
}

/** Presets that suit the avatar: style presets for STYLE avatars, person presets otherwise. */
export function presetsFor(type: AvatarType | null): Preset[] {
  return PRESETS.filter((p) => p.for === (type === "STYLE" ? "style" : "person"));
}

export function presetById(id: string): Preset | undefined {
  return PRESETS.find((p) => p.id === id);
}

export const PROMPT_MAX_LENGTH = 500;

/** Cleans a user's prompt: no control characters, spaces collapsed, bounded, the trigger word present. */
export function sanitizePrompt(
  input: string,
  trigger: string,
): { ok: true; prompt: string } | { ok: false; reason: "empty" | "too_long" } {
  const cleaned = input
    .normalize("NFC")
    .replace(/[\p{Cc}\u200B-\u200F\u202A-\u202E\u2066-\u2069\uFEFF]+/gu, " ")
    .replace(/\s+/g, " ")
    .trim();
  if (cleaned.length === 0) return { ok: false, reason: "empty" };
  if ([...cleaned].length > PROMPT_MAX_LENGTH) return { ok: false, reason: "too_long" };
  const prompt = cleaned.toLowerCase().includes(trigger.toLowerCase()) ? cleaned : `${trigger}, ${cleaned}`;
  return { ok: true, prompt };
}
