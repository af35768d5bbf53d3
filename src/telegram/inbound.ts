import type { Update } from "grammy/types";

/** The only updates the bot handles (pre_checkout_query for payments in Stars); the webhook is registered for these, so Telegram does not even send the rest. */
export const ALLOWED_UPDATES = ["message", "callback_query", "pre_checkout_query"] as const;

/**
 * Whose chat session an update belongs to: the sender of a message or button press in a private
 * chat with the bot. Everything else (groups, channels, other bots, update kinds the bot never
 * asked for) belongs to no one and is acknowledged without being stored.
 */
export function senderOf(body: unknown): { update: Update; userId: number } | null {
  if (typeof body !== "object" || body === null) return null;
  const update = body as Update;
  if (!Number.isSafeInteger(update.update_id)) return null;
  const kinds = Object.keys(update).filter((key) => key !== "update_id");
  if (kinds.length !== 1 || !(ALLOWED_UPDATES as readonly string[]).includes(kinds[0] ?? "")) return null;
  const from = update.message?.from ?? update.callback_query?.from ?? update.pre_checkout_query?.from;
  if (!from || typeof from.id !== "number" || from.is_bot) return null;
  // A payment's pre-checkout query names its payer and no chat: it is the payer's.
  if (update.pre_checkout_query) return { update, userId: from.id };
  const chat = update.message?.chat ?? update.callback_query?.message?.chat;
  // A button under an inline-mode message has no chat; the bot posts none, so it is not ours either.
  if (chat?.type !== "private" || chat.id !== from.id) return null;
  return { update, userId: from.id };
}
