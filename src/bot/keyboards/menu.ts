import { InlineKeyboard } from "grammy";
import { cb } from "../callback-data";
import type { Messages } from "../locales";

export function mainMenuKeyboard(t: Messages): InlineKeyboard {
  return new InlineKeyboard()
    .text(t.menu.myAvatars, cb("avatars", { page: 0 }))
    .text(t.menu.create, cb("create"))
    .row()
    .text(t.menu.help, cb("help"))
    .text(t.menu.language, cb("language"));
}

export function backToMenuKeyboard(t: Messages): InlineKeyboard {
  return new InlineKeyboard().text(t.menu.back, cb("menu"));
}

export function languageKeyboard(): InlineKeyboard {
  return new InlineKeyboard()
    .text("🇷🇺 Русский", cb("setLanguage", { language: "ru" }))
    .text("🇬🇧 English", cb("setLanguage", { language: "en" }));
}
