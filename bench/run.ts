// `npm run bench`: peak memory and CPU time per photo at 1, 4, 12 and 16 megapixels in each
// format, each measured in a fresh Node process running the Worker's image code (the same
// WASM codecs and decoders workerd runs). "Live peak" is what an isolate is charged for: V8
// heap plus external memory (ArrayBuffers, WASM memories) after a full GC at each step; WASM
// memories never shrink, so their high-water mark is included. "RSS peak" is the process's
// peak resident set minus that of a process that read the same file and did nothing else: an
// upper bound, inflated by garbage Node had no reason to collect.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import os from "node:os";
import { build } from "esbuild";
import { wasmModules } from "../scripts/esbuild-wasm.ts";

const OUT = "bench/out";
const SIZES = [
  ["1MP", 1152, 864],
  ["4MP", 2304, 1728],
  ["12MP", 4000, 3000],
  ["16MP", 4096, 4096],
] as const;
const FORMATS = [
  ["JPEG baseline", "jpg", "JPEG"],
  ["JPEG progressive", "progressive.jpg", "JPEG"],
  ["PNG", "png", "PNG"],
  ["WEBP", "webp", "WEBP"],
] as const;
const ISOLATE_LIMIT_MB = 128;

mkdirSync(OUT, { recursive: true });
for (const entry of ["photo-worker", "make-inputs"]) {
  await build({
    entryPoints: [`bench/${entry}.ts`],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    outfile: `${OUT}/${entry}.mjs`,
    plugins: [wasmModules],
    logLevel: "error",
  });
}
for (const [label, width, height] of SIZES) {
  if (!existsSync(`${OUT}/${label}.webp`)) {
    execFileSync(process.execPath, [`${OUT}/make-inputs.mjs`, OUT, label, String(width), String(height)], {
      stdio: "inherit",
    });
  }
}

const measure = (file: string, format: string, mode: string) =>
  JSON.parse(
    execFileSync(process.execPath, ["--expose-gc", `${OUT}/photo-worker.mjs`, file, format, mode], {
      encoding: "utf8",
    }),
  ) as { outcome: string; decoder: string; cpuMs: number; peakLiveKb: number; maxRssKb: number };

console.log(`Photo processing: decode within budget, 256 px thumbnail, ≤1024 px crop, quality score.`);
console.log(
  `Machine: ${os.cpus()[0]?.model ?? "unknown CPU"} × ${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
);
console.log("");
console.log("| format | size | file | decoder | outcome | CPU ms | live peak MB | RSS peak MB | within 128 MB |");
console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
let over = 0;
for (const [name, extension, format] of FORMATS) {
  for (const [label] of SIZES) {
    const file = `${OUT}/${label}.${extension}`;
    const baseline = measure(file, format, "baseline");
    const runs = [measure(file, format, "run"), measure(file, format, "run")];
    const best = runs.reduce((a, b) => (a.cpuMs <= b.cpuMs ? a : b));
    const rssMb = Math.max(...runs.map((r) => (r.maxRssKb - baseline.maxRssKb) / 1024));
    const peakMb = Math.max(...runs.map((r) => r.peakLiveKb / 1024));
    const ok = peakMb < ISOLATE_LIMIT_MB;
    if (!ok && best.outcome === "ok") over += 1;
    const sizeMb =
      (execFileSync("stat", ["-c", "%s", file], { encoding: "utf8" }).trim() as unknown as number) / 2 ** 20;
    console.log(
      `| ${name} | ${label} | ${sizeMb.toFixed(1)} MB | ${best.decoder} | ${best.outcome} | ${best.cpuMs} | ${peakMb.toFixed(1)} | ${rssMb.toFixed(1)} | ${ok ? "yes" : "NO"} |`,
    );
  }
}
console.log("");
console.log(over === 0 ? "Every accepted input stayed under 128 MB." : `${over} accepted input(s) went over 128 MB.`);
console.log("");
execFileSync(process.execPath, ["bench/startup.ts"], { stdio: "inherit" });
console.log("");
execFileSync(process.execPath, ["bench/backends.ts"], { stdio: "inherit" });
console.log("");
execFileSync(process.execPath, ["bench/playground.ts"], { stdio: "inherit" });
console.log("");
execFileSync(process.execPath, ["bench/webhook.ts"], { stdio: "inherit" });
