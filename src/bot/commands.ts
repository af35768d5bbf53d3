/** The command list shown in Telegram's menu, per language; registered by `npm run webhook:set`. */
export const BOT_COMMANDS = {
  en: [
    { command: "start", description: "Main menu" },
    { command: "help", description: "How it works" },
    { command: "balance", description: "Your credits" },
    { command: "cancel", description: "Stop what you are doing" },
    { command: "privacy", description: "What we store and how to delete it" },
    { command: "deletemydata", description: "Delete everything about you" },
    { command: "buy", description: "Buy credits with Telegram Stars" },
    { command: "terms", description: "Terms of sale" },
    { command: "paysupport", description: "Help with payments" },
  ],
  ru: [
    { command: "start", description: "Главное меню" },
    { command: "help", description: "Как это работает" },
    { command: "balance", description: "Ваши кредиты" },
    { command: "cancel", description: "Прервать текущее действие" },
    { command: "privacy", description: "Что мы храним и как это удалить" },
    { command: "deletemydata", description: "Удалить все ваши данные" },
    { command: "buy", description: "Купить кредиты за звёзды Telegram" },
    { command: "terms", description: "Условия продажи" },
    { command: "paysupport", description: "Помощь с оплатой" },
  ],
} as const;
