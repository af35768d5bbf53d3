// `npm run test:fuzz` (part of `npm test`): a bounded fuzz of the photo decoders. Mutated JPEG, PNG
// and WEBP seeds, from a fixed seed, go through the same steps as an uploaded file; it fails if any
// case takes over 2 s, allocates over 96 MB at once (a typed array, an ArrayBuffer or a WASM memory),
// or ends in an error that is not a typed refusal, and if the whole run takes over 60 s. A case that
// never ends is found by a watchdog. Failing inputs are written to .tmp/fuzz/ to reproduce.
import { fork } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { build } from "esbuild";
import { wasmModules } from "./esbuild-wasm.ts";

const CASES = Number(process.env.FUZZ_CASES ?? 2000);
const SEED = Number(process.env.FUZZ_SEED ?? 15);
const CASE_LIMIT_MS = 2_000;
const RUN_LIMIT_MS = 60_000;
const ALLOCATION_LIMIT = 96 * 2 ** 20;
const OUT = ".tmp/fuzz";

interface Done {
  kind: "done";
  index: number;
  label: string;
  outcome: string;
  failure?: string;
  ms: number;
  cpuMs: number;
  largestAllocation: number;
  allocationWhere: string;
  wasmMemory: number;
  bytes?: string;
}
type Message = { kind: "start"; index: number; label: string } | Done;

mkdirSync(OUT, { recursive: true });
await build({
  entryPoints: ["test/fuzz/image-fuzz.ts"],
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node22",
  outfile: `${OUT}/image-fuzz.mjs`,
  plugins: [wasmModules],
  logLevel: "error",
});

const started = performance.now();
const failures: string[] = [];
const outcomes = new Map<string, number>();
let slowest = { ms: 0, label: "" };
let largest = { bytes: 0, label: "" };
let current: { index: number; label: string } | undefined;
let lastMessage = performance.now();

const child = fork(`${OUT}/image-fuzz.mjs`, [String(CASES), String(SEED)], {
  stdio: ["ignore", "inherit", "inherit", "ipc"],
});
const watchdog = setInterval(() => {
  const now = performance.now();
  if (now - lastMessage > 4 * CASE_LIMIT_MS || now - started > RUN_LIMIT_MS + 10_000) {
    failures.push(current ? `case ${current.index} (${current.label}) did not end` : "the fuzz run did not end");
    child.kill("SIGKILL");
  }
}, 500);

const fail = (done: Done, why: string) => {
  failures.push(`case ${done.index} (${done.label}): ${why}`);
  if (done.bytes) writeFileSync(`${OUT}/case-${done.index}.bin`, Buffer.from(done.bytes, "base64"));
};

child.on("message", (message: Message) => {
  lastMessage = performance.now();
  if (message.kind === "start") {
    current = message;
    return;
  }
  const done = message;
  const outcome = done.outcome.startsWith("refused (") ? done.outcome : done.outcome;
  outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  const ms = Math.max(done.ms, done.cpuMs);
  if (ms > slowest.ms) slowest = { ms, label: `case ${done.index} (${done.label}): ${done.outcome}` };
  const bytes = Math.max(done.largestAllocation, done.wasmMemory);
  if (bytes > largest.bytes)
    largest = {
      bytes,
      label: `case ${done.index} (${done.label}, ${done.wasmMemory >= done.largestAllocation ? "WASM memory" : done.allocationWhere})`,
    };
  if (done.failure) fail(done, `not a typed refusal: ${done.failure}`);
  if (ms > CASE_LIMIT_MS) fail(done, `took ${Math.round(ms)} ms`);
  if (bytes > ALLOCATION_LIMIT) fail(done, `allocated ${(bytes / 2 ** 20).toFixed(1)} MB at once`);
});

const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
clearInterval(watchdog);
const total = performance.now() - started;
if (code !== 0 && failures.length === 0) failures.push(`the fuzz worker exited with ${code}`);
if (total > RUN_LIMIT_MS) failures.push(`the run took ${Math.round(total / 1000)} s`);

const counts = [...outcomes].map(([outcome, n]) => `${n} ${outcome}`).join(", ");
console.log(`image fuzz: ${CASES} cases from seed ${SEED} in ${(total / 1000).toFixed(1)} s: ${counts}`);
console.log(`image fuzz: slowest ${Math.round(slowest.ms)} ms, ${slowest.label}`);
console.log(`image fuzz: largest allocation ${(largest.bytes / 2 ** 20).toFixed(1)} MB, ${largest.label}`);
for (const failure of failures) console.error(`image fuzz FAILED: ${failure}`);
process.exit(failures.length === 0 ? 0 : 1);
