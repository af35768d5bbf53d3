// The webhook under load: runs the Worker under `wrangler dev` (workerd) on a fresh local D1, R2 and
// Durable Objects, with the Telegram and fal stand-ins served on loopback from a process of their own
// (bench/webhook-stand-ins.ts, so that serving the bot's calls never delays this one's clock), and times POST
// /telegram/webhook until its answer in two scenarios: one user who walks the wizard and then sends
// 60 photos as six albums of 10, one update every 100 ms; and 100 users walking the wizard at once
// (each user's updates one after another, each next one once the bot has answered the last). It also
// times, one /start at a time, how long the bot takes to send its first message, and waits until the
// photos are all checked. The same updates, at the same pace, then go to a floor Worker
// (bench/floor-worker.ts: secret check, JSON parse, one Durable Object put per sender) in this run.
// Runs alone too (on Node 22): `node_modules/.bin/node bench/webhook.ts`.
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import os from "node:os";
import { resolve } from "node:path";
import { build } from "esbuild";
import { wasmModules } from "../scripts/esbuild-wasm.ts";
import type { StandInUser } from "../test/stand-ins/telegram.ts";
import type { Ask, StandInsOptions, Told } from "./webhook-stand-ins.ts";

const OUT = "bench/out";
const STATE = `${OUT}/webhook-state`;
const PHOTO_DIR = `${OUT}/webhook-photos`;
const WRANGLER = "node_modules/wrangler/bin/wrangler.js";
const HOST = "127.0.0.1";
// Clear of the playground (8790), startup (8793), backends (8794) and `npm run dev` (8787).
const PORTS = { bot: 8795, floor: 8796, telegram: 8797, fal: 8798 };
const LOGS = {
  bot: `${OUT}/webhook-bot-wrangler.log`,
  floor: `${OUT}/webhook-floor-wrangler.log`,
  migrate: `${OUT}/webhook-migrate.log`,
  standIns: `${OUT}/webhook-stand-ins.log`,
};

const PHOTOS = 60;
const ALBUM_SIZE = 10;
const PHOTO_INTERVAL_MS = 100;
const WIZARD_USERS = 100;
const FIRST_REPLY_USERS = 30;
const TARGET_RATIO = 1.5;
/**
 * Rounds of each scenario, bot and floor alternating. The verdict is on every round's answers together:
 * a round of the photo scenario has 60, so its own p99 is its maximum, one answer the machine may have
 * stalled (the floor's alone ranged 18–92 ms between rounds of one run); 180 give a p99 that is not the maximum.
 */
const ROUNDS = 3;
/** Bounds: one webhook answer, one wait for the bot's reply, the photo checks, the whole bench. */
const REQUEST_TIMEOUT_MS = 60_000;
/** After each round: long enough for the chat sessions' 15 s safety-net alarms to have fired. */
const SETTLE_MS = 20_000;
const REPLY_TIMEOUT_MS = 60_000;
const CHECK_TIMEOUT_MS = 120_000;
const BENCH_TIMEOUT_MS = 20 * 60_000;

const BOT_TOKEN = "7000000003:webhook-bench-token";
const FAL_KEY = "bench-key-id:bench-key-secret";
const hex = () => crypto.randomUUID().replaceAll("-", "");
const WEBHOOK_SECRET = `bench_${hex()}_${hex().slice(0, 12)}`;
const METRICS_TOKEN = hex();

interface Sent {
  update: Record<string, unknown>;
  /** Photos: ms from the scenario's start. Wizard: ms after this user's previous answer. */
  at: number;
}

interface Figures {
  photos: number[];
  wizard: number[];
}

// ---- Processes: every one in its own group, stopped by group id and waited for ----

const groups = new Map<number, { child: ChildProcess; exited: Promise<number | null> }>();

