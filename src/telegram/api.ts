import { autoRetry } from "@grammyjs/auto-retry";
import { Api, type Transformer } from "grammy";
import type { Settings } from "../config/settings";

/**
 * How every Bot API call is retried: a 429 waits the `retry_after` Telegram gives (up to 30 s) and
 * a 5xx backs off, three tries at most; a network error is not retried here, so no call can wait
 * forever (the plugin's own network retry has no end). A job that still fails ends on its own terms.
 */
export function retryTransformer(): Transformer {
  return autoRetry({ maxRetryAttempts: 3, maxDelaySeconds: 30, rethrowHttpErrors: true });
}

/** A Bot API client for work done outside an update (jobs telling the user how they went). */
export function telegramApi(settings: Settings): Api {
  const api = new Api(settings.telegramBotToken, { apiRoot: settings.telegramApiRoot });
  api.config.use(retryTransformer());
  return api;
}
