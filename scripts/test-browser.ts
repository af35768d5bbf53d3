// `npm run test:browser`: the playground's browser journey in Debian's Chromium. Where no Chromium
// is installed it is skipped with one line, except under CI=true, where that is a failure
// (.ci/run installs the package first).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const CHROMIUM = "/usr/bin/chromium";
if (!existsSync(CHROMIUM)) {
  const line = `browser journey: skipped, no Chromium at ${CHROMIUM} (apt-get install chromium, or run .ci/run, which installs it)`;
  if (process.env.CI === "true") {
    console.error(`${line}; CI=true needs it`);
    process.exit(1);
  }
  console.log(line);
  process.exit(0);
}
const run = spawnSync("vitest", ["run", "--config", "vitest.browser.config.ts", ...process.argv.slice(2)], {
  stdio: "inherit",
});
process.exit(run.status ?? 1);
