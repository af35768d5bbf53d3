// `npm run playground`, timed: from the command to its one URL (bundling the stand-ins, a fresh local
// D1 with its migrations, wrangler dev up and answering /health), the page's first load, and Ctrl-C
// to every process gone. Three runs; the best and the worst are shown.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { delimiter, resolve } from "node:path";

const RUNS = 3;
const env = {
  ...process.env,
  // As under npm: wrangler from node_modules/.bin, on the Node 22 that npm scripts use.
  PATH: `${resolve("node_modules/.bin")}${delimiter}${process.env.PATH ?? ""}`,
  WRANGLER_SEND_METRICS: "false",
};

async function once(): Promise<{ readyMs: number; pageMs: number; stopMs: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, ["scripts/playground.ts", "--port", "0"], {
    stdio: ["ignore", "pipe", "pipe"],
    env,
  });
  let output = "";
  child.stderr.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const url = await new Promise<string>((resolveUrl, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const found = /Avatar Studio playground: (http:\/\/\S+)/.exec(output)?.[1];
      if (found) resolveUrl(found);
    });
    child.once("exit", (code) => reject(new Error(`the playground exited with ${code}:\n${output}`)));
  });
  const readyMs = performance.now() - started;
  const { workerProcessGroup } = JSON.parse(readFileSync(".wrangler/playground/run.json", "utf8"));
  const pageStarted = performance.now();
  await (await fetch(url)).text();
  const pageMs = performance.now() - pageStarted;

  const stopStarted = performance.now();
  const exited = new Promise((resolveExit) => child.once("exit", resolveExit));
  child.kill("SIGINT");
  await exited;
  const stopMs = performance.now() - stopStarted;
  let left = true;
  try {
    process.kill(-workerProcessGroup, 0);
  } catch {
    left = false;
  }
  if (left) throw new Error("processes of the Worker's group were still there after the playground exited");
  return { readyMs, pageMs, stopMs };
}

const runs: Array<Awaited<ReturnType<typeof once>>> = [];
for (let i = 0; i < RUNS; i++) runs.push(await once());
const span = (pick: (run: (typeof runs)[number]) => number) => {
  const values = runs.map(pick).sort((a, b) => a - b);
  return `${values[0]?.toFixed(0)}–${values.at(-1)?.toFixed(0)} ms`;
};
console.log(`The playground (npm run playground), ${RUNS} runs:`);
console.log("");
console.log("| what | best–worst |");
console.log("| --- | --- |");
console.log(`| command to its URL (stand-ins bundled, D1 migrated, Worker healthy) | ${span((r) => r.readyMs)} |`);
console.log(`| first load of the page | ${span((r) => r.pageMs)} |`);
console.log(`| Ctrl-C to every process gone | ${span((r) => r.stopMs)} |`);
