import { autoRetry } from "@grammyjs/auto-retry";
import { Api, type Transformer } from "grammy";
import type { Settings } from "../config/settings";

/**
 * How every Bot API call is retried: a 429 waits the `retry_after` Telegram gives (up to 30 s),
 * three tries at most. A 5xx or a network error is not retried here (the plugin's network retry
 * has no end, and its 5xx backoff runs to 21 s a call): the job that made the call retries on its
 * own schedule, within its deadline.
 */
export function retryTransformer(): Transformer {
  return autoRetry({
    maxRetryAttempts: 3,
    maxDelaySeconds: 30,
    rethrowHttpErrors: true,
    rethrowInternalServerErrors: true,
  });
}

/** A Bot API client for work done outside an update (jobs telling the user how they went). */
export function telegramApi(settings: Settings): Api {
  const api = new Api(settings.telegramBotToken, { apiRoot: settings.telegramApiRoot });
  api.config.use(retryTransformer());
  return api;
}
