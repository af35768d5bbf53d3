// One measurement in a fresh process: read an input file, run the Worker's own decode and
// thumbnail/crop code on it, and print CPU time and peak resident memory as JSON. "cold" is the
// first call in the process (WASM compiled, caches empty); "warm" the median of three calls after it.
// The crop is written next to the input (`<file>.crop.jpg`) for the parent to compare with sharp.
import { readFileSync, writeFileSync } from "node:fs";
import { ImageRefusal, type PhotoFormat } from "../src/domain/ports";
import { decodeUpright, preparePhoto, readHeader } from "../src/images/prepare";

const [, , path, format, mode] = process.argv;
const bytes = new Uint8Array(readFileSync(path as string));
const header = readHeader(bytes);
if (!header) throw new Error(`unreadable header in ${path}`);
// Live memory: V8 heap plus external memory (ArrayBuffers, WASM memories), after a full GC,
// at each step; WASM memories never shrink, so their high-water mark is still there afterwards.
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --expose-gc");
const live = () => {
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
};
// A decoder's fresh WASM instance is garbage by the time a checkpoint looks: each instance is held
// until the next checkpoint, so its memory's high-water mark counts at the step that reached it.
const held: WebAssembly.Instance[] = [];
const instantiate = WebAssembly.instantiate.bind(WebAssembly);
(WebAssembly as { instantiate: unknown }).instantiate = async (...args: Parameters<typeof instantiate>) => {
  const result = (await instantiate(...args)) as WebAssembly.Instance | { instance: WebAssembly.Instance };
  held.push(result instanceof WebAssembly.Instance ? result : result.instance);
  return result;
};
const start = live();
let peakLive = 0;
const checkpoint = () => {
  peakLive = Math.max(peakLive, live() - start);
  held.length = 0;
};
const cpuOf = async (work: () => Promise<void>): Promise<number> => {
  const before = process.cpuUsage();
  await work();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
};
let outcome = "ok";
let decoder = "-";
let crop = "-";
const once = async (measureMemory: boolean) => {
  let cpu = 0;
  const decoded = await (async () => {
    let result: Awaited<ReturnType<typeof decodeUpright>> | undefined;
    cpu += await cpuOf(async () => {
      result = await decodeUpright(bytes, format as PhotoFormat, header);
    });
    return result as Awaited<ReturnType<typeof decodeUpright>>;
  })();
  decoder = decoded.decoder;
  if (measureMemory) checkpoint();
  cpu += await cpuOf(async () => {
    const prepared = await preparePhoto(decoded, null);
    crop = `${prepared.processedWidth}×${prepared.processedHeight}`;
    writeFileSync(`${path}.crop.jpg`, new Uint8Array(prepared.processed));
  });
  if (measureMemory) checkpoint();
  return cpu;
};
let cpuMs = 0;
let warmMs = 0;
if (mode !== "baseline") {
  try {
    cpuMs = await once(mode === "cold");
    if (mode === "warm") {
      const runs = [await once(false), await once(false), await once(false)].sort((a, b) => a - b);
      warmMs = runs[1] ?? 0;
    }
  } catch (error) {
    outcome = error instanceof ImageRefusal ? `refused (${error.reason})` : `error: ${String(error)}`;
  }
}
console.log(
  JSON.stringify({
    outcome,
    decoder,
    crop,
    cpuMs: Math.round(cpuMs),
    warmMs: Math.round(warmMs),
    peakLiveKb: Math.round(peakLive / 1024),
    maxRssKb: process.resourceUsage().maxRSS,
  }),
);
