/**
 * Sample "photos" for the playground, drawn on the spot so the repository ships no pictures of
 * anyone: the same illustrated person against different backdrops, clothes and head positions,
 * with film grain so every one is a distinct, detailed JPEG the bot's checks accept.
 */
import { encodeJpegRaster, type Raster } from "../src/images/codecs";

export const SAMPLE_COUNT = 8;

const BACKDROPS: Array<[number, number, number]> = [
  [92, 142, 196],
  [214, 180, 120],
  [120, 170, 130],
  [180, 110, 140],
  [90, 100, 130],
  [230, 200, 170],
  [140, 190, 200],
  [200, 140, 90],
];
const SHIRTS: Array<[number, number, number]> = [
  [40, 60, 90],
  [180, 50, 50],
  [230, 230, 225],
  [60, 110, 70],
];

export async function samplePhoto(index: number): Promise<Uint8Array> {
  return new Uint8Array(await encodeJpegRaster(drawPortrait(index, 900, 1200), 90));
}

function drawPortrait(index: number, width: number, height: number): Raster {
  const data = new Uint8ClampedArray(width * height * 4);
  const backdrop = BACKDROPS[index % BACKDROPS.length] ?? [128, 128, 128];
  const shirt = SHIRTS[index % SHIRTS.length] ?? [60, 60, 60];
  const skin: [number, number, number] = [236, 188, 160];
  const hair: [number, number, number] = [70, 45, 30];
  const tilt = ((index % 5) - 2) * 0.04;
  const cx = width * (0.5 + ((index % 3) - 1) * 0.05);
  const cy = height * 0.4;
  const rx = width * 0.2;
  const ry = height * 0.2;
  let noise = 12345 + index * 7919;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      // Rotate around the face centre so the head leans a little differently in each sample.
      const dx = (x - cx) * Math.cos(tilt) + (y - cy) * Math.sin(tilt);
      const dy = -(x - cx) * Math.sin(tilt) + (y - cy) * Math.cos(tilt);
      const face = (dx / rx) ** 2 + (dy / ry) ** 2;
      let colour: [number, number, number];
      const shade = 1 - y / height / 3;
      colour = [backdrop[0] * shade, backdrop[1] * shade, backdrop[2] * shade];
      if (y > height * 0.72 && Math.abs(x - cx) < width * (0.18 + (y / height - 0.72) * 1.4)) colour = shirt;
      else if (y > cy + ry * 0.7 && y < height * 0.76 && Math.abs(x - cx) < rx * 0.42) colour = darker(skin, 0.9);
      if (face < 1.22 && dy < -ry * 0.35) colour = hair;
      if (face < 1) {
        colour = skin;
        if (dy < -ry * 0.55) colour = hair;
        const eye = Math.min(((dx - rx * 0.38) / (rx * 0.13)) ** 2, ((dx + rx * 0.38) / (rx * 0.13)) ** 2);
        if (eye + ((dy + ry * 0.12) / (ry * 0.07)) ** 2 < 1) colour = [50, 40, 35];
        if (Math.abs(dx) < rx * 0.32 && Math.abs(dy - ry * 0.45 - (dx / rx) ** 2 * ry * -0.3) < ry * 0.035) {
          colour = [170, 70, 70];
        }
        if (Math.abs(dx) < rx * 0.05 && dy > 0 && dy < ry * 0.25) colour = darker(skin, 0.85);
      }
      noise = (noise * 1103515245 + 12345) >>> 0;
      const grain = ((noise >>> 16) % 25) - 12;
      const o = (y * width + x) * 4;
      data[o] = colour[0] + grain;
      data[o + 1] = colour[1] + grain;
      data[o + 2] = colour[2] + grain;
      data[o + 3] = 255;
    }
  }
  return { data, width, height };
}

function darker([r, g, b]: [number, number, number], k: number): [number, number, number] {
  return [r * k, g * k, b * k];
}
