import { cmykJpeg, cutOut, grayscaleJpeg, jpeg, picture, png, rawPng, webp } from "./images";

const face = (x: number, y: number) => [200 + (x % 40), 160 + (y % 20), 140];

/** The corpus files a photo check accepts, one of each layout: the upload test and the detail test run all of them. */
export const acceptedCorpus: Array<[string, () => Promise<Uint8Array>]> = [
  ["baseline JPEG", () => jpeg(picture(800, 600))],
  ["progressive JPEG", () => jpeg(picture(800, 600), { progressive: true })],
  ["grayscale JPEG", () => grayscaleJpeg(picture(800, 600))],
  ["CMYK JPEG (Adobe)", async () => cmykJpeg(800, 600, [10, 60, 90, 5])],
  ["PNG, RGB", async () => rawPng(600, 520, { colorType: 2, depth: 8, pixel: face })],
  ["PNG with alpha", () => png(picture(700, 600))],
  [
    "PNG, 16-bit",
    async () => rawPng(600, 520, { colorType: 2, depth: 16, pixel: (x, y) => face(x, y).map((v) => v * 257) }),
  ],
  ["lossy WEBP", () => webp(picture(700, 600))],
  ["lossless WEBP", () => webp(picture(600, 600), true)],
  // Above the 3.2 MP that jSquash's full-size decoder could afford; ours decodes them scaled.
  ["2400×1500 lossy WEBP", () => webp(picture(2400, 1500))],
  ["2000×1700 lossless WEBP", () => webp(picture(2000, 1700), true)],
  ["2100×1600 WEBP with alpha", () => webp(cutOut(picture(2100, 1600)))],
  ["JPEG exactly 512 on the short side", () => jpeg(picture(512, 900))],
  ["JPEG exactly 4096 on the long side", () => jpeg(picture(4096, 600), { quality: 50 })],
];
