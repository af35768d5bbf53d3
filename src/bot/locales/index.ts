import type { Language } from "../../domain/entities";
import { en, type Messages } from "./en";
import { ru } from "./ru";

export type { Messages };

const locales: Record<Language, Messages> = { en, ru };

export function messagesFor(language: Language): Messages {
  return locales[language];
}

/** Russian for Russian-language clients, English for everyone else. */
export function languageFromCode(code: string | undefined): Language {
  return code?.toLowerCase().startsWith("ru") ? "ru" : "en";
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function formatDate(date: Date, language: Language): string {
  return date.toLocaleDateString(language === "ru" ? "ru-RU" : "en-GB", {
    day: "numeric",
    month: "short",
    year: "numeric",
    timeZone: "UTC",
  });
}
