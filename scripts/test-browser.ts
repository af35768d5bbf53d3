// `npm run test:browser`: the playground's browser journey in Debian's Chromium (never a downloaded
// browser). Where Chromium is missing, this tool installs Debian's `chromium` package (and the emoji
// font the bot's messages need) under CI=true or with `--install`; otherwise it skips the journey
// with one line, so a plain `npm test` on a machine without Chromium stays green.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const CHROMIUM = "/usr/bin/chromium";
const PACKAGES = ["chromium", "fonts-noto-color-emoji"];

const args = process.argv.slice(2);
const install = process.env.CI === "true" || args.includes("--install");
const vitestArgs = args.filter((arg) => arg !== "--install");

const absent = missing();
if (absent.length > 0 && install) installPackages(absent);
if (!existsSync(CHROMIUM)) {
  const line = `browser journey: skipped, no Chromium at ${CHROMIUM} (run \`npm run test:browser -- --install\` to install Debian's chromium package, or apt-get install chromium)`;
  if (process.env.CI === "true") {
    console.error(`${line}; CI=true needs it`);
    process.exit(1);
  }
  console.log(line);
  process.exit(0);
}
const run = spawnSync("vitest", ["run", "--config", "vitest.browser.config.ts", ...vitestArgs], { stdio: "inherit" });
process.exit(run.status ?? 1);

/** The packages of PACKAGES that are not installed, by dpkg's own record. */
function missing(): string[] {
  return PACKAGES.filter((name) => {
    const query = spawnSync("dpkg", ["--status", name], { encoding: "utf8" });
    return !query.stdout?.includes("Status: install ok installed");
  });
}

/** apt-get install, through sudo unless this runs as root; a failed install is reported, not fatal here. */
function installPackages(names: string[]): void {
  console.log(`browser journey: installing ${names.join(", ")} from Debian's packages`);
  // sudo resets the environment, so DEBIAN_FRONTEND goes through env; -n fails at once rather than
  // waiting for a password nobody will type.
  const sudo = process.getuid?.() !== 0;
  const apt = (...aptArgs: string[]) =>
    spawnSync(
      sudo ? "sudo" : "env",
      [...(sudo ? ["-n", "env"] : []), "DEBIAN_FRONTEND=noninteractive", "apt-get", ...aptArgs],
      { stdio: "inherit" },
    ).status === 0;
  // The package lists may be stale on a fresh machine: update once and try again.
  if (!apt("install", "-y", "-q", ...names) && !(apt("update", "-q") && apt("install", "-y", "-q", ...names)))
    console.error(`browser journey: apt-get could not install ${names.join(", ")}`);
}
