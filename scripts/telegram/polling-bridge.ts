/**
 * For local development with a real bot and no public URL: long-polls Telegram's getUpdates and
 * posts each update to the local webhook with its secret, exactly as Telegram would. An update is
 * confirmed (the offset moves past it) only once the local Worker answered 200.
 */
import { ALLOWED_UPDATES } from "../../src/telegram/inbound.ts";
export interface BridgeOptions {
  apiRoot: string;
  botToken: string;
  webhookUrl: string;
  webhookSecret: string;
  /** Long-poll timeout in seconds (Telegram holds the request open up to this long). */
  pollSeconds?: number;
  signal?: AbortSignal;
  fetch?: typeof fetch;
  log?: (line: string) => void;
  /** Stop after this many polls (tests); runs until aborted otherwise. */
  maxPolls?: number;
}

export class BridgeError extends Error {}

export async function runPollingBridge(options: BridgeOptions): Promise<{ forwarded: number }> {
  const fetcher = options.fetch ?? fetch;
  const log = options.log ?? (() => undefined);
  let offset = 0;
  let forwarded = 0;
  for (let poll = 0; options.maxPolls === undefined || poll < options.maxPolls; poll++) {
    if (options.signal?.aborted) break;
    let response: Response;
    try {
      response = await fetcher(`${options.apiRoot}/bot${options.botToken}/getUpdates`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          offset,
          timeout: options.pollSeconds ?? 25,
          allowed_updates: ALLOWED_UPDATES,
        }),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (error) {
      if (options.signal?.aborted) break;
      log(`getUpdates failed (${String(error)}); retrying in 2 s`);
      await new Promise((resolve) => setTimeout(resolve, 2000));
      continue;
    }
    const body = (await response.json()) as {
      ok: boolean;
      result?: Array<{ update_id: number }>;
      description?: string;
    };
    if (!body.ok) {
      if (response.status === 409) {
        throw new BridgeError(
          `Telegram refuses getUpdates while a webhook is set (${body.description}). Run with --drop-webhook to remove it, or use another bot token for development.`,
        );
      }
      if (response.status === 401) throw new BridgeError("Telegram does not accept this TELEGRAM_BOT_TOKEN.");
      throw new BridgeError(`getUpdates failed: ${body.description ?? response.status}`);
    }
    for (const update of body.result ?? []) {
      const delivered = await fetcher(options.webhookUrl, {
        method: "POST",
        headers: { "content-type": "application/json", "X-Telegram-Bot-Api-Secret-Token": options.webhookSecret },
        body: JSON.stringify(update),
      });
      if (!delivered.ok) {
        // As Telegram does: keep the update and deliver it again on the next poll.
        log(`local webhook answered ${delivered.status} for update ${update.update_id}; will retry`);
        break;
      }
      offset = update.update_id + 1;
      forwarded += 1;
      log(`forwarded update ${update.update_id}`);
    }
  }
  return { forwarded };
}
