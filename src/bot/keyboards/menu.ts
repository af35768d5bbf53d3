import { InlineKeyboard } from "grammy";
import { cb } from "../callback-data";
import type { Messages } from "../locales";
import { addInPairs } from "./layout";

export function mainMenuKeyboard(t: Messages): InlineKeyboard {
  return addInPairs(new InlineKeyboard(), [
    { label: t.menu.myAvatars, data: cb("avatars", { page: 0 }) },
    { label: t.menu.create, data: cb("create") },
    { label: t.menu.balance, data: cb("balance") },
    { label: t.menu.help, data: cb("help") },
    { label: t.menu.language, data: cb("language") },
  ]);
}

export function backToMenuKeyboard(t: Messages): InlineKeyboard {
  return new InlineKeyboard().text(t.menu.back, cb("menu"));
}

export function languageKeyboard(): InlineKeyboard {
  return new InlineKeyboard()
    .text("🇷🇺 Русский", cb("setLanguage", { language: "ru" }))
    .text("🇬🇧 English", cb("setLanguage", { language: "en" }));
}
