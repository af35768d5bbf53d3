// Bundle size and start-up: builds the Worker as `wrangler deploy` would, reports its size raw and
// gzipped against the 1 MiB budget, then runs it under `wrangler dev` (workerd) and times the first
// and the second request to /health. Top-level work would show as a slow first request.
import { execFileSync, spawn } from "node:child_process";
import { readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { gzipSync } from "node:zlib";

const OUT = "bench/out/bundle";
const WRANGLER = "node_modules/wrangler/bin/wrangler.js";
const PORT = 8793;
const BUDGET = 1024 * 1024;

// Emptied first: wrangler leaves earlier builds' files there (a .wasm renamed by its new hash), which counted too.
rmSync(OUT, { recursive: true, force: true });
execFileSync(process.execPath, [WRANGLER, "deploy", "--dry-run", "--outdir", OUT], { stdio: "ignore" });
const files = readdirSync(OUT).filter((f) => !f.endsWith(".map") && statSync(`${OUT}/${f}`).isFile());
const raw = files.reduce((n, f) => n + statSync(`${OUT}/${f}`).size, 0);
const gzipped = files.reduce((n, f) => n + gzipSync(readFileSync(`${OUT}/${f}`)).length, 0);

const dev = spawn(
  process.execPath,
  [
    WRANGLER,
    "dev",
    "--port",
    String(PORT),
    "--ip",
    "127.0.0.1",
    "--env-file",
    ".dev.vars.example",
    "--persist-to",
    "bench/out/state",
    "--show-interactive-dev-session=false",
  ],
  { stdio: "ignore", detached: true, env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
);
const time = async (path = "/health") => {
  const t = performance.now();
  const response = await fetch(`http://127.0.0.1:${PORT}${path}`);
  await response.text();
  return { ms: performance.now() - t, status: response.status };
};
try {
  const started = performance.now();
  let first: { ms: number; status: number } | null = null;
  // The first request touches no binding (a JSON 404): it measures the isolate and module start alone.
  for (let i = 0; i < 600 && !first; i++) {
    first = await time("/no-such-route").catch(() => null);
    if (!first) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (!first) throw new Error("wrangler dev did not answer");
  const ready = performance.now() - started;
  const health = await time();
  const second = await time();
  console.log("Bundle and start-up (wrangler dev, workerd):");
  console.log("");
  console.log("| what | figure |");
  console.log("| --- | --- |");
  console.log(`| bundle, raw (${files.length} files) | ${(raw / 1024).toFixed(1)} KiB |`);
  console.log(
    `| bundle, gzipped | ${(gzipped / 1024).toFixed(1)} KiB (budget 1024 KiB: ${gzipped < BUDGET ? "within" : "OVER"}) |`,
  );
  console.log(`| from start to the first answer | ${ready.toFixed(0)} ms |`);
  console.log(`| first request, no bindings (fresh isolate) | ${first.ms.toFixed(1)} ms (${first.status}) |`);
  console.log(
    `| first GET /health (creates local D1, R2, a Durable Object) | ${health.ms.toFixed(1)} ms (${health.status}) |`,
  );
  console.log(`| next GET /health | ${second.ms.toFixed(1)} ms |`);
} finally {
  if (dev.pid) process.kill(-dev.pid, "SIGTERM");
}
