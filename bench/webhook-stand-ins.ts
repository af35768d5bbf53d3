// The Telegram and fal stand-ins for bench/webhook.ts, in a process of their own: bundled by esbuild
// (the stand-ins and the Worker's image code import without extensions, and the codecs are WASM)
// and started by the bench with an IPC channel. Serving the bot's sends, file downloads and face
// checks here keeps that work off the event loop that times the webhook's answers; otherwise the
// bot's figures would carry the bench's own delays, which the floor (it calls nothing) never sees.
//
// Over IPC the bench asks for updates (`text`, `callback`, `photo`: built here, so the stand-in
// knows their messages and files) and hears what each chat shows (`message`, stamped on this
// machine's clock in ms since the epoch) and any `problem` the stand-ins saw.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { toRequest } from "../playground/node-request";
import { samplePhoto } from "../playground/samples";
import { encodeJpegRaster, resizeRaster } from "../src/images/codecs";
import { decodeUpright, fitWithin, readHeader } from "../src/images/prepare";
import { FalStandIn } from "../test/stand-ins/fal";
import { type StandInUser, TelegramStandIn } from "../test/stand-ins/telegram";

export interface StandInsOptions {
  host: string;
  telegramPort: number;
  falPort: number;
  botToken: string;
  falKey: string;
  /** Where the sample photos are kept once drawn. */
  photoDir: string;
  photos: number;
}

export type Ask =
  | { op: "text"; user: StandInUser; text: string }
  | { op: "callback"; user: StandInUser; messageId: number; data: string }
  | { op: "photo"; user: StandInUser; index: number; mediaGroupId: string }
  | { op: "close" };

export type Told =
  | { kind: "ready" }
  | { kind: "answer"; id: number; update?: Record<string, unknown>; error?: string }
  | {
      kind: "message";
      chat: number;
      messageId: number;
      text: string;
      replyMarkup: unknown;
      /** ms since the epoch (performance.timeOrigin + performance.now()). */
      at: number;
    }
  | { kind: "problem"; text: string };

interface PhotoSize {
  bytes: Uint8Array;
  width: number;
  height: number;
}

/**
 * Sample portrait `index` (each one a different file) as a compressed photo: upright JPEGs at
 * Telegram's pre-scaled sizes, smallest first, as playground/server.ts makes them.
 */
async function telegramPhoto(index: number): Promise<PhotoSize[]> {
  const original = await samplePhoto(index);
  const header = readHeader(original);
  if (!header) throw new Error(`sample ${index} has no readable header`);
  const { raster } = await decodeUpright(original, "JPEG", header);
  const longSide = Math.max(raster.width, raster.height);
  const sides = [90, 320, 800].filter((side) => side < longSide).concat(Math.min(1280, longSide));
  const sizes: PhotoSize[] = [];
  for (const side of sides) {
    const { width, height } = fitWithin(raster.width, raster.height, side);
    const jpeg = await encodeJpegRaster(await resizeRaster(raster, width, height), 87);
    sizes.push({ bytes: new Uint8Array(jpeg), width, height });
  }
  return sizes;
}

/** The sample photos at Telegram's sizes; drawn once (about a second each) and kept in `dir`. */
async function samplePhotos(dir: string, count: number): Promise<PhotoSize[][]> {
  const manifest = `${dir}/manifest.json`;
  type Entry = { file: string; width: number; height: number };
  if (existsSync(manifest)) {
    const photos = JSON.parse(readFileSync(manifest, "utf8")) as Entry[][];
    if (photos.length === count) {
      return photos.map((sizes) => sizes.map((s) => ({ ...s, bytes: new Uint8Array(readFileSync(s.file)) })));
    }
  }
  console.warn(`(drawing ${count} sample photos into ${dir} once; about a minute)`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const photos: PhotoSize[][] = [];
  for (let i = 0; i < count; i++) photos.push(await telegramPhoto(i));
  const entries = photos.map((sizes, i) =>
    sizes.map(({ bytes, width, height }) => {
      const file = `${dir}/${i}-${width}x${height}.jpg`;
      writeFileSync(file, bytes);
      return { file, width, height };
    }),
  );
  writeFileSync(manifest, JSON.stringify(entries));
  return photos;
}

function serve(host: string, port: number, handle: (request: Request) => Promise<Response>, tell: (t: Told) => void) {
  const origin = `http://${host}:${port}`;
  const server = createServer((incoming, outgoing) => {
    void (async () => {
      try {
        const response = await handle(await toRequest(incoming, origin));
        outgoing.writeHead(response.status, Object.fromEntries(response.headers));
        outgoing.end(Buffer.from(await response.arrayBuffer()));
      } catch (error) {
        tell({ kind: "problem", text: `${origin} ${incoming.method} ${incoming.url} broke: ${String(error)}` });
        if (!outgoing.headersSent) outgoing.writeHead(500);
        outgoing.end();
      }
    })();
  });
  return new Promise<Server>((done, fail) => {
    server.once("error", (error) => fail(new Error(`cannot listen on ${origin} (${error.message})`)));
    server.listen(port, host, () => done(server));
  });
}

async function run(options: StandInsOptions): Promise<void> {
  const send = process.send?.bind(process);
  if (!send) throw new Error("the stand-ins run as a child of bench/webhook.ts, with an IPC channel");
  const tell = (told: Told) => send(told);
  const photos = await samplePhotos(options.photoDir, options.photos);
  const telegramOrigin = `http://${options.host}:${options.telegramPort}`;
  const telegram = new TelegramStandIn(options.botToken, telegramOrigin);
  const fal = new FalStandIn(options.falKey, `http://${options.host}:${options.falPort}`);
  telegram.subscribe((event) => {
    if (event.type === "problem") tell({ kind: "problem", text: event.text });
    if (event.type !== "message" || !event.message.from_bot) return;
    tell({
      kind: "message",
      chat: event.message.chat_id,
      messageId: event.message.message_id,
      text: event.message.text ?? event.message.caption ?? "",
      replyMarkup: event.message.reply_markup,
      at: performance.timeOrigin + performance.now(),
    });
  });
  const servers = [
    await serve(options.host, options.telegramPort, (r) => telegram.handle(r), tell),
    await serve(options.host, options.falPort, (r) => fal.handle(r), tell),
  ];
  const build = (ask: Exclude<Ask, { op: "close" }>): Record<string, unknown> => {
    switch (ask.op) {
      case "text":
        return telegram.textUpdate(ask.user, ask.text);
      case "callback":
        return telegram.callbackUpdate(ask.user, ask.messageId, ask.data);
      case "photo": {
        const sizes = photos[ask.index % photos.length];
        if (!sizes) throw new Error(`no sample photo ${ask.index}`);
        return telegram.photoUpdate(ask.user, sizes, ask.mediaGroupId);
      }
    }
  };
  process.on("message", (message: { id: number; ask: Ask }) => {
    if (message.ask.op === "close") {
      for (const server of servers) server.closeAllConnections();
      void Promise.all(servers.map((s) => new Promise((done) => s.close(done)))).then(() => process.exit(0));
      return;
    }
    try {
      tell({ kind: "answer", id: message.id, update: build(message.ask) });
    } catch (error) {
      tell({ kind: "answer", id: message.id, error: String(error) });
    }
  });
  process.on("disconnect", () => process.exit(0));
  tell({ kind: "ready" });
}

const options = process.env.STAND_INS_OPTIONS;
if (options) {
  run(JSON.parse(options) as StandInsOptions).catch((error: unknown) => {
    console.error(`the stand-ins broke: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  });
}
