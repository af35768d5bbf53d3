// `npm run dev:bot`: your real bot against local D1, R2 and Durable Objects. Starts `npm run dev`
// and a long-polling bridge that forwards each update to the local webhook. Needs a real
// TELEGRAM_BOT_TOKEN in .dev.vars; no public URL. Ctrl-C stops both.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { webhookSecretProblem } from "../src/config/webhook-secret.ts";
import { runPollingBridge } from "./telegram/polling-bridge.ts";

const PORT = Number(process.env.PORT ?? 8787);
const vars = Object.fromEntries(
  readFileSync(".dev.vars", "utf8")
    .split("\n")
    .filter((line) => /^\s*[A-Z_]+=/.test(line))
    .map((line) => [line.slice(0, line.indexOf("=")).trim(), line.slice(line.indexOf("=") + 1).trim()]),
);
const token = vars.TELEGRAM_BOT_TOKEN ?? "";
const secret = vars.TELEGRAM_WEBHOOK_SECRET ?? "";
const apiRoot = (vars.TELEGRAM_API_ROOT ?? "https://api.telegram.org").replace(/\/+$/, "");
if (!/^\d+:[\w-]{20,}$/.test(token) || !secret) {
  console.error("Put your bot's TELEGRAM_BOT_TOKEN and a TELEGRAM_WEBHOOK_SECRET into .dev.vars first (see README).");
  process.exit(1);
}
const secretProblem = webhookSecretProblem(secret);
if (secretProblem) {
  console.error(`.dev.vars: ${secretProblem}`);
  process.exit(1);
}

const dev = spawn("node", ["scripts/dev.ts", "--port", String(PORT)], { stdio: "inherit" });
const stop = new AbortController();
const shutdown = () => {
  stop.abort();
  dev.kill("SIGINT");
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
dev.on("exit", (code) => {
  stop.abort();
  process.exit(code ?? 0);
});

// Wait for the local Worker, then bridge.
for (let i = 0; i < 120 && !stop.signal.aborted; i++) {
  const up = await fetch(`http://127.0.0.1:${PORT}/health`).then(
    (r) => r.ok,
    () => false,
  );
  if (up) break;
  await new Promise((resolve) => setTimeout(resolve, 500));
}
if (process.argv.includes("--drop-webhook")) {
  await fetch(`${apiRoot}/bot${token}/deleteWebhook`, { method: "POST" });
  console.log("Webhook removed; the deployed bot will not receive updates until `npm run webhook:set`.");
}
console.log("Bridge running: chat with your bot now. Ctrl-C stops everything.");
try {
  await runPollingBridge({
    apiRoot,
    botToken: token,
    webhookUrl: `http://127.0.0.1:${PORT}/telegram/webhook`,
    webhookSecret: secret,
    signal: stop.signal,
    log: (line) => console.log(`[bridge] ${line}`),
  });
} catch (error) {
  console.error(`[bridge] ${error instanceof Error ? error.message : String(error)}`);
  shutdown();
}
