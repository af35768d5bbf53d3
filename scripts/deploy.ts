// `npm run deploy`: applies the D1 migrations to the remote database, deploys the Worker, and
// prints what to do next. Stops at the first failing step.
import { spawnSync } from "node:child_process";

const run = (args: string[]) => {
  console.log(`\n$ wrangler ${args.join(" ")}`);
  const result = spawnSync("wrangler", args, { stdio: "inherit" });
  if (result.status !== 0) {
    console.error(`\nwrangler ${args[0]} failed; nothing after it was run.`);
    process.exit(result.status ?? 1);
  }
};

run(["d1", "migrations", "apply", "DB", "--remote"]);
run(["deploy", ...process.argv.slice(2)]);

console.log(`
Deployed. Next steps:
  1. Secrets, once (skip any already set):
       npx wrangler secret put TELEGRAM_BOT_TOKEN
       npx wrangler secret put TELEGRAM_WEBHOOK_SECRET   (32-256 chars; make one with: openssl rand -hex 32)
       npx wrangler secret put FAL_KEY
       npx wrangler secret put METRICS_TOKEN      (optional, enables GET /metrics)
  2. PUBLIC_URL in wrangler.toml must be this Worker's https origin (redeploy after changing it).
  3. Point Telegram at it and set the command menu:
       TELEGRAM_BOT_TOKEN=… TELEGRAM_WEBHOOK_SECRET=… PUBLIC_URL=https://… npm run webhook:set
  4. Check it: curl https://…/health`);
