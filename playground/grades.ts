/**
 * Colour grades for the playground's "generated" pictures: the prompt picks a look (noir, neon,
 * painting, vintage, sunny, …), so each preset visibly changes the avatar's own photo.
 */
import type { Raster } from "../src/images/codecs";

type Pixel = [number, number, number];
type Grade = (r: number, g: number, b: number, x: number, y: number) => Pixel;

const LOOKS: Array<{ words: RegExp; grade: (index: number) => Grade }> = [
  { words: /black and white|noir/i, grade: () => (r, g, b) => contrast(gray(r, g, b), 1.5) },
  {
    words: /cyberpunk|neon/i,
    grade: () => (r, g, b, x) => {
      const l = gray(r, g, b)[0] / 255;
      const t = x % 2 === 0 ? l : l * 0.96;
      return [40 + 215 * t, 20 + 120 * t * t, 90 + 165 * Math.sqrt(t)];
    },
  },
  { words: /anime|watercolor|cel shading/i, grade: () => (r, g, b) => lighten(posterize([r, g, b], 5), 0.18) },
  { words: /oil painting|brush/i, grade: () => (r, g, b) => tint(posterize([r, g, b], 9), [1.12, 0.98, 0.78]) },
  { words: /1970s|vintage|film photograph/i, grade: () => (r, g, b) => fade(sepia(r, g, b), 0.22) },
  { words: /beach|sunny|golden hour|summer/i, grade: () => (r, g, b) => tint([r, g, b], [1.12, 1.04, 0.86]) },
  { words: /astronaut|space/i, grade: () => (r, g, b) => tint(contrast([r, g, b], 1.2), [0.85, 0.95, 1.2]) },
  { words: /cinematic|dramatic/i, grade: () => (r, g, b) => tealOrange([r, g, b]) },
];

/** The grade for this prompt; the n-th picture of a request is nudged so the album is not four copies. */
export function gradeFor(prompt: string, index: number): (image: Raster) => Raster {
  const look = LOOKS.find((l) => l.words.test(prompt))?.grade(index) ?? ((r, g, b) => contrast([r, g, b], 1.1));
  const warmth = 1 + (index - 1.5) * 0.03;
  return (image) => {
    const { width, height } = image;
    const data = new Uint8ClampedArray(image.data.length);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const o = (y * width + x) * 4;
        const [r, g, b] = look(image.data[o] ?? 0, image.data[o + 1] ?? 0, image.data[o + 2] ?? 0, x, y);
        // A soft vignette, as a lens would give.
        const dx = x / width - 0.5;
        const dy = y / height - 0.5;
        const v = 1 - 0.55 * (dx * dx + dy * dy) * 2;
        data[o] = r * v * warmth;
        data[o + 1] = g * v;
        data[o + 2] = (b * v) / warmth;
        data[o + 3] = 255;
      }
    }
    return { data, width, height };
  };
}

function gray(r: number, g: number, b: number): Pixel {
  const l = 0.299 * r + 0.587 * g + 0.114 * b;
  return [l, l, l];
}

function contrast([r, g, b]: Pixel, k: number): Pixel {
  return [128 + (r - 128) * k, 128 + (g - 128) * k, 128 + (b - 128) * k];
}

function posterize([r, g, b]: Pixel, levels: number): Pixel {
  const step = 255 / (levels - 1);
  return [Math.round(r / step) * step, Math.round(g / step) * step, Math.round(b / step) * step];
}

function lighten([r, g, b]: Pixel, amount: number): Pixel {
  return [r + (255 - r) * amount, g + (255 - g) * amount, b + (255 - b) * amount];
}

function tint([r, g, b]: Pixel, [kr, kg, kb]: Pixel): Pixel {
  return [r * kr, g * kg, b * kb];
}

function sepia(r: number, g: number, b: number): Pixel {
  return [0.393 * r + 0.769 * g + 0.189 * b, 0.349 * r + 0.686 * g + 0.168 * b, 0.272 * r + 0.534 * g + 0.131 * b];
}

function fade([r, g, b]: Pixel, amount: number): Pixel {
  return [r * (1 - amount) + 60 * amount, g * (1 - amount) + 50 * amount, b * (1 - amount) + 40 * amount];
}

function tealOrange([r, g, b]: Pixel): Pixel {
  const l = gray(r, g, b)[0] / 255;
  return contrast([r * (0.8 + 0.4 * l), g * (0.9 + 0.1 * l), b * (1.25 - 0.5 * l)], 1.15);
}
