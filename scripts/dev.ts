// `npm run dev`: applies migrations to the local D1, then runs the Worker on local D1, R2 and
// Durable Objects. Secrets come from .dev.vars, or from .dev.vars.example when there is none.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const envFile = existsSync(".dev.vars") ? ".dev.vars" : ".dev.vars.example";
if (envFile !== ".dev.vars") console.log("No .dev.vars found: using the placeholders in .dev.vars.example.");

const migrate = spawnSync("wrangler", ["d1", "migrations", "apply", "DB", "--local"], {
  stdio: "inherit",
  env: { ...process.env, CI: "true" },
});
if (migrate.status !== 0) process.exit(migrate.status ?? 1);

const dev = spawn(
  "wrangler",
  ["dev", "--env-file", envFile, "--show-interactive-dev-session=false", ...process.argv.slice(2)],
  { stdio: "inherit" },
);
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => dev.kill(signal));
dev.on("exit", (code) => process.exit(code ?? 0));
