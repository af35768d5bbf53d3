/**
 * Webhook hand-offs in flight in this isolate. Where a ChatSession shares the webhook's isolate
 * (always under `wrangler dev`, where the Worker and every Durable Object share one thread), the
 * handling of an update first lets the hand-offs in flight finish, so a burst of other chats' work
 * never delays the webhook's answer to Telegram. In an isolate that takes no webhooks the count stays
 * at 0 and nothing waits.
 */
let inFlight = 0;

/** How long one update's handling gives way at most, so a steady stream of webhooks cannot starve it. */
export const GIVE_WAY_LIMIT_MS = 50;

/** Runs the webhook's hand-off, counted as in flight until it settles. */
export async function handOff<T>(work: () => Promise<T>): Promise<T> {
  inFlight += 1;
  try {
    return await work();
  } finally {
    inFlight -= 1;
  }
}

/** Resolves once no hand-off is in flight in this isolate, or after `limitMs`. */
export async function giveWayToHandOffs(limitMs = GIVE_WAY_LIMIT_MS): Promise<void> {
  const until = Date.now() + limitMs;
  while (inFlight > 0 && Date.now() < until) await scheduler.wait(1);
}
