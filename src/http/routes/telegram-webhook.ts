import type { Context, Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { handOff } from "../../durable-objects/hand-offs";
import { log } from "../../log";
import { senderOf } from "../../telegram/inbound";
import type { AppEnv } from "../app-env";
import { constantTimeEqual } from "../constant-time";

const SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token";

/**
 * POST /telegram/webhook: checks Telegram's secret header before anything else, then hands the
 * update to the sender's ChatSession Durable Object, which stores it (once per update_id) and
 * answers at once; the bot works on it afterwards, in order. The webhook never waits for a reply,
 * a photo check, fal or storage. A payment's pre-checkout query is the one exception: it is
 * answered before the webhook answers.
 */
export function registerTelegramWebhook(app: Hono<AppEnv>): void {
  // The whole request counts as a hand-off in flight, so this isolate's background work waits for it.
  app.post("/telegram/webhook", (c) => handOff(() => webhook(c)));
}

async function webhook(c: Context<AppEnv>): Promise<Response> {
  const settings = c.get("settings");
  if (!(await constantTimeEqual(c.req.header(SECRET_HEADER), settings.telegramWebhookSecret))) {
    return c.json({ error: "unauthorized" }, 401);
  }
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new HTTPException(400, { message: "invalid_json" });
  }
  const routed = senderOf(body);
  if (!routed) {
    // Groups, channels, bots and kinds the bot never asked for: acknowledged, so Telegram stops.
    log("debug", "telegram_update_ignored", { updateId: (body as { update_id?: unknown })?.update_id });
    return c.json({ ok: true });
  }
  const { update, userId } = routed;
  if (update.pre_checkout_query) {
    // Telegram cancels the payment unless this is answered within 10 s, so it is answered now,
    // not behind the user's queued updates; it stores nothing, so a second delivery is harmless.
    await c.env.CHAT_SESSION.getByName(String(userId)).preCheckout(update);
    return c.json({ ok: true });
  }
  const accepted = await c.env.CHAT_SESSION.getByName(String(userId)).accept(update);
  if (accepted === "duplicate") log("info", "telegram_update_duplicate", { updateId: update.update_id });
  return c.json({ ok: true });
}
