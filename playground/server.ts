/**
 * The playground's side of the wire: the Telegram Bot API stand-in and the fal stand-in (the same
 * modules the tests use) behind real HTTP servers, and the chat page that plays the Telegram app.
 * The page talks to this server; this server turns what the user does into Telegram updates for
 * the Worker's webhook and pushes every Bot API call the Worker makes back to the page (SSE).
 */
import { readFile } from "node:fs/promises";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { encodeJpegRaster, resizeRaster } from "../src/images/codecs";
import { decodeUpright, fitWithin, readHeader } from "../src/images/prepare";
import { sniffFormat } from "../src/images/sniff";
import { FalStandIn } from "../test/stand-ins/fal";
import { type StandInEvent, type StandInUser, type StoredMessage, TelegramStandIn } from "../test/stand-ins/telegram";
import { FalDemo } from "./fal-demo";
import { toRequest } from "./node-request";
import { SAMPLE_COUNT, samplePhoto } from "./samples";
import type { Playground, PlaygroundOptions } from "./types";

/** The two chat partners the page can switch between (a second id is there to try ownership). */
const USERS = [
  { id: 1001, names: { en: "Anna", ru: "Анна" } },
  { id: 1002, names: { en: "Boris", ru: "Борис" } },
] as const;

const STATIC: Record<string, string> = {
  "/": "index.html",
  "/index.html": "index.html",
  "/app.js": "app.js",
  "/style.css": "style.css",
};
const CONTENT_TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
};

