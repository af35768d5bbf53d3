import { runDurableObjectAlarm } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { vi } from "vitest";
import { loadSettings } from "../../src/config/settings";
import { forgetJwks } from "../../src/fal/webhook-signature";
import { senderOf } from "../../src/telegram/inbound";
import { FalStandIn } from "../stand-ins/fal";
import { type StandInUser, TelegramStandIn } from "../stand-ins/telegram";

export const BOT_TOKEN = env.TELEGRAM_BOT_TOKEN;
export const WEBHOOK_SECRET = env.TELEGRAM_WEBHOOK_SECRET;

// Random per file: D1 and Durable Objects are isolated per file, but the Postgres project's files share
// one database, where two files' users must not be the same row.
let lastUserId = 1_000_000 + Math.floor(Math.random() * 1_000_000) * 1000;

/** A Telegram user no earlier test in this file has seen, nor any other file. */
export function newUser(language: "en" | "ru" = "en", firstName = language === "ru" ? "Иван" : "Anna"): StandInUser {
  lastUserId += 1;
  return { id: lastUserId, first_name: firstName, language_code: language };
}

type Route = (request: Request) => Promise<Response>;
let route: Route | null = null;
let breaks: Array<(request: Request) => boolean> = [];

/** The next outbound request that `matches` fails as a lost connection does (fetch rejects). */
export function breakNext(matches: (request: Request) => boolean): void {
  breaks.push(matches);
}

const realFetch = globalThis.fetch;

// Installed once and never restored: a Durable Object alarm that fires after its test has
// ended must still meet a stand-in, never the network.
vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
  const request = new Request(input, init);
  if (!route) throw new Error(`unexpected outbound request to ${request.url}`);
  const broken = breaks.findIndex((matches) => matches(request));
  if (broken >= 0) {
    breaks.splice(broken, 1);
    throw new TypeError("Network connection lost.");
  }
  return route(request);
});

/** Routes the Worker's outbound fetches to fresh stand-ins; anything else is a test failure. */
export function installStandIns(): { telegram: TelegramStandIn; fal: FalStandIn } {
  const telegram = new TelegramStandIn(BOT_TOKEN);
  const fal = new FalStandIn(env.FAL_KEY, env.FAL_BASE_URL);
  forgetJwks();
  breaks = [];
  route = async (request) => {
    if (telegram.serves(request.url)) return telegram.handle(request);
    if (fal.serves(request.url)) return fal.handle(request);
    if (request.url.startsWith("https://bot.example/")) return exports.default.fetch(request);
    // With STORAGE_DRIVER=s3 the store is the real S3-API server on loopback (test/servers/global-setup.ts).
    const { storage } = loadSettings(env);
    if (storage.driver === "s3" && request.url.startsWith(`${storage.endpoint}/`)) return realFetch(request);
    throw new Error(`unexpected outbound request to ${request.url}`);
  };
  return { telegram, fal };
}

/** Posts an update to the webhook exactly as Telegram does, and answers with the webhook's response. */
export async function handOff(update: unknown, secret: string | null = WEBHOOK_SECRET): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (secret !== null) headers["X-Telegram-Bot-Api-Secret-Token"] = secret;
  return exports.default.fetch(
    new Request("https://bot.example/telegram/webhook", { method: "POST", headers, body: JSON.stringify(update) }),
  );
}

/** The sender's chat session, once it has handled everything handed to it so far. */
export async function settled(update: unknown): Promise<void> {
  const routed = senderOf(update);
  if (routed) await env.CHAT_SESSION.getByName(String(routed.userId)).settled();
}

/** Posts an update as Telegram does, then waits until the bot has handled it (the webhook does not). */
export async function deliver(update: unknown, secret: string | null = WEBHOOK_SECRET): Promise<Response> {
  const response = await handOff(update, secret);
  if (response.status === 200) await settled(update);
  return response;
}

/** Delivers and insists on Telegram's 200. */
export async function send(update: unknown): Promise<void> {
  const response = await deliver(update);
  if (response.status !== 200) throw new Error(`webhook answered ${response.status}: ${await response.text()}`);
}

/** The user types a message. */
export async function say(telegram: TelegramStandIn, user: StandInUser, text: string): Promise<void> {
  await send(telegram.textUpdate(user, text));
}

/** The user taps the button with this label on the bot's latest message (or on `messageId`). */
export async function tap(
  telegram: TelegramStandIn,
  user: StandInUser,
  label: string | RegExp,
  messageId?: number,
): Promise<void> {
  const message =
    messageId === undefined ? telegram.lastBotMessage(user.id) : telegram.messages.get(`${user.id}:${messageId}`);
  if (!message) throw new Error(`no message ${messageId}`);
  await send(telegram.callbackUpdate(user, message.message_id, telegram.buttonData(message, label)));
}

/** The text of the last answerCallbackQuery, if it said anything. */
export function lastAnswer(telegram: TelegramStandIn): string | undefined {
  return telegram.callsTo("answerCallbackQuery").at(-1)?.params.text as string | undefined;
}

/** Lets the avatar's workspace work through everything queued, as its alarm would. */
export async function drain(avatarId: string): Promise<void> {
  const workspace = env.AVATAR_WORKSPACE.getByName(avatarId);
  for (let i = 0; i < 5 && (await runDurableObjectAlarm(workspace)); i++) {
    if ((await workspace.pendingCount()) === 0) break;
  }
}
