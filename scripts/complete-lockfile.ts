// The npm registry these machines reach lacks some other platforms' binary packages (macOS and
// Windows builds of workerd and Biome). `npm install` then leaves them out of package-lock.json and
// `npm ci` refuses the lock as out of sync. This adds each missing optional platform package with
// the os/cpu/libc its name declares, so `npm ci` skips it here and installs it where it belongs.
// Run after any `npm install` that changes the lock: `npm run lock:complete`.
import { readFileSync, writeFileSync } from "node:fs";

interface Entry {
  version?: string;
  dev?: boolean;
  optional?: boolean;
  optionalDependencies?: Record<string, string>;
  [key: string]: unknown;
}

const lock = JSON.parse(readFileSync("package-lock.json", "utf8")) as { packages: Record<string, Entry> };
const packages = lock.packages;
let added = 0;

for (const [path, entry] of Object.entries(packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const platform = platformOf(name);
    if (!platform) continue;
    // npm resolves from the package's own node_modules up through each ancestor's.
    const dirs = ancestors(path);
    if (dirs.some((dir) => packages[`${dir}node_modules/${name}`]?.version === version)) continue;
    // Put it beside a sibling build of the same release that npm did install (this platform's).
    const home = dirs.find((dir) =>
      Object.keys(entry.optionalDependencies ?? {}).some(
        (other) => other !== name && packages[`${dir}node_modules/${other}`]?.version === version,
      ),
    );
    if (home === undefined) continue;
    packages[`${home}node_modules/${name}`] = {
      version,
      ...(entry.dev ? { dev: true } : {}),
      optional: true,
      ...platform,
    };
    added += 1;
  }
}

const sorted = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : 1)),
);
lock.packages = sorted;
writeFileSync("package-lock.json", `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: added ${added} platform package entr${added === 1 ? "y" : "ies"}.`);

/** "a/node_modules/b" → ["a/node_modules/b/", "a/", ""]: where npm looks for b's dependencies. */
function ancestors(path: string): string[] {
  const dirs = [path ? `${path}/` : ""];
  let rest = path;
  while (rest.includes("node_modules/")) {
    rest = rest.slice(0, rest.lastIndexOf("node_modules/"));
    dirs.push(rest);
    rest = rest.replace(/\/$/, "");
  }
  return [...new Set(dirs)];
}

function platformOf(name: string): { os: string[]; cpu: string[]; libc?: string[] } | null {
  const os = /darwin/.test(name)
    ? "darwin"
    : /win32|windows/.test(name)
      ? "win32"
      : /android/.test(name)
        ? "android"
        : /freebsd/.test(name)
          ? "freebsd"
          : /linux/.test(name)
            ? "linux"
            : null;
  if (!os) return null;
  const cpu = /arm64|aarch64/.test(name)
    ? "arm64"
    : /ia32/.test(name)
      ? "ia32"
      : /-arm\b|armv7/.test(name)
        ? "arm"
        : "x64";
  return { os: [os], cpu: [cpu], ...(/musl/.test(name) ? { libc: ["musl"] } : {}) };
}
