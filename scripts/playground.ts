// `npm run playground`: the whole journey offline. Starts the Telegram and fal stand-ins (demo
// mode) and the Worker under `wrangler dev` on a fresh local D1, R2 and Durable Objects, then
// prints the chat page's URL. Ctrl-C stops all of it: the Worker by its process group id.
//
//   --port <n>   the page's port (default 8790; 0 picks a free one)
//   --training-seconds <n>   how long the demo training takes (default 20)
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createWriteStream, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import type { Playground, PlaygroundOptions } from "../playground/types.ts";
import { BOT_COMMANDS } from "../src/bot/commands.ts";
import { wasmModules } from "./esbuild-wasm.ts";
import { loadBotProfiles } from "./telegram/bot-profiles.ts";
import { registerWebhook } from "./telegram/register-webhook.ts";

const HOST = "127.0.0.1";
const HOME = ".wrangler/playground";
const RUN_FILE = `${HOME}/run.json`;
const { values } = parseArgs({
  options: { port: { type: "string", default: "8790" }, "training-seconds": { type: "string", default: "20" } },
});

// The stand-ins run in this process; they share the Worker's own image code, WASM included.
await build({
  entryPoints: ["playground/server.ts"],
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node22",
  outfile: `${HOME}/server.mjs`,
  plugins: [wasmModules],
  logLevel: "error",
});
const { startPlayground } = (await import(`../${HOME}/server.mjs`)) as {
  startPlayground: (options: PlaygroundOptions) => Promise<Playground>;
};

// Every run starts from an empty chat, so the database starts empty too.
rmSync(`${HOME}/state`, { recursive: true, force: true });
mkdirSync(`${HOME}/state`, { recursive: true });

const workerPort = await freePort();
const workerUrl = `http://${HOST}:${workerPort}`;
const secrets = {
  botToken: "7000000002:playground-token",
  webhookSecret: crypto.randomUUID(),
  falKey: "playground-key-id:playground-key-secret",
};
const playground = await startPlayground({
  host: HOST,
  port: Number(values.port),
  workerUrl,
  ...secrets,
  pageDirectory: "playground/page",
  trainingSeconds: Number(values["training-seconds"]),
  log: (line) => console.log(line),
});

const vars = {
  TELEGRAM_BOT_TOKEN: secrets.botToken,
  TELEGRAM_WEBHOOK_SECRET: secrets.webhookSecret,
  TELEGRAM_API_ROOT: playground.telegramApiRoot,
  PUBLIC_URL: workerUrl,
  FAL_KEY: secrets.falKey,
  FAL_BASE_URL: playground.falOrigin,
  // Progress edits every 5 s, so the demo training's bar visibly moves.
  TRAINING_CHECK_INTERVAL: "5",
  // The first user may try /stats.
  ADMIN_USER_IDS: "1001",
};
writeFileSync(
  `${HOME}/vars.env`,
  Object.entries(vars)
    .map(([name, value]) => `${name}=${value}`)
    .join("\n"),
);

const migrate = spawnSync("wrangler", ["d1", "migrations", "apply", "DB", "--local", "--persist-to", `${HOME}/state`], {
  encoding: "utf8",
  env: { ...process.env, CI: "true" },
});
if (migrate.status !== 0) {
  console.error(migrate.stdout, migrate.stderr);
  await playground.close();
  process.exit(1);
}

const logPath = `${HOME}/worker.log`;
const log = createWriteStream(logPath);
const worker: ChildProcess = spawn(
  "wrangler",
  [
    "dev",
    ...["--ip", HOST, "--port", String(workerPort)],
    ...["--env-file", `${HOME}/vars.env`, "--persist-to", `${HOME}/state`],
    "--show-interactive-dev-session=false",
  ],
  { detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
);
worker.stdout?.pipe(log);
worker.stderr?.pipe(log);

let stopping: Promise<never> | null = null;
/**
 * Stops the Worker's whole process group (wrangler, workerd, esbuild), waits until it is gone, then
 * the stand-ins. Every caller (a second Ctrl-C too) waits for the same stop.
 */
function stop(code: number): Promise<never> {
  stopping ??= (async () => {
    signalWorker("SIGTERM");
    // wrangler's children end just after it: wait until the whole group is reaped, kill what is
    // still there after 10 s, and stop waiting at 15 s.
    for (let waited = 0; groupAlive() && waited < 15_000; waited += 100) {
      if (waited === 10_000) signalWorker("SIGKILL");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await playground.close();
    rmSync(RUN_FILE, { force: true });
    process.exit(code);
  })();
  return stopping;
}

function groupAlive(): boolean {
  if (!worker.pid) return false;
  try {
    process.kill(-worker.pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signalWorker(signal: NodeJS.Signals): void {
  try {
    if (worker.pid) process.kill(-worker.pid, signal);
  } catch {
    // The group is already gone.
  }
}

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    console.log("\nStopping the playground.");
    void stop(0);
  });
}
// A failure in the stand-ins must not leave the Worker running without them.
for (const event of ["uncaughtException", "unhandledRejection"] as const) {
  process.on(event, (error) => {
    console.error("The playground failed:", error);
    void stop(1);
  });
}
worker.on("error", (error) => {
  console.error(`wrangler dev could not be started (${error.message}); is \`npm install\` done?`);
  void stop(1);
});
worker.on("exit", (code) => {
  if (stopping) return;
  console.error(`wrangler dev stopped (exit code ${code}); its output is in ${logPath}`);
  void stop(1);
});

if (!(await healthy(workerUrl))) {
  console.error(`The Worker did not answer ${workerUrl}/health within 90 s; its output is in ${logPath}`);
  await stop(1);
}
// The operator's setup, as `npm run webhook:set` does it: webhook, command menu and description.
await registerWebhook({
  botToken: secrets.botToken,
  webhookSecret: secrets.webhookSecret,
  publicUrl: workerUrl,
  apiRoot: playground.telegramApiRoot,
  commands: BOT_COMMANDS,
  profiles: await loadBotProfiles(),
});
// For tools (the browser test): what is running, by process id, and where.
writeFileSync(
  RUN_FILE,
  JSON.stringify({ pid: process.pid, workerProcessGroup: worker.pid, pageUrl: playground.pageUrl, workerUrl }),
);
console.log(`
Avatar Studio playground: ${playground.pageUrl}

  Open it in a browser and press Start. Telegram and fal are played locally; nothing leaves this machine.
  The Worker's log is ${logPath}. Press Ctrl-C to stop.
`);

async function healthy(url: string): Promise<boolean> {
  for (let i = 0; i < 90; i++) {
    try {
      const response = await fetch(`${url}/health`);
      if (response.ok) return true;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  return false;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, HOST, () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
