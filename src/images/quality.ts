/**
 * A 0–1 quality score from a small decoded image: sharpness (variance of the Laplacian),
 * exposure (how far mean brightness sits from mid-grey, and how much is clipped) and contrast
 * (spread of brightness). Each part maps to 0–1; the score is their weighted mean.
 */
export function qualityScore(image: { data: Uint8ClampedArray; width: number; height: number }): {
  score: number;
  sharpness: number;
  exposure: number;
  contrast: number;
  brightness: number;
} {
  const { width, height, data } = image;
  const luma = new Float32Array(width * height);
  let sum = 0;
  let clipped = 0;
  for (let i = 0; i < luma.length; i++) {
    const y = 0.299 * (data[i * 4] ?? 0) + 0.587 * (data[i * 4 + 1] ?? 0) + 0.114 * (data[i * 4 + 2] ?? 0);
    luma[i] = y;
    sum += y;
    if (y < 5 || y > 250) clipped += 1;
  }
  const mean = sum / luma.length;
  let variance = 0;
  for (const y of luma) variance += (y - mean) ** 2;
  const stddev = Math.sqrt(variance / luma.length);

  let lapSum = 0;
  let lapSq = 0;
  let n = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const lap =
        4 * (luma[i] ?? 0) - (luma[i - 1] ?? 0) - (luma[i + 1] ?? 0) - (luma[i - width] ?? 0) - (luma[i + width] ?? 0);
      lapSum += lap;
      lapSq += lap * lap;
      n += 1;
    }
  }
  const lapVariance = n > 0 ? lapSq / n - (lapSum / n) ** 2 : 0;

  // Calibrated on 256 px thumbnails: a Laplacian variance near 300 reads as crisp, under 20 as blurred.
  const sharpness = clamp(Math.log10(1 + lapVariance) / Math.log10(301));
  const exposure = clamp(1 - Math.abs(mean - 128) / 128 - (clipped / luma.length) * 1.5);
  const contrast = clamp(stddev / 64);
  const score = Math.round((0.5 * sharpness + 0.25 * exposure + 0.25 * contrast) * 1000) / 1000;
  // Mean luma on 0–1: exposure alone cannot tell a dark photo from a bright one.
  const brightness = Math.round((mean / 255) * 1000) / 1000;
  return { score, sharpness, exposure, contrast, brightness };
}

function clamp(value: number): number {
  return Math.min(1, Math.max(0, value));
}