export async function startPlayground(options: PlaygroundOptions): Promise<Playground> {
  const page = await listen(options.host, options.port);
  const falServer = await listen(options.host, 0);
  const pageUrl = `http://${options.host}:${(page.address() as AddressInfo).port}`;
  const falOrigin = `http://${options.host}:${(falServer.address() as AddressInfo).port}`;

  const telegram = new TelegramStandIn(options.botToken, pageUrl);
  const fal = new FalStandIn(options.falKey, falOrigin);
  new FalDemo(fal, { mediaOrigin: falOrigin, trainingSeconds: options.trainingSeconds ?? 20, log: options.log });

  const streams = new Set<ServerResponse>();
  const push = (event: unknown) => {
    const frame = `data: ${JSON.stringify(event)}\n\n`;
    for (const stream of streams) stream.write(frame);
  };
  telegram.subscribe((event) => push(forPage(event)));
  const problem = (chatId: number | null, text: string) => {
    options.log(`problem: ${text}`);
    push({ type: "problem", chat_id: chatId, text });
  };

  /** Delivers an update exactly as Telegram posts it to a webhook. */
  const deliver = async (update: Record<string, unknown>, chatId: number): Promise<void> => {
    let response: Response;
    try {
      response = await fetch(`${options.workerUrl}/telegram/webhook`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": options.webhookSecret },
        body: JSON.stringify(update),
      });
    } catch (error) {
      problem(chatId, `The Worker is not reachable at ${options.workerUrl}: ${String(error)}`);
      throw new PlaygroundError(502, "the Worker is not reachable");
    }
    if (!response.ok) {
      problem(chatId, `The Worker answered the webhook with ${response.status}: ${await response.text()}`);
      throw new PlaygroundError(502, `the Worker answered ${response.status}`);
    }
  };

  const samples = new Map<number, Uint8Array>();
  const sample = async (n: number) => {
    const cached = samples.get(n);
    if (cached) return cached;
    const made = await samplePhoto(n);
    samples.set(n, made);
    return made;
  };

  const api = async (request: Request, path: string): Promise<Response> => {
    if (request.method === "GET" && path === "/api/samples") {
      const files = Array.from({ length: SAMPLE_COUNT }, (_, i) => ({
        name: `sample-${i + 1}.jpg`,
        url: `/samples/sample-${i + 1}.jpg`,
      }));
      return Response.json({ files });
    }
    if (request.method !== "POST") return Response.json({ error: "not found" }, { status: 404 });
    if (path === "/api/files") {
      const form = await request.formData();
      const user = userFrom(form.get("user_id"), form.get("language"));
      const files = form.getAll("files").filter((f): f is File => f instanceof File);
      if (files.length === 0 || files.length > 10) {
        return Response.json({ error: "send 1 to 10 files at a time" }, { status: 400 });
      }
      const album = files.length > 1 ? String(Date.now()) : undefined;
      for (const file of files) {
        const bytes = new Uint8Array(await file.arrayBuffer());
        const sizes = form.get("mode") === "photo" ? await telegramSizes(bytes) : null;
        const update = sizes
          ? telegram.photoUpdate(user, sizes, album)
          : telegram.documentUpdate(user, bytes, file.name || "file", {
              mimeType: file.type || "application/octet-stream",
              ...(album ? { mediaGroupId: album } : {}),
            });
        await deliver(update, user.id);
      }
      return new Response(null, { status: 204 });
    }
    const body = (await request.json()) as Record<string, unknown>;
    const user = userFrom(body.user_id, body.language);
    if (path === "/api/text" && typeof body.text === "string" && body.text.trim() !== "") {
      await deliver(telegram.textUpdate(user, body.text), user.id);
      return new Response(null, { status: 204 });
    }
    if (path === "/api/pay") {
      // Pay on the payment sheet: the pre-checkout query through the webhook, then, if the bot said
      // yes within Telegram's 10 s, the successful_payment message.
      const query = telegram.preCheckoutUpdate(user, Number(body.message_id));
      await deliver(query, user.id);
      const outcome = await telegram.checkoutWhenAnswered(TelegramStandIn.queryIdOf(query));
      if (outcome.paid) await deliver(outcome.update, user.id);
      return Response.json(
        outcome.paid
          ? { paid: true }
          : {
              paid: false,
              reason: outcome.reason,
              ...(outcome.reason === "refused" ? { error_message: outcome.errorMessage } : {}),
            },
      );
    }
    if (path === "/api/tap" && typeof body.callback_data === "string") {
      const update = telegram.callbackUpdate(user, Number(body.message_id), body.callback_data);
      await deliver(update, user.id);
      return new Response(null, { status: 204 });
    }
    return Response.json({ error: "not understood" }, { status: 400 });
  };

  page.on("request", (incoming, outgoing) => {
    void (async () => {
      const request = await toRequest(incoming, pageUrl);
      const path = new URL(request.url).pathname;
      if (path === "/events") return openStream(outgoing, streams, telegram);
      let response: Response;
      try {
        if (telegram.serves(request.url)) response = await telegram.handle(request);
        else if (path.startsWith("/api/")) response = await api(request, path);
        else if (path.startsWith("/media/")) response = media(telegram, decodeURIComponent(path.slice(7)));
        else if (/^\/samples\/sample-\d+\.jpg$/.test(path)) {
          const n = Number(/\d+/.exec(path)?.[0]) - 1;
          response =
            n >= 0 && n < SAMPLE_COUNT
              ? new Response(await sample(n), { headers: { "content-type": "image/jpeg" } })
              : new Response("Not Found", { status: 404 });
        } else if (STATIC[path]) {
          const name = STATIC[path] as string;
          const type = CONTENT_TYPES[name.split(".").pop() ?? ""] ?? "application/octet-stream";
          response = new Response(await readFile(join(options.pageDirectory, name)), {
            headers: { "content-type": type, "cache-control": "no-store" },
          });
        } else response = new Response("Not Found", { status: 404 });
      } catch (error) {
        if (!(error instanceof PlaygroundError)) options.log(`playground: ${request.method} ${path} broke: ${error}`);
        const status = error instanceof PlaygroundError ? error.status : 500;
        response = Response.json({ error: error instanceof Error ? error.message : String(error) }, { status });
      }
      await send(outgoing, response);
    })();
  });
  falServer.on("request", (incoming, outgoing) => {
    void (async () => {
      try {
        await send(outgoing, await fal.handle(await toRequest(incoming, falOrigin)));
      } catch (error) {
        options.log(`fal stand-in broke: ${String(error)}`);
        outgoing.destroy();
      }
    })();
  });

  return {
    pageUrl,
    telegramApiRoot: pageUrl,
    falOrigin,
    close: async () => {
      for (const stream of streams) stream.end();
      await Promise.all([close(page), close(falServer)]);
    },
  };
}

class PlaygroundError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

