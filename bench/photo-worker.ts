// One measurement in a fresh process: read an input file, run the Worker's own decode and
// thumbnail/crop code on it, and print CPU time and peak resident memory as JSON.
import { readFileSync } from "node:fs";
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
const start = live();
let peakLive = 0;
const checkpoint = () => {
  peakLive = Math.max(peakLive, live() - start);
};
let cpuAccum = 0;
const timed = async <T>(work: () => Promise<T>): Promise<T> => {
  const before = process.cpuUsage();
  try {
    return await work();
  } finally {
    const used = process.cpuUsage(before);
    cpuAccum += used.user + used.system;
  }
};
let outcome = "ok";
let decoder = "-";
if (mode !== "baseline") {
  try {
    const decoded = await timed(() => decodeUpright(bytes, format as PhotoFormat, header));
    decoder = decoded.decoder;
    checkpoint();
    const prepared = await timed(() => preparePhoto(decoded, null));
    checkpoint();
    void prepared;
  } catch (error) {
    outcome = error instanceof ImageRefusal ? `refused (${error.reason})` : `error: ${String(error)}`;
  }
}
console.log(
  JSON.stringify({
    outcome,
    decoder,
    cpuMs: Math.round(cpuAccum / 1000),
    peakLiveKb: Math.round(peakLive / 1024),
    maxRssKb: process.resourceUsage().maxRSS,
  }),
);
