// The storage backends, per request: runs the Worker under `wrangler dev` (workerd) once on D1 + R2
// and once on Postgres (through a local Hyperdrive binding, one connection opened and closed per
// request) + S3 (test/servers/s3-server.ts on loopback, every call signed with aws4fetch), and times
// GET /health, which makes one database round trip and one storage call. The difference between the
// two rows is what a request pays for the Postgres connection and the signed S3 call.
// Needs a Postgres server as the tests do (TEST_POSTGRES_URL, or the role .ci/run creates); without
// one the Postgres row is skipped with a line saying so.
import { spawn } from "node:child_process";
import { mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import postgres from "postgres";
import { adminUrl, withDatabase } from "../test/servers/postgres-setup.ts";
import { S3_TEST_BUCKET, S3_TEST_CREDENTIALS } from "../test/servers/s3-credentials.ts";
import { startS3ServerProcess } from "../test/servers/s3-process.ts";

const OUT = "bench/out";
const WRANGLER = "node_modules/wrangler/bin/wrangler.js";
const PORT = 8794;
const REQUESTS = 200;
const LOG = `${OUT}/backends-wrangler.log`;
// As in .dev.vars.example (an --env-file is read relative to the generated config, so they go as vars).
const LOCAL_SECRETS = {
  TELEGRAM_BOT_TOKEN: "123456:local-development-token",
  TELEGRAM_WEBHOOK_SECRET: "local-development-webhook-secret-placeholder",
};

mkdirSync(OUT, { recursive: true });

async function postgresDatabase(): Promise<{ url: string; drop: () => Promise<void> } | null> {
  const admin = postgres(adminUrl(), { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await admin`SELECT 1`;
  } catch (error) {
    await admin.end();
    console.log(`Postgres row skipped: no server at ${new URL(adminUrl()).host} (${(error as Error).message}).`);
    return null;
  }
  const name = `avatar_bench_${Date.now().toString(36)}`;
  await admin.unsafe(`CREATE DATABASE "${name}"`);
  return {
    url: withDatabase(adminUrl(), name),
    drop: async () => {
      await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** Starts the Worker with these vars (and a Hyperdrive binding when given), times /health, stops it. */
async function measure(vars: Record<string, string>, hyperdrive?: string): Promise<number[]> {
  // The committed wrangler.toml plus, for Postgres, the [[hyperdrive]] block README describes.
  let config = readFileSync("wrangler.toml", "utf8")
    .replace('main = "src/index.ts"', 'main = "../../src/index.ts"')
    .replace('migrations_dir = "migrations"', 'migrations_dir = "../../migrations"');
  if (hyperdrive)
    config += `\n[[hyperdrive]]\nbinding = "HYPERDRIVE"\nid = "00000000000000000000000000000000"\nlocalConnectionString = "${hyperdrive}"\n`;
  writeFileSync(`${OUT}/wrangler.backends.toml`, config);
  const dev = spawn(
    process.execPath,
    [
      WRANGLER,
      "dev",
      ...["--config", `${OUT}/wrangler.backends.toml`, "--port", String(PORT), "--ip", "127.0.0.1"],
      ...["--persist-to", `${OUT}/state-backends`],
      ...Object.entries({ ...LOCAL_SECRETS, ...vars }).flatMap(([name, value]) => ["--var", `${name}:${value}`]),
      "--show-interactive-dev-session=false",
    ],
    {
      stdio: ["ignore", openSync(LOG, "w"), openSync(LOG, "a")],
      detached: true,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    },
  );
  try {
    let ready = false;
    for (let i = 0; i < 900 && !ready; i++) {
      ready = await fetch(`http://127.0.0.1:${PORT}/health`)
        .then(async (r) => (await r.text()) !== "" && r.ok)
        .catch(() => false);
      if (!ready) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (!ready)
      throw new Error(
        `wrangler dev did not answer /health with ${JSON.stringify(vars)}:\n${readFileSync(LOG, "utf8")}`,
      );
    const times: number[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const t = performance.now();
      const response = await fetch(`http://127.0.0.1:${PORT}/health`);
      const body = await response.text();
      if (!response.ok) throw new Error(`/health answered ${response.status}: ${body}`);
      times.push(performance.now() - t);
    }
    return times.sort((a, b) => a - b);
  } finally {
    const exited = new Promise((resolve) => dev.once("exit", resolve));
    if (dev.pid) process.kill(-dev.pid, "SIGTERM");
    await exited;
  }
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
const row = (name: string, times: number[]) =>
  `| ${name} | ${quantile(times, 0.5).toFixed(1)} ms | ${quantile(times, 0.95).toFixed(1)} ms | ${(times.at(-1) ?? 0).toFixed(1)} ms |`;

const s3 = await startS3ServerProcess();
const database = await postgresDatabase();
try {
  console.log(`Backends per request (wrangler dev, workerd): GET /health × ${REQUESTS}, one after another.`);
  console.log("");
  console.log("| database + storage | p50 | p95 | max |");
  console.log("| --- | --- | --- | --- |");
  console.log(row("D1 + R2 (local bindings)", await measure({})));
  const s3Vars = {
    STORAGE_DRIVER: "s3",
    S3_ENDPOINT: s3.endpoint,
    S3_BUCKET: S3_TEST_BUCKET,
    S3_ACCESS_KEY_ID: S3_TEST_CREDENTIALS.accessKeyId,
    S3_SECRET_ACCESS_KEY: S3_TEST_CREDENTIALS.secretAccessKey,
  };
  console.log(row("D1 + S3 (s3-server on loopback)", await measure(s3Vars)));
  if (database) {
    console.log(
      row("Postgres (Hyperdrive, local) + S3", await measure({ ...s3Vars, DB_DRIVER: "postgres" }, database.url)),
    );
  }
} finally {
  await database?.drop();
  await s3.stop();
}
