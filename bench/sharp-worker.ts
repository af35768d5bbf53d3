// sharp/libvips with one thread doing the same job as bench/photo-worker.ts, in a fresh process:
// EXIF applied, a 256 px JPEG thumbnail and a ≤1024 px JPEG crop. Prints the CPU time of the first
// call (cold) and the median of three calls after it (warm), as JSON.
import { readFileSync } from "node:fs";
import sharp from "sharp";

sharp.concurrency(1);
sharp.cache(false);
const [, , path] = process.argv;
const input = readFileSync(path as string);

const job = async () => {
  await sharp(input).rotate().resize(256, 256, { fit: "inside" }).jpeg({ quality: 80 }).toBuffer();
  await sharp(input)
    .rotate()
    .resize(1024, 1024, { fit: "inside", withoutEnlargement: true, kernel: "lanczos3" })
    .jpeg({ quality: 90 })
    .toBuffer();
};
const cpuOf = async (work: () => Promise<void>) => {
  const before = process.cpuUsage();
  await work();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
};
const cold = await cpuOf(job);
const warm = [await cpuOf(job), await cpuOf(job), await cpuOf(job)].sort((a, b) => a - b)[1] ?? 0;
console.log(JSON.stringify({ coldMs: Math.round(cold), warmMs: Math.round(warm) }));
