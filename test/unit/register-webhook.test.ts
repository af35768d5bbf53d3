import { expect, it } from "vitest";
import { registerWebhook } from "../../scripts/telegram/register-webhook";
import { BOT_COMMANDS } from "../../src/bot/commands";
import { TelegramStandIn } from "../stand-ins/telegram";

it("registers the webhook with its secret and the command menu in English and Russian", async () => {
  const telegram = new TelegramStandIn("42:token");
  await registerWebhook(
    {
      botToken: "42:token",
      webhookSecret: "register-webhook-test-secret-0123456789",
      publicUrl: "https://bot.example/",
      apiRoot: telegram.apiRoot,
      commands: BOT_COMMANDS,
    },
    (input, init) => telegram.handle(new Request(input, init)),
  );
  expect(telegram.calls.every((c) => c.ok)).toBe(true);
  expect(telegram.callsTo("setWebhook")[0]?.params).toMatchObject({
    url: "https://bot.example/telegram/webhook",
    secret_token: "register-webhook-test-secret-0123456789",
    allowed_updates: ["message", "callback_query"],
  });
  const [en, ru] = telegram.callsTo("setMyCommands");
  expect(en?.params.language_code).toBeUndefined();
  expect(ru?.params).toMatchObject({
    language_code: "ru",
    commands: expect.arrayContaining([{ command: "start", description: "Главное меню" }]),
  });
});
