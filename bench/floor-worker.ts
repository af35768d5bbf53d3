// The floor bench/webhook.ts compares the bot's webhook against: the least a webhook that keeps
// updates durably must do. It checks Telegram's secret header (in constant time, as the bot does),
// parses the JSON, stores the update in the sender's own Durable Object and answers 200.
import { DurableObject } from "cloudflare:workers";
import { constantTimeEqual } from "../src/http/constant-time";

interface FloorEnv {
  WEBHOOK_SECRET: string;
  UPDATES: DurableObjectNamespace<UpdateStore>;
}

interface SenderUpdate {
  update_id: number;
  message?: { from?: { id: number } };
  callback_query?: { from?: { id: number } };
}

/** One per sender; keeps each update under its id. */
export class UpdateStore extends DurableObject<FloorEnv> {
  /** Stores the update. */
  async store(update: SenderUpdate): Promise<void> {
    await this.ctx.storage.put(`update:${update.update_id}`, update);
  }
}

export default {
  async fetch(request: Request, env: FloorEnv): Promise<Response> {
    const url = new URL(request.url);
    if (request.method === "GET" && url.pathname === "/health") return new Response("ok");
    if (request.method !== "POST" || url.pathname !== "/telegram/webhook") return new Response(null, { status: 404 });
    if (
      !(await constantTimeEqual(
        request.headers.get("x-telegram-bot-api-secret-token") ?? undefined,
        env.WEBHOOK_SECRET,
      ))
    ) {
      return new Response(null, { status: 401 });
    }
    let update: SenderUpdate;
    try {
      update = (await request.json()) as SenderUpdate;
    } catch {
      return new Response(null, { status: 400 });
    }
    const sender = update.message?.from?.id ?? update.callback_query?.from?.id;
    if (sender !== undefined) await env.UPDATES.getByName(String(sender)).store(update);
    return Response.json({ ok: true });
  },
};