function startGroup(args: string[], log: string, env: Record<string, string> = {}, ipc = false): ChildProcess {
  const fd = openSync(log, "w");
  const child = spawn(process.execPath, args, {
    stdio: ipc ? ["ignore", fd, fd, "ipc"] : ["ignore", fd, fd],
    serialization: "advanced",
    detached: true,
    // Nothing leaves the machine: no metrics, no update check (it runs with the banner), no Request.cf fetch.
    env: {
      ...process.env,
      WRANGLER_SEND_METRICS: "false",
      WRANGLER_HIDE_BANNER: "true",
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      ...env,
    },
  });
  closeSync(fd);
  const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
  if (child.pid) groups.set(child.pid, { child, exited });
  return child;
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

/** SIGTERM to the whole group, SIGKILL to what is left after 10 s; waits until it is gone (15 s at most). */
async function stopGroup(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (!pid) return;
  signalGroup(pid, "SIGTERM");
  for (let waited = 0; groupAlive(pid) && waited < 15_000; waited += 100) {
    if (waited === 10_000) signalGroup(pid, "SIGKILL");
    await sleep(100);
  }
  groups.delete(pid);
  if (groupAlive(pid)) console.error(`process group ${pid} was still there 15 s after SIGTERM`);
}

async function stopAll(): Promise<void> {
  await Promise.all([...groups.values()].map(({ child }) => stopGroup(child)));
}

/** Runs a command to its end within `timeoutMs`; throws with its log when it fails. */
async function runToEnd(
  args: string[],
  log: string,
  timeoutMs: number,
  env: Record<string, string> = {},
): Promise<void> {
  const child = startGroup(args, log, env);
  const entry = child.pid ? groups.get(child.pid) : undefined;
  const code = await Promise.race([entry?.exited ?? Promise.resolve(null), sleep(timeoutMs).then(() => "timeout")]);
  await stopGroup(child);
  if (code !== 0) throw new Error(`${args.slice(1, 4).join(" ")} ended with ${code}:\n${readFileSync(log, "utf8")}`);
}

async function waitHealthy(url: string, child: ChildProcess, log: string): Promise<void> {
  const deadline = performance.now() + 90_000;
  for (let i = 0; i < 900 && performance.now() < deadline; i++) {
    if (child.exitCode !== null) break;
    const ok = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5000) })
      .then(async (r) => (await r.text()) !== "" && r.ok)
      .catch(() => false);
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`wrangler dev did not answer ${url}/health; its output is in ${log}:\n${tail(log)}`);
}

// ---- The stand-ins, in their own process (bench/webhook-stand-ins.ts) ----

/** The stand-ins' process as the bench sees it: updates built there, chats' messages heard from there. */
class StandIns {
  readonly #child: ChildProcess;
  readonly #waiting = new Map<number, { done: (update: Record<string, unknown>) => void; fail: (e: Error) => void }>();
  readonly #listeners: Array<(told: Told) => void> = [];
  #next = 0;

