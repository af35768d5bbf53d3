// The reference a training crop is measured against: sharp/libvips (one thread), EXIF applied, the
// same region, resized with lanczos3 to the crop's size, alpha flattened over white as ours is.
// Node only (bench and the detail test), never in the Worker.
import sharp from "sharp";

sharp.concurrency(1);

export interface Rgba {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
}

export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

export async function sharpCrop(input: Uint8Array, width: number, height: number, region?: Box): Promise<Rgba> {
  let pipeline = sharp(input).rotate();
  if (region) pipeline = sharp(await pipeline.toBuffer()).extract(region);
  const { data, info } = await pipeline
    .resize(width, height, { kernel: "lanczos3", fit: "fill" })
    .flatten({ background: "#ffffff" })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** Decodes one of our JPEG outputs with libjpeg (sharp) to RGBA. */
export async function decodeOutput(jpeg: ArrayBuffer | Uint8Array): Promise<Rgba> {
  const { data, info } = await sharp(new Uint8Array(jpeg)).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** Luma (BT.601) PSNR in dB between two pictures of one size. */
export function lumaPsnr(a: Rgba, b: Rgba): number {
  if (a.width !== b.width || a.height !== b.height)
    throw new Error(`sizes differ: ${a.width}×${a.height} and ${b.width}×${b.height}`);
  let squared = 0;
  for (let i = 0; i < a.width * a.height * 4; i += 4) {
    const la = 0.299 * (a.data[i] ?? 0) + 0.587 * (a.data[i + 1] ?? 0) + 0.114 * (a.data[i + 2] ?? 0);
    const lb = 0.299 * (b.data[i] ?? 0) + 0.587 * (b.data[i + 1] ?? 0) + 0.114 * (b.data[i + 2] ?? 0);
    squared += (la - lb) ** 2;
  }
  const mse = squared / (a.width * a.height);
  return mse === 0 ? 99 : 10 * Math.log10((255 * 255) / mse);
}
