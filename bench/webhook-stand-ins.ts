// What bench/webhook.ts runs in its own process, bundled by esbuild (the stand-ins and the Worker's
// image code import without extensions, and the codecs are WASM): the Telegram and fal stand-ins the
// tests and the playground use, and the playground's sample portraits as Telegram hands them to a bot.

import { samplePhoto } from "../playground/samples";
import { encodeJpegRaster, resizeRaster } from "../src/images/codecs";
import { decodeUpright, fitWithin, readHeader } from "../src/images/prepare";

export { FalStandIn } from "../test/stand-ins/fal";
export { type StandInEvent, type StandInUser, type StoredMessage, TelegramStandIn } from "../test/stand-ins/telegram";

export interface PhotoSize {
  bytes: Uint8Array;
  width: number;
  height: number;
}

/**
 * Sample portrait `index` (each one a different file) as a compressed photo: upright JPEGs at
 * Telegram's pre-scaled sizes, smallest first, as playground/server.ts makes them.
 */
export async function telegramPhoto(index: number): Promise<PhotoSize[]> {
  const original = await samplePhoto(index);
  const header = readHeader(original);
  if (!header) throw new Error(`sample ${index} has no readable header`);
  const { raster } = await decodeUpright(original, "JPEG", header);
  const longSide = Math.max(raster.width, raster.height);
  const sides = [90, 320, 800].filter((side) => side < longSide).concat(Math.min(1280, longSide));
  const sizes: PhotoSize[] = [];
  for (const side of sides) {
    const { width, height } = fitWithin(raster.width, raster.height, side);
    const jpeg = await encodeJpegRaster(await resizeRaster(raster, width, height), 87);
    sizes.push({ bytes: new Uint8Array(jpeg), width, height });
  }
  return sizes;
}