  private constructor(child: ChildProcess) {
    this.#child = child;
    child.on("message", (told: Told) => {
      if (told.kind === "answer") {
        const waiter = this.#waiting.get(told.id);
        this.#waiting.delete(told.id);
        if (told.update) waiter?.done(told.update);
        else waiter?.fail(new Error(`the stand-ins could not build an update: ${told.error}`));
        return;
      }
      for (const listener of this.#listeners) listener(told);
    });
  }

  /** Bundles and starts the stand-ins; resolves once both listen (or fails with their log). */
  static async start(options: StandInsOptions): Promise<StandIns> {
    const bundle = `${OUT}/webhook-stand-ins.mjs`;
    await build({
      entryPoints: ["bench/webhook-stand-ins.ts"],
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node22",
      outfile: bundle,
      plugins: [wasmModules],
      logLevel: "error",
    });
    const child = startGroup([bundle], LOGS.standIns, { STAND_INS_OPTIONS: JSON.stringify(options) }, true);
    const standIns = new StandIns(child);
    await new Promise<void>((ready, fail) => {
      const timer = setTimeout(() => fail(new Error(`the stand-ins did not start:\n${tail(LOGS.standIns)}`)), 180_000);
      standIns.subscribe((told) => {
        if (told.kind !== "ready") return;
        clearTimeout(timer);
        ready();
      });
      child.once("exit", () => {
        clearTimeout(timer);
        fail(new Error(`the stand-ins stopped:\n${tail(LOGS.standIns)}`));
      });
    });
    return standIns;
  }

  subscribe(listener: (told: Told) => void): void {
    this.#listeners.push(listener);
  }

  update(ask: Exclude<Ask, { op: "close" }>): Promise<Record<string, unknown>> {
    const id = this.#next++;
    return new Promise((done, fail) => {
      this.#waiting.set(id, { done, fail });
      this.#child.send({ id, ask });
    });
  }

  async close(): Promise<void> {
    if (this.#child.connected) this.#child.send({ id: -1, ask: { op: "close" } });
    await stopGroup(this.#child);
  }
}

interface ShownMessage {
  messageId: number;
  text: string;
  replyMarkup: unknown;
}

/** Fails early when something else (another bench, the playground) already listens on `port`. */
function assertFree(port: number): Promise<void> {
  const probe = createServer();
  return new Promise((done, fail) => {
    probe.once("error", (error) => fail(new Error(`port ${port} on ${HOST} is taken (${error.message})`)));
    probe.listen(port, HOST, () => probe.close(() => done()));
  });
}

/** What each chat shows, from the stand-in's events: the bot's latest message and when it came. */
class Chats {
  readonly last = new Map<number, ShownMessage>();
  readonly lastAt = new Map<number, number>();
  readonly firstAt = new Map<number, number>();
  readonly #waiters = new Map<number, Array<() => void>>();

  constructor(standIns: StandIns) {
    standIns.subscribe((told) => {
      if (told.kind !== "message") return;
      const { chat, messageId } = told;
      // The stand-ins stamp the epoch; on this machine's one clock that is this process's performance.now().
      const at = told.at - performance.timeOrigin;
      if (!this.firstAt.has(chat)) this.firstAt.set(chat, at);
      if (messageId >= (this.last.get(chat)?.messageId ?? 0)) {
        this.last.set(chat, { messageId, text: told.text, replyMarkup: told.replyMarkup });
        this.lastAt.set(chat, at);
      }
      const waiters = this.#waiters.get(chat) ?? [];
      this.#waiters.delete(chat);
      for (const wake of waiters) wake();
    });
  }

  /** Waits (at most `timeoutMs`) until `probe` finds something in chat `chat`. */
  async until<T>(chat: number, probe: () => T | undefined, what: string, timeoutMs = REPLY_TIMEOUT_MS): Promise<T> {
    const deadline = performance.now() + timeoutMs;
    for (let i = 0; i < 10_000; i++) {
      const found = probe();
      if (found !== undefined) return found;
      const left = deadline - performance.now();
      if (left <= 0) break;
      await new Promise<void>((wake) => {
        const timer = setTimeout(wake, Math.min(left, 1000));
        this.#waiters.set(chat, [
          ...(this.#waiters.get(chat) ?? []),
          () => {
            clearTimeout(timer);
            wake();
          },
        ]);
      });
    }
    const shown = this.last.get(chat)?.text ?? "nothing";
    throw new Error(`chat ${chat}: no ${what} within ${timeoutMs / 1000} s; the bot's last message: ${shown}`);
  }
}

function button(message: ShownMessage | undefined, label: RegExp): string | undefined {
  const rows = (message?.replyMarkup as { inline_keyboard?: Array<Array<{ text: string; callback_data?: string }>> })
    ?.inline_keyboard;
  return rows?.flat().find((b) => label.test(b.text))?.callback_data;
}

// ---- Traffic ----

/** Posts an update as Telegram does; returns when it was sent and how long the answer took. */
async function post(url: string, update: unknown): Promise<{ sentAt: number; ms: number }> {
  const body = JSON.stringify(update);
  const sentAt = performance.now();
  const response = await fetch(`${url}/telegram/webhook`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": WEBHOOK_SECRET },
    body,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await response.text();
  const ms = performance.now() - sentAt;
  if (response.status !== 200) throw new Error(`${url}/telegram/webhook answered ${response.status}: ${text}`);
  return { sentAt, ms };
}

/** Sends every update at its offset from now, without waiting for earlier answers. */
async function paced(url: string, script: Sent[]): Promise<number[]> {
  const start = performance.now();
  const answers: Array<Promise<{ ms: number }>> = [];
  for (const { update, at } of script) {
    await sleep(start + at - performance.now());
    const answer = post(url, update);
    answer.catch(() => {}); // Handled by Promise.all below; this only keeps it from counting as unhandled meanwhile.
    answers.push(answer);
  }
  return (await Promise.all(answers)).map((a) => a.ms);
}

/** A user walks the wizard as in test/integration/create-avatar.test.ts, tapping the buttons the bot put on its last message. */
async function walkWizard(
  url: string,
  standIns: StandIns,
  chats: Chats,
  user: StandInUser,
  name: string,
  script: Sent[],
): Promise<number[]> {
  const times: number[] = [];
  let answeredAt = performance.now();
  const send = async (update: Record<string, unknown>) => {
    script.push({ update, at: performance.now() - answeredAt });
    times.push((await post(url, update)).ms);
    answeredAt = performance.now();
  };
  await send(await standIns.update({ op: "text", user, text: "/start" }));
  for (const label of [/Create avatar/, /Character/, /Female/]) {
    const message = await chats.until(
      user.id,
      () => (button(chats.last.get(user.id), label) ? chats.last.get(user.id) : undefined),
      `button ${label.source}`,
    );
    await send(
      await standIns.update({ op: "callback", user, messageId: message.messageId, data: button(message, label) ?? "" }),
    );
  }
  await chats.until(
    user.id,
    () => (chats.last.get(user.id)?.text.includes("Step 3 of 3") ? true : undefined),
    "name step",
  );
  await send(await standIns.update({ op: "text", user, text: name }));
  await chats.until(
    user.id,
    () => (chats.last.get(user.id)?.text.includes(`Avatar ${name} created`) ? true : undefined),
    "avatar created",
  );
  return times;
}

/** The same updates again, each user's in order after the same pause, users at once. */
async function replayUsers(url: string, scripts: Sent[][]): Promise<number[]> {
  const perUser = await Promise.all(
    scripts.map(async (script) => {
      const times: number[] = [];
      for (const { update, at } of script) {
        await sleep(at);
        times.push((await post(url, update)).ms);
      }
      return times;
    }),
  );
  return perUser.flat();
}

async function metrics(url: string): Promise<{ accepted: number; refused: Map<string, number> }> {
  const response = await fetch(`${url}/metrics`, {
    headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`/metrics answered ${response.status}: ${text}`);
  const accepted = Number(/^avatar_studio_storage_objects\{kind="originals"\} (\d+)$/m.exec(text)?.[1] ?? 0);
  const refused = new Map<string, number>();
  for (const [, reason = "", count] of text.matchAll(
    /^avatar_studio_photos_refused_total\{reason="([^"]+)"\} (\d+)$/gm,
  )) {
    refused.set(reason, Number(count));
  }
  return { accepted, refused };
}

// ---- The run ----

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });

