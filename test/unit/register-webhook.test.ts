import { expect, it } from "vitest";
import { registerWebhook } from "../../scripts/telegram/register-webhook";
import { BOT_COMMANDS } from "../../src/bot/commands";
import { en } from "../../src/bot/locales/en";
import { ru } from "../../src/bot/locales/ru";
import { TelegramStandIn } from "../stand-ins/telegram";

it("registers the webhook with its secret, and the command menu and description in English and Russian", async () => {
  const telegram = new TelegramStandIn("42:token");
  await registerWebhook(
    {
      botToken: "42:token",
      webhookSecret: "register-webhook-test-secret-0123456789",
      publicUrl: "https://bot.example/",
      apiRoot: telegram.apiRoot,
      commands: BOT_COMMANDS,
      profiles: { en: en.profile, ru: ru.profile },
    },
    (input, init) => telegram.handle(new Request(input, init)),
  );
  expect(telegram.calls.every((c) => c.ok)).toBe(true);
  expect(telegram.callsTo("setWebhook")[0]?.params).toMatchObject({
    url: "https://bot.example/telegram/webhook",
    secret_token: "register-webhook-test-secret-0123456789",
    allowed_updates: ["message", "callback_query", "pre_checkout_query"],
  });
  const [enCommands, ruCommands] = telegram.callsTo("setMyCommands");
  expect(enCommands?.params.language_code).toBeUndefined();
  expect(ruCommands?.params).toMatchObject({
    language_code: "ru",
    commands: expect.arrayContaining([{ command: "start", description: "Главное меню" }]),
  });
  // What an empty chat shows ("What can this bot do?"): English by default, Russian for Russian clients.
  const described = async (method: string, language_code?: string) =>
    (await telegram
      .handle(
        new Request(`${telegram.apiRoot}/bot42:token/${method}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(language_code ? { language_code } : {}),
        }),
      )
      .then((response) => response.json())) as { result: Record<string, string> };
  expect((await described("getMyDescription", "de")).result.description).toBe(en.profile.description);
  expect((await described("getMyDescription", "ru")).result.description).toBe(ru.profile.description);
  expect((await described("getMyShortDescription", "ru")).result.short_description).toBe(ru.profile.short);
  expect((await described("getMyShortDescription")).result.short_description).toBe(en.profile.short);
});
