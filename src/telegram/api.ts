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

/** The Bot API 10.1 methods with a `parse_mode` parameter (test/unit/telegram-api.test.ts checks the list). */
export const PARSE_MODE_METHODS: ReadonlySet<string> = new Set([
  "sendMessage",
  "copyMessage",
  "sendPhoto",
  "sendLivePhoto",
  "sendAudio",
  "sendDocument",
  "sendVideo",
  "sendAnimation",
  "sendVoice",
  "sendPaidMedia",
  "sendMessageDraft",
  "postStory",
  "editStory",
  "editMessageText",
  "editMessageCaption",
]);

/** The methods whose `media` is InputMedia (one or a list), each of which has its own `parse_mode`. */
export const MEDIA_METHODS: ReadonlySet<string> = new Set(["sendMediaGroup", "editMessageMedia"]);

/**
 * Every text the bot sends is Telegram HTML (the locales' strings are, and what users typed is
 * escaped into them), so `parse_mode: "HTML"` is set here for each call and media item that takes
 * one, unless the caller chose another.
 *
 * Written here rather than taken from @grammyjs/parse-mode: its 2.x has no such transformer any more,
 * and 1.x's puts `parse_mode` on every call, those without one too (answerCallbackQuery,
 * sendChatAction, deleteMessage…), and leaves the items of an album without it.
 */
export function htmlTransformer(): Transformer {
  return (prev, method, payload, signal) => {
    const params = payload as Record<string, unknown> | undefined;
    if (params && PARSE_MODE_METHODS.has(method)) return prev(method, withHtml(params) as typeof payload, signal);
    if (params && MEDIA_METHODS.has(method)) {
      const media = Array.isArray(params.media) ? params.media.map(withHtml) : withHtml(params.media);
      return prev(method, { ...params, media } as typeof payload, signal);
    }
    return prev(method, payload, signal);
  };
}

function withHtml<T>(params: T): T {
  if (typeof params !== "object" || params === null || "parse_mode" in params) return params;
  return { ...params, parse_mode: "HTML" };
}

/** Installs the bot's Bot API behaviour (HTML by default, 429s waited out) on a client. */
export function configureApi(api: Api): Api {
  api.config.use(retryTransformer(), htmlTransformer());
  return api;
}

/** A Bot API client for work done outside an update (jobs telling the user how they went). */
export function telegramApi(settings: Settings): Api {
  return configureApi(new Api(settings.telegramBotToken, { apiRoot: settings.telegramApiRoot }));
}
