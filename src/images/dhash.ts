import type { PhotoStats } from "./jpeg-codec";

const COLUMNS = 9;
const ROWS = 8;

/**
 * A 64-bit difference hash (dHash) as 16 hex digits: the picture in grey, averaged down to 9×8
 * (`JpegCodec.photoStats` gives the cells' means),
 * one bit per pair of neighbours in a row (is the left one darker?). It survives recompression,
 * rescaling and a change of format, which is how Telegram's photo and the same picture sent as a
 * file differ, so the two are near in Hamming distance where their bytes are not.
 */
export function differenceHash(stats: Pick<PhotoStats, "cells">): string {
  const grey = stats.cells;
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
