// Registers the deployed Worker as the bot's webhook. Reads the same names the Worker does:
//   TELEGRAM_BOT_TOKEN=… TELEGRAM_WEBHOOK_SECRET=… PUBLIC_URL=https://… npm run webhook:set
import { BOT_COMMANDS } from "../src/bot/commands.ts";
import { webhookSecretProblem } from "../src/config/webhook-secret.ts";
import { loadBotProfiles } from "./telegram/bot-profiles.ts";
import { registerWebhook } from "./telegram/register-webhook.ts";

const missing = ["TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "PUBLIC_URL"].filter((name) => !process.env[name]);
if (missing.length > 0) {
  console.error(`Set ${missing.join(", ")} in the environment first (see README, "Connect a real bot").`);
  process.exit(1);
}
// The Worker refuses a secret like this one, so Telegram must not be given it.
const secretProblem = webhookSecretProblem(process.env.TELEGRAM_WEBHOOK_SECRET ?? "");
if (secretProblem) {
  console.error(secretProblem);
  process.exit(1);
}

const info = await registerWebhook({
  botToken: process.env.TELEGRAM_BOT_TOKEN ?? "",
  webhookSecret: process.env.TELEGRAM_WEBHOOK_SECRET ?? "",
  publicUrl: process.env.PUBLIC_URL ?? "",
  commands: BOT_COMMANDS,
  profiles: await loadBotProfiles(),
  apiRoot: (process.env.TELEGRAM_API_ROOT ?? "https://api.telegram.org").replace(/\/+$/, ""),
});
console.log("Webhook registered. Telegram reports:");
console.log(JSON.stringify(info, null, 2));