  console.log(
    `Webhook under load (wrangler dev, workerd): POST /telegram/webhook until its answer, the bot against a floor Worker.`,
  );
  console.log(
    `Machine: ${os.cpus()[0]?.model ?? "unknown CPU"} × ${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
  );
  console.log("");

  rmSync(STATE, { recursive: true, force: true });
  mkdirSync(STATE, { recursive: true });
  const botUrl = `http://${HOST}:${PORTS.bot}`;
  const floorUrl = `http://${HOST}:${PORTS.floor}`;
  const telegramOrigin = `http://${HOST}:${PORTS.telegram}`;
  const falOrigin = `http://${HOST}:${PORTS.fal}`;
  const vars = {
    TELEGRAM_BOT_TOKEN: BOT_TOKEN,
    TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET,
    TELEGRAM_API_ROOT: telegramOrigin,
    PUBLIC_URL: botUrl,
    FAL_KEY,
    FAL_BASE_URL: falOrigin,
    METRICS_TOKEN,
  };
  const envFile = (name: string, values: Record<string, string>) => {
    const path = resolve(`${STATE}/${name}.env`);
    writeFileSync(
      path,
      Object.entries(values)
        .map(([k, v]) => `${k}=${v}\n`)
        .join(""),
    );
    return path;
  };

  await assertFree(PORTS.telegram);
  await assertFree(PORTS.fal);
  const standIns = await StandIns.start({
    host: HOST,
    telegramPort: PORTS.telegram,
    falPort: PORTS.fal,
    botToken: BOT_TOKEN,
    falKey: FAL_KEY,
    photoDir: PHOTO_DIR,
    photos: PHOTOS,
  });
  const problems: string[] = [];
  standIns.subscribe((told) => {
    if (told.kind === "problem") problems.push(told.text);
  });
  const chats = new Chats(standIns);
  try {
    // ---- The bot ----
    await assertFree(PORTS.bot);
    await runToEnd(
      [WRANGLER, "d1", "migrations", "apply", "DB", "--local", "--persist-to", `${STATE}/bot`],
      LOGS.migrate,
      120_000,
      { CI: "true" },
    );
    const bot = startGroup(
      [
        WRANGLER,
        "dev",
        ...["--ip", HOST, "--port", String(PORTS.bot)],
        ...["--env-file", envFile("bot", vars), "--persist-to", `${STATE}/bot`],
        "--show-interactive-dev-session=false",
      ],
      LOGS.bot,
    );
    await waitHealthy(botUrl, bot, LOGS.bot);

    // ---- The floor, up beside the bot: each round runs the same updates at the same pace on both ----
    const floorConfig = `${OUT}/wrangler.floor.toml`;
    writeFileSync(
      floorConfig,
      [
        'name = "webhook-floor"',
        'main = "../floor-worker.ts"',
        'compatibility_date = "2026-11-01"',
        "",
        "[[durable_objects.bindings]]",
        'name = "UPDATES"',
        'class_name = "UpdateStore"',
        "",
        "[[migrations]]",
        'tag = "v1"',
        'new_sqlite_classes = ["UpdateStore"]',
        "",
      ].join("\n"),
    );
    await assertFree(PORTS.floor);
    const floor = startGroup(
      [
        WRANGLER,
        "dev",
        ...["--config", floorConfig, "--ip", HOST, "--port", String(PORTS.floor)],
        ...["--env-file", envFile("floor", { WEBHOOK_SECRET }), "--persist-to", `${STATE}/floor`],
        "--show-interactive-dev-session=false",
      ],
      LOGS.floor,
    );
    await waitHealthy(floorUrl, floor, LOGS.floor);

    // Rounds alternate bot and floor, so a slow spell of the machine hits both; the verdict is on all
    // rounds' answers together. Each round has its own users (a fresh avatar for its 60 photos).
    const rounds: Array<{ bot: Figures; floor: Figures }> = [];
    let checked: Checked | null = null;
    let wizardMs = 0;
    for (let round = 0; round < ROUNDS; round++) {
      // Photos: the wizard first (in round 1 it also warms the Worker up), then 60 photos in six albums.
      const photoUser = { id: 5_000_001 + round, first_name: "Anna", language_code: "en" };
      const prelude: Sent[] = [];
      await walkWizard(botUrl, standIns, chats, photoUser, `Bench ${round + 1}`, prelude);
      const photoScript: Sent[] = [];
      for (let i = 0; i < PHOTOS; i++) {
        const mediaGroupId = String(13_500_000_000_000 + round * 100 + Math.floor(i / ALBUM_SIZE));
        const update = await standIns.update({ op: "photo", user: photoUser, index: i, mediaGroupId });
        photoScript.push({ update, at: i * PHOTO_INTERVAL_MS });
      }
      const photosStarted = performance.now();
      const botPhotos = await paced(botUrl, photoScript);
      // The checks finish before anything else is timed, on either Worker.
      const roundChecked = await photosChecked(botUrl, chats, photoUser.id, photosStarted);
      checked ??= roundChecked;
      for (const { update } of prelude) await post(floorUrl, update);
      const floorPhotos = await paced(floorUrl, photoScript);

      // Wizard: 100 users at once.
      const wizardUsers = Array.from({ length: WIZARD_USERS }, (_, i) => ({
        id: 5_100_001 + round * 1000 + i,
        first_name: `User ${i + 1}`,
        language_code: "en",
      }));
      const wizardScripts: Sent[][] = wizardUsers.map(() => []);
      const wizardStarted = performance.now();
      const botWizard = (
        await Promise.all(
          wizardUsers.map((user, i) =>
            walkWizard(botUrl, standIns, chats, user, `Look ${i + 1}`, wizardScripts[i] as Sent[]),
          ),
        )
      ).flat();
      if (round === 0) wizardMs = performance.now() - wizardStarted;
      const floorWizard = await replayUsers(floorUrl, wizardScripts);
      rounds.push({
        bot: { photos: botPhotos, wizard: botWizard },
        floor: { photos: floorPhotos, wizard: floorWizard },
      });
      // Every scenario starts from an idle Worker, as the photo rounds already wait for their checks:
      // the wizard's hundred chat sessions each fire their safety-net alarm (15 s after their first
      // update) in this pause, not during the next round's timed photos.
      await sleep(SETTLE_MS);
    }

    // First reply: one /start at a time, to the bot's first sendMessage to that chat.
    const firstReply: number[] = [];
    const firstAnswer: number[] = [];
    for (let i = 0; i < FIRST_REPLY_USERS; i++) {
      const user = { id: 5_200_001 + i, first_name: "Anna", language_code: "en" };
      const { sentAt, ms } = await post(botUrl, await standIns.update({ op: "text", user, text: "/start" }));
      const repliedAt = await chats.until(user.id, () => chats.firstAt.get(user.id), "first reply");
      firstReply.push(repliedAt - sentAt);
      firstAnswer.push(ms);
    }
    await stopGroup(bot);
    await stopGroup(floor);

    report(rounds, {
      wizardMs,
      firstReply,
      firstAnswer,
      checked: checked ?? { done: false, ms: 0, accepted: 0, refused: new Map(), shown: "" },
      problems,
    });
  } finally {
    await standIns.close();
    await stopAll();
  }
}

interface Checked {
  done: boolean;
  ms: number;
  accepted: number;
  refused: Map<string, number>;
  shown: string;
}

/** Waits until every photo is accepted or refused and the chat's upload message says so, with nothing left to check. */
async function photosChecked(url: string, chats: Chats, chat: number, started: number): Promise<Checked> {
  const deadline = started + CHECK_TIMEOUT_MS;
  let last: Checked = { done: false, ms: 0, accepted: 0, refused: new Map(), shown: "" };
  for (let i = 0; i < 1000 && performance.now() < deadline; i++) {
    const { accepted, refused } = await metrics(url);
    const shown = chats.last.get(chat)?.text ?? "";
    const handled = accepted + [...refused.values()].reduce((a, b) => a + b, 0);
    const count = Number(/: (\d+) of \d+ photos/.exec(shown)?.[1] ?? -1);
    const done = handled >= PHOTOS && shown.startsWith("📸") && !shown.includes("⏳") && count === accepted;
    last = { done, ms: (chats.lastAt.get(chat) ?? performance.now()) - started, accepted, refused, shown };
    if (done) return last;
    await sleep(500);
  }
  return { ...last, ms: performance.now() - started };
}

function report(
  rounds: Array<{ bot: Figures; floor: Figures }>,
  extra: { wizardMs: number; firstReply: number[]; firstAnswer: number[]; checked: Checked; problems: string[] },
): void {
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  const figures = (times: number[]) => {
    const sorted = [...times].sort((a, b) => a - b);
    return { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: sorted.at(-1) ?? 0 };
  };
  const rows = [
    [
      `photos: ${PHOTOS} as ${PHOTOS / ALBUM_SIZE} albums of ${ALBUM_SIZE}, one every ${PHOTO_INTERVAL_MS} ms`,
      "photos",
    ],
    [`wizard: ${WIZARD_USERS} users at once, 5 updates each`, "wizard"],
  ] as const;
  console.log(
    "| scenario | round | updates | bot p50 | bot p99 | bot max | floor p50 | floor p99 | floor max | p99 bot/floor |",
  );
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  const verdicts: string[] = [];
  /** Prints one row of the table; returns its p99 ratio. */
  const row = (label: string, round: string, bot: number[], floor: number[]) => {
    const b = figures(bot);
    const f = figures(floor);
    console.log(
      `| ${label} | ${round} | ${bot.length} | ${ms(b.p50)} | ${ms(b.p99)} | ${ms(b.max)} | ${ms(f.p50)} | ${ms(f.p99)} | ${ms(f.max)} | ${(b.p99 / f.p99).toFixed(2)}× |`,
    );
    return b.p99 / f.p99;
  };
  for (const [label, key] of rows) {
    const roundRatios = rounds.map(({ bot, floor }, i) => row(label, String(i + 1), bot[key], floor[key]));
    const ratio = row(
      label,
      "all",
      rounds.flatMap((round) => round.bot[key]),
      rounds.flatMap((round) => round.floor[key]),
    );
    const median = [...roundRatios].sort((x, y) => x - y)[Math.floor(roundRatios.length / 2)] ?? 0;
    verdicts.push(
      `${key} ${ratio <= TARGET_RATIO ? "pass" : "FAIL"} (${ratio.toFixed(2)}×; the median round's ${median.toFixed(2)}×)`,
    );
  }
  console.log("");
  console.log(
    `Target, webhook p99 within ${TARGET_RATIO}× of the floor's, over all ${rounds.length} rounds' answers: ${verdicts.join(", ")}. Informational.`,
  );
  console.log(
    "Under wrangler dev the Worker and all its Durable Objects share one workerd process: a photo being checked holds up the webhook's answers too.",
  );
  const reply = [...extra.firstReply].sort((a, b) => a - b);
  const answer = [...extra.firstAnswer].sort((a, b) => a - b);
  console.log(
    `First reply, ${reply.length} users one at a time: /start to the bot's first sendMessage p50 ${ms(quantile(reply, 0.5))} (max ${ms(reply.at(-1) ?? 0)}); the webhook answered in p50 ${ms(quantile(answer, 0.5))}.`,
  );
  console.log(
    `The ${WIZARD_USERS} users' wizards took ${(extra.wizardMs / 1000).toFixed(1)} s, from the first /start to the last "created".`,
  );
  const { checked } = extra;
  const refused = [...checked.refused].map(([reason, n]) => `${n} ${reason}`).join(", ") || "none";
  const outcome = `${checked.accepted} accepted, refused: ${refused}; the upload message reads "${checked.shown.split("\n")[0] ?? ""}"`;
  console.log(
    checked.done
      ? `Photos checked: all ${PHOTOS}, ${(checked.ms / 1000).toFixed(1)} s after the first was sent (${outcome}).`
      : `Photos checked: NOT all within ${CHECK_TIMEOUT_MS / 1000} s of the first (${outcome}; the wizard scenario ran while some were still being checked).`,
  );
  if (extra.problems.length > 0) {
    console.log(
      `The stand-ins saw ${extra.problems.length} problem(s), the first: ${extra.problems.slice(0, 3).join(" | ")}`,
    );
  }
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, Math.max(0, ms)));
}

function tail(path: string): string {
  return existsSync(path) ? readFileSync(path, "utf8").split("\n").slice(-40).join("\n") : "";
}

let stopping = false;
async function shutdown(code: number, why: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.error(why);
  await stopAll();
  process.exit(code);
}
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => void shutdown(130, `\nStopping the webhook bench (${signal}).`));
}
for (const event of ["uncaughtException", "unhandledRejection"] as const) {
  process.on(event, (error) => void shutdown(1, `The webhook bench broke: ${String(error)}`));
}
setTimeout(
  () => void shutdown(1, `The webhook bench ran over ${BENCH_TIMEOUT_MS / 60_000} minutes; stopped.`),
  BENCH_TIMEOUT_MS,
).unref();

try {
  await main();
} catch (error) {
  console.error(`The webhook bench failed: ${error instanceof Error ? error.message : String(error)}`);
  console.error(`wrangler's output: ${LOGS.bot}, ${LOGS.floor}, ${LOGS.migrate}, ${LOGS.standIns}`);
  process.exitCode = 1;
}
// Every process it started is gone by now; a handle left behind (one run was kept alive by esbuild's
// service) must not keep `npm run bench`, which waits for this one, from going on.
process.exit();
