import { Bot, webhookCallback } from "grammy";
import type { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { getBotInfo } from "../../telegram/bot-info";
import { createRepository } from "../../wiring";
import type { AppEnv } from "../app-env";
import { constantTimeEqual } from "../constant-time";

const SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token";

/**
 * POST /telegram/webhook: checks Telegram's secret header before anything else, then hands the
 * update to the sender's ChatSession Durable Object, which processes it in order and once.
 */
export function registerTelegramWebhook(app: Hono<AppEnv>): void {
  app.post("/telegram/webhook", async (c) => {
    const settings = c.get("settings");
    if (!(await constantTimeEqual(c.req.header(SECRET_HEADER), settings.telegramWebhookSecret))) {
      return c.json({ error: "unauthorized" }, 401);
    }
    try {
      await c.req.json();
    } catch {
      throw new HTTPException(400, { message: "invalid_json" });
    }
    const bot = new Bot(settings.telegramBotToken, {
      botInfo: await getBotInfo(settings, createRepository(c.env)),
      client: { apiRoot: settings.telegramApiRoot },
    });
    bot.use(async (ctx) => {
      const from = ctx.from;
      // Updates with no sender (channel posts, polls) have no chat session to go to.
      if (!from) return;
      await c.env.CHAT_SESSION.getByName(String(from.id)).handleUpdate(ctx.update);
    });
    const handle = webhookCallback(bot, "hono", { secretToken: settings.telegramWebhookSecret });
    return handle(c);
  });
}
