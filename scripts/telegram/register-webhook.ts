import { ALLOWED_UPDATES } from "../../src/telegram/inbound.ts";

export interface WebhookRegistration {
  botToken: string;
  webhookSecret: string;
  publicUrl: string;
  apiRoot: string;
  /** The command menu per language; `en` is registered as the default for every other language. */
  commands: { en: readonly BotCommand[]; ru: readonly BotCommand[] };
  /** What Telegram shows about the bot, per language, with `en` as the default; see BotProfile. */
  profiles: { en: BotProfile; ru: BotProfile };
}

/** The profile texts: `description` fills an empty chat ("What can this bot do?"), `short` the bot's page. */
export interface BotProfile {
  description: string;
  short: string;
}

interface BotCommand {
  command: string;
  description: string;
}

type Call = (method: string, params: Record<string, unknown>) => Promise<unknown>;

/**
 * Points Telegram at PUBLIC_URL/telegram/webhook with the secret, sets the command menu and the
 * bot's description in English (the default) and Russian, and returns getWebhookInfo for the operator to read.
 */
export async function registerWebhook(options: WebhookRegistration, fetcher: typeof fetch = fetch): Promise<unknown> {
  const call: Call = async (method, params) => {
    const response = await fetcher(`${options.apiRoot}/bot${options.botToken}/${method}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(params),
    });
    const body = (await response.json()) as { ok: boolean; result?: unknown; description?: string };
    if (!body.ok) throw new Error(`${method} failed: ${body.description ?? response.status}`);
    return body.result;
  };
  await call("setWebhook", {
    url: `${options.publicUrl.replace(/\/+$/, "")}/telegram/webhook`,
    secret_token: options.webhookSecret,
    allowed_updates: ALLOWED_UPDATES,
    max_connections: 40,
  });
  await call("setMyCommands", { commands: options.commands.en });
  await call("setMyCommands", { commands: options.commands.ru, language_code: "ru" });
  for (const [language, profile] of [
    [undefined, options.profiles.en],
    ["ru", options.profiles.ru],
  ] as const) {
    const languageCode = language ? { language_code: language } : {};
    await call("setMyDescription", { description: profile.description, ...languageCode });
    await call("setMyShortDescription", { short_description: profile.short, ...languageCode });
  }
  return call("getWebhookInfo", {});
}
