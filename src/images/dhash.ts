import type { Raster } from "../domain/ports";

const COLUMNS = 9;
const ROWS = 8;

/**
 * A 64-bit difference hash (dHash) as 16 hex digits: the picture in grey, averaged down to 9×8,
 * one bit per pair of neighbours in a row (is the left one darker?). It survives recompression,
 * rescaling and a change of format, which is how Telegram's photo and the same picture sent as a
 * file differ, so the two are near in Hamming distance where their bytes are not.
 */
export function differenceHash(image: Raster): string {
  const sums = new Float64Array(COLUMNS * ROWS);
  const counts = new Uint32Array(COLUMNS * ROWS);
  for (let y = 0; y < image.height; y++) {
    const row = Math.min(ROWS - 1, Math.floor((y * ROWS) / image.height));
    for (let x = 0; x < image.width; x++) {
      const cell = row * COLUMNS + Math.min(COLUMNS - 1, Math.floor((x * COLUMNS) / image.width));
      const i = (y * image.width + x) * 4;
      sums[cell] =
        (sums[cell] ?? 0) +
        0.299 * (image.data[i] ?? 0) +
        0.587 * (image.data[i + 1] ?? 0) +
        0.114 * (image.data[i + 2] ?? 0);
      counts[cell] = (counts[cell] ?? 0) + 1;
    }
  }
  const grey = Array.from(sums, (sum, cell) => sum / Math.max(1, counts[cell] ?? 0));
  let hex = "";
  for (let y = 0; y < ROWS; y++) {
    let byte = 0;
    for (let x = 0; x < COLUMNS - 1; x++) {
      byte = (byte << 1) | ((grey[y * COLUMNS + x] ?? 0) < (grey[y * COLUMNS + x + 1] ?? 0) ? 1 : 0);
    }
    hex += byte.toString(16).padStart(2, "0");
  }
  return hex;
}
