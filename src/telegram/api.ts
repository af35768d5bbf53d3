import { Api, type Transformer } from "grammy";
import type { Settings } from "../config/settings";

/** Tries of one Bot API call that Telegram answers 429. */
const MAX_ATTEMPTS = 3;
/** A `retry_after` longer than this is not waited for: the call fails and its job decides. */
const MAX_WAIT_SECONDS = 30;

/**
 * How every Bot API call is retried: a 429 waits the `retry_after` Telegram gives (up to 30 s),
 * three tries at most. A 5xx or a network error is not retried here: the job that made the call
 * retries on its own schedule, within its deadline, so no call can wait forever.
 *
 * Written here rather than taken from @grammyjs/auto-retry: that plugin ships only CommonJS that
 * requires grammY's Node build (node-fetch), which put a second grammY into the Worker's bundle
 * (+20 KiB gzipped), and its network retry has no end.
 */
export function retryTransformer(): Transformer {
  return async (prev, method, payload, signal) => {
    for (let attempt = 1; ; attempt++) {
      const result = await prev(method, payload, signal);
      const wait = result.ok ? undefined : result.parameters?.retry_after;
      if (wait === undefined || wait > MAX_WAIT_SECONDS || attempt >= MAX_ATTEMPTS) return result;
      await new Promise((resolve) => setTimeout(resolve, wait * 1000));
    }
  };
}

/** A Bot API client for work done outside an update (jobs telling the user how they went). */
export function telegramApi(settings: Settings): Api {
  const api = new Api(settings.telegramBotToken, { apiRoot: settings.telegramApiRoot });
  api.config.use(retryTransformer());
  return api;
}
