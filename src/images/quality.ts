import type { PhotoStats } from "./jpeg-codec";

/**
 * A 0–1 quality score from a small decoded image's statistics (`JpegCodec.photoStats`, which reads
 * luma in doubles as 0.299 R + 0.587 G + 0.114 B): sharpness (variance of the Laplacian),
 * exposure (how far mean brightness sits from mid-grey, and how much is clipped) and contrast
 * (spread of brightness). Each part maps to 0–1; the score is their weighted mean.
 */
export function qualityScore(stats: PhotoStats): {
  score: number;
  sharpness: number;
  exposure: number;
  contrast: number;
  brightness: number;
} {
  const { pixels, lumaSum, clipped, deviations, laplacianSum, laplacianSquares, laplacianCount: n } = stats;
  const mean = lumaSum / pixels;
  const stddev = Math.sqrt(deviations / pixels);
  const lapVariance = n > 0 ? laplacianSquares / n - (laplacianSum / n) ** 2 : 0;

  // Calibrated on 256 px thumbnails: a Laplacian variance near 300 reads as crisp, under 20 as blurred.
  const sharpness = clamp(Math.log10(1 + lapVariance) / Math.log10(301));
  const exposure = clamp(1 - Math.abs(mean - 128) / 128 - (clipped / pixels) * 1.5);
  const contrast = clamp(stddev / 64);
  const score = Math.round((0.5 * sharpness + 0.25 * exposure + 0.25 * contrast) * 1000) / 1000;
  // Mean luma on 0–1: exposure alone cannot tell a dark photo from a bright one.
  const brightness = Math.round((mean / 255) * 1000) / 1000;
  return { score, sharpness, exposure, contrast, brightness };
}

function clamp(value: number): number {
  return Math.min(1, Math.max(0, value));
}