function userFrom(id: unknown, language: unknown): StandInUser {
  const lang = language === "ru" ? "ru" : "en";
  const known = USERS.find((u) => u.id === Number(id)) ?? USERS[0];
  return { id: known.id, first_name: known.names[lang], language_code: lang };
}

/** What Telegram's app does to a photo sent "compressed": upright JPEGs at its standard sizes. */
async function telegramSizes(
  bytes: Uint8Array,
): Promise<Array<{ bytes: Uint8Array; width: number; height: number }> | null> {
  const format = sniffFormat(bytes);
  const header = readHeader(bytes);
  if ((format !== "JPEG" && format !== "PNG" && format !== "WEBP") || !header) return null;
  try {
    const { raster } = await decodeUpright(bytes, format, header);
    const longSide = Math.max(raster.width, raster.height);
    const sides = [90, 320, 800].filter((side) => side < longSide).concat(Math.min(1280, longSide));
    const sizes = [];
    for (const side of sides) {
      const { width, height } = fitWithin(raster.width, raster.height, side);
      const jpeg = await encodeJpegRaster(await resizeRaster(raster, width, height), 87);
      sizes.push({ bytes: new Uint8Array(jpeg), width, height });
    }
    return sizes;
  } catch {
    // The app sends what it cannot compress as a file.
    return null;
  }
}

/** A stand-in event as the page wants it: files become URLs on this server. */
function forPage(event: StandInEvent): unknown {
  return event.type === "message" ? { type: "message", message: pageMessage(event.message) } : event;
}

function pageMessage(message: StoredMessage): Record<string, unknown> {
  const { photo, document, ...rest } = message;
  const largest = photo?.at(-1);
  return {
    ...rest,
    ...(largest
      ? {
          photo: { url: `/media/${encodeURIComponent(largest.file_id)}`, width: largest.width, height: largest.height },
        }
      : {}),
    ...(document ? { document: { ...document, url: `/media/${encodeURIComponent(document.file_id)}` } } : {}),
  };
}

function media(telegram: TelegramStandIn, fileId: string): Response {
  const file = telegram.files.get(fileId);
  if (!file) return new Response("Not Found", { status: 404 });
  const format = sniffFormat(file.bytes);
  const type = format === "UNKNOWN" ? "application/octet-stream" : `image/${format.toLowerCase()}`;
  return new Response(file.bytes, { headers: { "content-type": type, "cache-control": "max-age=3600" } });
}

async function openStream(
  outgoing: ServerResponse,
  streams: Set<ServerResponse>,
  telegram: TelegramStandIn,
): Promise<void> {
  // The empty chat shows the bot's description, asked of the Bot API as Telegram's app asks it.
  const descriptions = Object.fromEntries(
    await Promise.all(
      (["en", "ru"] as const).map(async (language) => [language, await botDescription(telegram, language)] as const),
    ),
  );
  outgoing.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-store",
    connection: "keep-alive",
  });
  const messages = [...telegram.messages.values()].sort((a, b) => a.message_id - b.message_id).map(pageMessage);
  const users = USERS.map((u) => ({ id: u.id, first_name: u.names.en }));
  const bot = { first_name: "Avatar Studio", username: "avatar_studio_bot", descriptions };
  outgoing.write(`data: ${JSON.stringify({ type: "hello", bot, users, messages })}\n\n`);
  streams.add(outgoing);
  const heartbeat = setInterval(() => outgoing.write(": keep-alive\n\n"), 15_000);
  outgoing.on("close", () => {
    clearInterval(heartbeat);
    streams.delete(outgoing);
  });
}

async function botDescription(telegram: TelegramStandIn, language: string): Promise<string> {
  const response = await telegram.handle(
    new Request(`${telegram.apiRoot}/bot${telegram.token}/getMyDescription`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ language_code: language }),
    }),
  );
  const body = (await response.json()) as { ok: boolean; result?: { description?: string } };
  return body.result?.description ?? "";
}

async function send(outgoing: ServerResponse, response: Response): Promise<void> {
  outgoing.writeHead(response.status, Object.fromEntries(response.headers));
  outgoing.end(Buffer.from(await response.arrayBuffer()));
}

function listen(host: string, port: number): Promise<Server> {
  const server = createServer();
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
