// `npm run bench`: peak memory, CPU time (against sharp, cold and warm), crop size and crop PSNR per
// photo at 1, 4, 12 and 16 megapixels in each format, each measured in a fresh Node process running
// the Worker's image code (the same WASM codecs and decoders workerd runs). `-- --photos` runs only
// that table, `-- --only=TEXT` only the inputs whose "format size" contains TEXT. "Live peak" is what an isolate is charged for: V8
// heap plus external memory (ArrayBuffers, WASM memories) after a full GC at each step; WASM
// memories never shrink, so their high-water mark is included. "RSS peak" is the process's
// peak resident set minus that of a process that read the same file and did nothing else: an
// upper bound, inflated by garbage Node had no reason to collect.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import os from "node:os";
import { build } from "esbuild";
import { wasmModules } from "../scripts/esbuild-wasm.ts";
import { decodeOutput, lumaPsnr, sharpCrop } from "../test/detail/sharp-reference.ts";

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
  ["JPEG progressive 4:4:4", "progressive444.jpg", "JPEG", ["12MP", "16MP"]],
  ["PNG", "png", "PNG"],
  ["WEBP", "webp", "WEBP"],
  ["WEBP lossless", "lossless.webp", "WEBP", ["16MP"]],
  ["WEBP alpha", "alpha.webp", "WEBP", ["16MP"]],
] as const;
const ISOLATE_LIMIT_MB = 128;
/** What the photo step may use, leaving the rest of the 128 MB isolate to the Worker. */
const PHOTO_LIMIT_MB = 96;
const photosOnly = process.argv.includes("--photos");
const only = process.argv.find((arg) => arg.startsWith("--only="))?.slice("--only=".length);

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
  if (!existsSync(`${OUT}/${label}.alpha.webp`) || !existsSync(`${OUT}/${label}.progressive444.jpg`)) {
    execFileSync(process.execPath, [`${OUT}/make-inputs.mjs`, OUT, label, String(width), String(height)], {
      stdio: "inherit",
    });
  }
}

interface Measured {
  outcome: string;
  decoder: string;
  crop: string;
  cpuMs: number;
  warmMs: number;
  peakLiveKb: number;
  maxRssKb: number;
}
const measure = (file: string, format: string, mode: string) =>
  JSON.parse(
    execFileSync(process.execPath, ["--expose-gc", `${OUT}/photo-worker.mjs`, file, format, mode], {
      encoding: "utf8",
    }),
  ) as Measured;
const measureSharp = (file: string) =>
  JSON.parse(execFileSync(process.execPath, ["bench/sharp-worker.ts", file], { encoding: "utf8" })) as {
    coldMs: number;
    warmMs: number;
  };

console.log(`Photo processing: decode within budget, 256 px thumbnail, ≤1024 px crop, quality score.`);
console.log(
  `Machine: ${os.cpus()[0]?.model ?? "unknown CPU"} × ${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
);
console.log(
  "CPU: cold = the first photo in a fresh process, warm = the median of three after it; sharp/libvips 1 thread does the same job (EXIF, 256 px and ≤1024 px JPEGs). PSNR: luma, our crop against sharp's lanczos3 resize of the same input to the same size.",
);
console.log("");
console.log(
  "| format | size | file | decoder | outcome | crop | PSNR | CPU cold ms | sharp cold | × | CPU warm ms | sharp warm | × | live peak MB | RSS peak MB | within 96 MB |",
);
console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
let over = 0;
/** Issue 15's speed targets: CPU per photo at most 2× sharp warm and 3× sharp cold. */
const slow: string[] = [];
for (const [name, extension, format, sizes] of FORMATS) {
  for (const [label] of SIZES) {
    if (sizes && !(sizes as readonly string[]).includes(label)) continue;
    if (only && !`${name} ${label}`.includes(only)) continue;
    const file = `${OUT}/${label}.${extension}`;
    const baseline = measure(file, format, "baseline");
    const cold = measure(file, format, "cold");
    const warm = measure(file, format, "warm");
    const reference = measureSharp(file);
    const rssMb = (cold.maxRssKb - baseline.maxRssKb) / 1024;
    const peakMb = cold.peakLiveKb / 1024;
    const ok = peakMb <= PHOTO_LIMIT_MB;
    if (!ok && cold.outcome === "ok") over += 1;
    let psnr = "-";
    if (cold.outcome === "ok") {
      const ours = await decodeOutput(readFileSync(`${file}.crop.jpg`));
      psnr = `${lumaPsnr(ours, await sharpCrop(readFileSync(file), ours.width, ours.height)).toFixed(1)} dB`;
    }
    const sizeMb = statSync(file).size / 2 ** 20;
    if (cold.outcome === "ok" && (cold.cpuMs > 3 * reference.coldMs || warm.warmMs > 2 * reference.warmMs))
      slow.push(`${name} ${label}`);
    const ratio = (ours: number, theirs: number) => (cold.outcome === "ok" ? `${(ours / theirs).toFixed(1)}×` : "-");
    console.log(
      `| ${name} | ${label} | ${sizeMb.toFixed(1)} MB | ${cold.decoder} | ${cold.outcome} | ${cold.crop} | ${psnr} | ${cold.cpuMs} | ${reference.coldMs} | ${ratio(cold.cpuMs, reference.coldMs)} | ${warm.warmMs} | ${reference.warmMs} | ${ratio(warm.warmMs, reference.warmMs)} | ${peakMb.toFixed(1)} | ${rssMb.toFixed(1)} | ${ok ? "yes" : "NO"} |`,
    );
  }
}
console.log("");
console.log(
  over === 0
    ? `Every accepted input stayed within ${PHOTO_LIMIT_MB} MB (of the isolate's ${ISOLATE_LIMIT_MB} MB).`
    : `${over} accepted input(s) went over ${PHOTO_LIMIT_MB} MB.`,
);
console.log(
  slow.length === 0
    ? "Every accepted input was within 2× sharp warm and 3× sharp cold."
    : `Over 2× sharp warm or 3× sharp cold: ${slow.join(", ")}.`,
);
console.log("");
if (photosOnly) process.exit(0);
execFileSync(process.execPath, ["bench/startup.ts"], { stdio: "inherit" });
console.log("");
execFileSync(process.execPath, ["bench/backends.ts"], { stdio: "inherit" });
console.log("");
execFileSync(process.execPath, ["bench/playground.ts"], { stdio: "inherit" });
console.log("");
execFileSync(process.execPath, ["bench/webhook.ts"], { stdio: "inherit" });
