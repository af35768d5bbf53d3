// The training crop's detail, measured against sharp (run by scripts/test-detail.ts, in Node): every
// accepted corpus file and the large cases go through decodeUpright and preparePhoto as an
// upload does, without a face and with one, and each crop must have the long side min(1024, region)
// and a luma PSNR of at least 30 dB against sharp's lanczos3 resize of the same region.
import type { FaceBox } from "../../src/domain/entities";
import type { PhotoFormat } from "../../src/domain/ports";
import { decodeUpright, preparePhoto, readHeader } from "../../src/images/prepare";
import { sniffFormat } from "../../src/images/sniff";
import { acceptedCorpus } from "../corpus/accepted";
import { jpeg, picture, png, webp, withExifOrientation } from "../corpus/images";
import { decodeOutput, lumaPsnr, sharpCrop } from "./sharp-reference";

const MIN_PSNR = 30;

/** A portrait with photographic noise, as the bench draws it. */
function photo(width: number, height: number) {
  const image = picture(width, height, 7);
  for (let i = 0; i < image.data.length; i += 4) {
    const noise = ((i * 2654435761) >>> 24) % 23;
    image.data[i] = (image.data[i] ?? 0) + noise;
    image.data[i + 1] = (image.data[i + 1] ?? 0) + noise;
  }
  return image;
}

const inputs: Array<[string, () => Promise<Uint8Array>]> = [
  ...acceptedCorpus,
  [
    "3000×4000 progressive JPEG with EXIF 6",
    async () => withExifOrientation(await jpeg(photo(4000, 3000), { progressive: true, quality: 88 }), 6),
  ],
  ["4096×1024 baseline panorama", () => jpeg(photo(4096, 1024), { quality: 88 })],
  // 100 MB of coefficients in full: read through compact-coef.patch's compact storage.
  [
    "4096×4096 progressive 4:4:4 JPEG",
    () => jpeg(photo(4096, 4096), { quality: 88, progressive: true, chroma: "4:4:4" }),
  ],
  ["2304×1728 PNG", () => png(photo(2304, 1728))],
  // The upright picture (1500×1000) has too few pixels for the face crops, so each region is decoded again from the source.
  ...[3, 6, 8].map((orientation): [string, () => Promise<Uint8Array>] => [
    `3000×2000 progressive JPEG with EXIF ${orientation}`,
    async () => withExifOrientation(await jpeg(photo(3000, 2000), { progressive: true, quality: 88 }), orientation),
  ]),
  ["1600×1200 lossy WEBP", () => webp(photo(1600, 1200))],
];
// The face box, 20% × 40% of the frame, and a small one off to a corner (a wrong region shows there).
const FACES: FaceBox[] = [
  { x: 0.4, y: 0.25, width: 0.2, height: 0.4 },
  { x: 0.08, y: 0.1, width: 0.1, height: 0.12 },
];

/** The face square as preparePhoto cuts it, in upright source pixels. */
function faceSquare(width: number, height: number, face: FaceBox) {
  const side = Math.round(Math.min(Math.min(width, height), Math.max(face.width * width, face.height * height) * 3));
  const cx = (face.x + face.width / 2) * width;
  const cy = (face.y + face.height / 2) * height;
  const left = Math.round(Math.min(Math.max(0, cx - side / 2), width - side));
  const top = Math.round(Math.min(Math.max(0, cy - side / 2), height - side));
  return { left, top, width: side, height: side };
}

let failed = 0;
let passed = 0;
console.log("| input | crop | PSNR | face crop | PSNR | small face crop | PSNR |");
console.log("| --- | --- | --- | --- | --- | --- | --- |");
for (const [name, make] of inputs) {
  const bytes = await make();
  const header = readHeader(bytes);
  if (!header) throw new Error(`${name}: no header`);
  const [width, height] = header.orientation >= 5 ? [header.height, header.width] : [header.width, header.height];
  const upright = await decodeUpright(bytes, sniffFormat(bytes) as PhotoFormat, header);
  const cells: string[] = [];
  const problems: string[] = [];
  for (const face of [null, ...FACES]) {
    const region = face ? faceSquare(width, height, face) : { left: 0, top: 0, width, height };
    const prepared = await preparePhoto(upright, face);
    const crop = await decodeOutput(prepared.processed);
    const wanted = Math.min(1024, Math.max(region.width, region.height));
    const psnr = lumaPsnr(crop, await sharpCrop(bytes, crop.width, crop.height, face ? region : undefined));
    cells.push(`${crop.width}×${crop.height}`, `${psnr.toFixed(1)} dB`);
    if (Math.max(crop.width, crop.height) !== wanted)
      problems.push(`${face ? "face " : ""}crop long side ${Math.max(crop.width, crop.height)}, wanted ${wanted}`);
    if (psnr < MIN_PSNR) problems.push(`${face ? "face " : ""}crop PSNR ${psnr.toFixed(1)} dB`);
  }
  console.log(`| ${name} | ${cells.join(" | ")} |`);
  for (const problem of problems) console.error(`crop detail FAILED: ${name}: ${problem}`);
  if (problems.length > 0) failed++;
  else passed++;
}
console.log(`crop detail: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
