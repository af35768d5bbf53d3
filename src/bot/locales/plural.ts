import type { Language } from "../../domain/entities";

/** A noun's forms by plural category; English needs `one` and `other`, Russian `one`, `few` and `many`. */
export type PluralForms = Partial<Record<Intl.LDMLPluralRule, string>> & { other: string };

const RULES: Record<Language, Intl.PluralRules> = {
  en: new Intl.PluralRules("en"),
  ru: new Intl.PluralRules("ru"),
};

/** The form of a noun that `n` takes in `language`: 1 photo, 2 photos; 1 фотография, 2 фотографии, 5 фотографий. */
export function pluralForm(language: Language, n: number, forms: PluralForms): string {
  return forms[RULES[language].select(n)] ?? forms.other;
}

/** `n` and its noun, in the form the language demands: "21 photos", «21 фотография». */
export function plural(language: Language, n: number, forms: PluralForms): string {
  return `${n} ${pluralForm(language, n, forms)}`;
}

/** English count: `count(1, "photo", "photos")` is "1 photo". */
export function countEn(n: number, one: string, other: string): string {
  return plural("en", n, { one, other });
}

/** Russian count: `countRu(21, "фотография", "фотографии", "фотографий")` is «21 фотография». */
export function countRu(n: number, one: string, few: string, many: string): string {
  return plural("ru", n, { one, few, many, other: few });
}

/**
 * A range of numbers that never breaks across lines: word joiners (U+2060) glue the dash to both
 * numbers, so "5–50" stays whole on a narrow phone.
 */
export function range(from: number, to: number): string {
  return `${from}\u2060–\u2060${to}`;
}

/** Pixels in the reader's units: "512 px", «512 пикс.». */
export function pixels(language: Language, n: number): string {
  return `${n} ${language === "ru" ? "пикс." : "px"}`;
}

/**
 * A file size as the limits are counted (1 MB = 1024 × 1024 bytes, as Telegram and phones show
 * sizes), rounded down so a file at the limit shown is never refused: "10 MB", «10 МБ».
 */
export function fileSize(language: Language, bytes: number): string {
  const ru = language === "ru";
  if (bytes >= 1024 * 1024) return `${Math.floor(bytes / (1024 * 1024))} ${ru ? "МБ" : "MB"}`;
  if (bytes >= 1024) return `${Math.floor(bytes / 1024)} ${ru ? "КБ" : "KB"}`;
  return `${bytes} ${ru ? "байт" : "bytes"}`;
}

/**
 * A span of time in the largest unit that states it exactly: "7 days", "1 hour", "90 minutes".
 * Russian forms are the accusative, which reads right after «через» and «за» («через 21 минуту»).
 */
export function duration(language: Language, seconds: number): string {
  const ru = language === "ru";
  if (seconds % 86400 === 0) {
    const n = seconds / 86400;
    return ru ? countRu(n, "день", "дня", "дней") : countEn(n, "day", "days");
  }
  if (seconds % 3600 === 0) {
    const n = seconds / 3600;
    return ru ? countRu(n, "час", "часа", "часов") : countEn(n, "hour", "hours");
  }
  return minutes(language, Math.max(1, Math.round(seconds / 60)));
}

/** Whole minutes: "1 minute", «21 минуту» (accusative, as after «через», «за», «осталось примерно»). */
export function minutes(language: Language, n: number): string {
  return language === "ru" ? countRu(n, "минуту", "минуты", "минут") : countEn(n, "minute", "minutes");
}

/** A wait, rounded up to the minute, in short units that need no plural: "3 h 20 min", «3 ч 20 мин». */
export function waitTime(language: Language, ms: number): string {
  const total = Math.max(1, Math.ceil(ms / 60_000));
  const [h, min] = language === "ru" ? ["ч", "мин"] : ["h", "min"];
  const hours = Math.floor(total / 60);
  const rest = total % 60;
  if (hours === 0) return `${rest} ${min}`;
  return rest === 0 ? `${hours} ${h}` : `${hours} ${h} ${rest} ${min}`;
}
