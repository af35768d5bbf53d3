/**
 * Webhook hand-offs in flight in this isolate, and the turns background work takes beside them.
 *
 * Where a ChatSession or an AvatarWorkspace shares the webhook's isolate (always under `wrangler dev`,
 * where the Worker and every Durable Object share one thread), background work first lets the
 * webhook requests in flight finish and their answers leave, so a burst of other chats' work never
 * delays the answer Telegram waits for. The thread runs ready work in arrival order, so the other
 * half is keeping the queue short: at most `BACKGROUND_TURNS` updates are handled at once per
 * isolate, and a webhook arriving meanwhile waits behind a few pieces of work, not a hundred. In an
 * isolate that takes no webhooks nothing is ever in flight and nothing gives way.
 *
 * Everything here waits on timers of its own and looks again: a promise resolved from another
 * Durable Object's context is refused by workerd ("Cannot perform I/O on behalf of a different
 * Durable Object"), so one waiter can never wake another.
 */
let inFlight = 0;
/** When the last hand-off ended: its answer still has to leave the isolate through the runtime. */
let lastEndedAt = 0;

/** How long one piece of background work gives way at most, so a steady stream of webhooks cannot starve it. */
export const GIVE_WAY_LIMIT_MS = 3_000;
/** After the last hand-off ends, the time its answer is given to leave before background work goes on. */
export const ANSWER_GRACE_MS = 20;
/** How often a piece of work that gives way looks again. */
const GIVE_WAY_POLL_MS = 10;
/** Updates handled at once in one isolate. */
export const BACKGROUND_TURNS = 8;
/**
 * A turn held longer than this no longer counts against the limit (its holder may be gone with a
 * reset object, and a 429's 30 s wait may hold one legitimately): the limit bends, it never deadlocks.
 */
export const TURN_LEASE_MS = 30_000;
/** The first in line looks for a free turn this often; the n-th, n times less often (up to 100 ms). */
const TURN_POLL_MS = 5;
const TURN_POLL_MAX_MS = 100;
/** A waiter that has not looked for this long is gone (its object reset) and leaves the line. */
const WAITER_GONE_MS = 2_000;

/** Runs one webhook request's work, counted as in flight until it settles. */
export async function handOff<T>(work: () => Promise<T>): Promise<T> {
  inFlight += 1;
  try {
    return await work();
  } finally {
    inFlight -= 1;
    lastEndedAt = Date.now();
  }
}

/**
 * Resolves once no hand-off is in flight in this isolate and the last one's answer has had
 * `ANSWER_GRACE_MS` to leave, or after `limitMs`.
 */
export async function giveWayToHandOffs(limitMs = GIVE_WAY_LIMIT_MS): Promise<void> {
  const until = Date.now() + limitMs;
  for (let now = Date.now(); now < until; now = Date.now()) {
    const quietFor = inFlight > 0 ? 0 : now - lastEndedAt;
    if (quietFor >= ANSWER_GRACE_MS) return;
    await scheduler.wait(Math.min(Math.max(GIVE_WAY_POLL_MS, ANSWER_GRACE_MS - quietFor), until - now));
  }
}

/**
 * A pause inside long synchronous work (a photo's decode, resize and encodes): lets requests that
 * arrived meanwhile in, then gives way to the hand-offs among them.
 */
export async function pauseForHandOffs(): Promise<void> {
  await scheduler.wait(0);
  await giveWayToHandOffs();
}

const turnsHeld = new Map<symbol, number>();
/** The line for a turn, oldest first: each waiter's ticket and when it last looked. */
const line = new Map<number, number>();
let nextTicket = 0;

function turnsFree(now: number): number {
  for (const [turn, since] of turnsHeld) if (now - since > TURN_LEASE_MS) turnsHeld.delete(turn);
  return BACKGROUND_TURNS - turnsHeld.size;
}

/** Where `ticket` stands in the line (0: first), once the waiters that are gone have left it. */
function placeInLine(ticket: number, now: number): number {
  let place = 0;
  for (const [other, lookedAt] of line) {
    if (other === ticket) return place;
    if (now - lookedAt > WAITER_GONE_MS) line.delete(other);
    else place += 1;
  }
  return place;
}

/** Runs `work` in one of the isolate's background turns, waiting in line for one to be free. */
export async function inTurn<T>(work: () => Promise<T>): Promise<T> {
  if (line.size > 0 || turnsFree(Date.now()) <= 0) {
    const ticket = nextTicket++;
    line.set(ticket, Date.now());
    try {
      for (;;) {
        const now = Date.now();
        line.set(ticket, now);
        const place = placeInLine(ticket, now);
        if (place < turnsFree(now)) break;
        await scheduler.wait(Math.min(TURN_POLL_MAX_MS, TURN_POLL_MS * (1 + place)));
      }
    } finally {
      line.delete(ticket);
    }
  }
  const turn = Symbol("turn");
  turnsHeld.set(turn, Date.now());
  try {
    return await work();
  } finally {
    turnsHeld.delete(turn);
  }
}
