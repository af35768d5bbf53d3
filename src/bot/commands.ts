/** The command list shown in Telegram's menu, per language; registered by `npm run webhook:set`. */
export const BOT_COMMANDS = {
  en: [
    { command: "start", description: "Main menu" },
    { command: "help", description: "How it works" },
    { command: "cancel", description: "Stop what you are doing" },
  ],
  ru: [
    { command: "start", description: "Главное меню" },
    { command: "help", description: "Как это работает" },
    { command: "cancel", description: "Прервать текущее действие" },
  ],
} as const;
