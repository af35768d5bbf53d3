import { imageSize } from "image-size";
import type { FaceBox, PhotoDecoder } from "../domain/entities";
import {
  type ImageHeader,
  ImageRefusal,
  type PhotoFormat,
  type PhotoImages,
  type PreparedPhoto,
  type Raster,
  type UprightPhoto,
} from "../domain/ports";
import { decodeWithJsquash, encodeJpegRaster, resizeRaster } from "./codecs";
import { differenceHash } from "./dhash";
import { decodeJpegScaled } from "./jpeg-scaled";
import { decodePngScaled } from "./png-streaming";
import { qualityScore } from "./quality";
import { sniffFormat } from "./sniff";

/**
 * Pixel budgets for jSquash's full-size decoders, set from `npm run bench` so that the whole
 * photo step stays inside a 128 MB isolate. Above them, JPEG and PNG use the scaled decoders;
 * a WEBP is refused (libwebp in jSquash has no scaled decode).
 */
export const PNG_DIRECT_MAX_PIXELS = 1_300_000;
export const PROGRESSIVE_JPEG_DIRECT_MAX_PIXELS = 3_200_000;
export const WEBP_MAX_PIXELS = 3_200_000;
/** Decoded pictures are box-filtered down to this long side before anything else touches them. */
export const WORKING_SIDE = 1280;

export const THUMBNAIL_SIDE = 256;
export const PROCESSED_SIDE = 1024;

/** Dimensions and EXIF orientation from the header alone; nothing is decoded. */
export function readHeader(bytes: Uint8Array): ImageHeader | null {
  try {
    const size = imageSize(bytes);
    if (!size.width || !size.height) return null;
    return { width: size.width, height: size.height, orientation: size.orientation ?? 1 };
  } catch {
    return null;
  }
}

/** Decodes within the memory budget and applies the EXIF orientation: the picture as the user sees it. */
export async function decodeUpright(
  bytes: Uint8Array,
  format: PhotoFormat,
  header: ImageHeader,
): Promise<UprightPhoto> {
  const pixels = header.width * header.height;
  try {
    let raster: Raster;
    let decoder: PhotoDecoder = "jsquash";
    if (format === "JPEG") {
      // Our decoder reads every Huffman code, so it also proves the entropy data sound (libjpeg would
      // quietly paint over corrupt data); it is small in memory at any size and reads CMYK.
      const scaled = decodeJpegScaled(bytes, PROCESSED_SIDE);
      raster = scaled.raster;
      decoder = "jpeg-scaled";
      if (scaled.progressive && pixels <= PROGRESSIVE_JPEG_DIRECT_MAX_PIXELS) {
        // For progressive files ours reads DC scans only; jSquash gives full detail where it fits.
        try {
          raster = boxDownscale(await decodeWithJsquash(bytes.slice().buffer, format), WORKING_SIDE);
          decoder = "jsquash";
        } catch {
          // CMYK and other layouts libjpeg cannot turn into RGBA keep the DC picture.
        }
      }
    } else if (format === "PNG" && pixels > PNG_DIRECT_MAX_PIXELS) {
      raster = decodePngScaled(bytes, WORKING_SIDE);
      decoder = "png-streaming";
    } else if (format === "WEBP" && pixels > WEBP_MAX_PIXELS) {
      throw new ImageRefusal("too_complex", `WEBP of ${pixels} pixels exceeds the decode budget`);
    } else {
      raster = await decodeWithJsquash(bytes.slice().buffer, format);
    }
    return { raster: orient(boxDownscale(raster, WORKING_SIDE), header.orientation), decoder };
  } catch (error) {
    if (error instanceof ImageRefusal) throw error;
    throw new ImageRefusal("unreadable", error instanceof Error ? error.message : String(error));
  }
}

/** Averages whole blocks of pixels so the long side is at most `maxSide`; returns small images as they are. */
export function boxDownscale(image: Raster, maxSide: number): Raster {
  const factor = Math.ceil(Math.max(image.width, image.height) / maxSide);
  if (factor <= 1) return image;
  const width = Math.floor(image.width / factor);
  const height = Math.floor(image.height / factor);
  const data = new Uint8ClampedArray(width * height * 4);
  const area = factor * factor;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let dy = 0; dy < factor; dy++) {
        let i = ((y * factor + dy) * image.width + x * factor) * 4;
        for (let dx = 0; dx < factor; dx++, i += 4) {
          r += image.data[i] ?? 0;
          g += image.data[i + 1] ?? 0;
          b += image.data[i + 2] ?? 0;
        }
      }
      const o = (y * width + x) * 4;
      data[o] = r / area;
      data[o + 1] = g / area;
      data[o + 2] = b / area;
      data[o + 3] = 255;
    }
  }
  return { data, width, height };
}

/** The 256 px thumbnail, the ≤1024 px training crop (face-centred when a face is known), and a quality score. */
export async function preparePhoto(
  upright: Raster,
  decoder: PhotoDecoder,
  face: FaceBox | null,
): Promise<PreparedPhoto> {
  const thumbSize = fitWithin(upright.width, upright.height, THUMBNAIL_SIDE);
  const thumbRaster = await resizeRaster(upright, thumbSize.width, thumbSize.height);
  const cropped = face ? cropAround(upright, face) : upright;
  const processedSize = fitWithin(cropped.width, cropped.height, PROCESSED_SIDE);
  const processedRaster = await resizeRaster(cropped, processedSize.width, processedSize.height);
  return {
    thumbnail: await encodeJpegRaster(thumbRaster, 80),
    processed: await encodeJpegRaster(processedRaster, 90),
    processedWidth: processedRaster.width,
    processedHeight: processedRaster.height,
    quality: qualityScore(thumbRaster),
    decoder,
    perceptualHash: differenceHash(thumbRaster),
  };
}

export function fitWithin(width: number, height: number, longSide: number): { width: number; height: number } {
  const scale = Math.min(1, longSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** A square around the face, three face-heights wide, kept inside the picture. */
function cropAround(image: Raster, face: FaceBox): Raster {
  const side = Math.round(
    Math.min(Math.min(image.width, image.height), Math.max(face.width * image.width, face.height * image.height) * 3),
  );
  const cx = (face.x + face.width / 2) * image.width;
  const cy = (face.y + face.height / 2) * image.height;
  const x0 = Math.round(Math.min(Math.max(0, cx - side / 2), image.width - side));
  const y0 = Math.round(Math.min(Math.max(0, cy - side / 2), image.height - side));
  const data = new Uint8ClampedArray(side * side * 4);
  for (let y = 0; y < side; y++) {
    data.set(
      image.data.subarray(((y0 + y) * image.width + x0) * 4, ((y0 + y) * image.width + x0 + side) * 4),
      y * side * 4,
    );
  }
  return { data, width: side, height: side };
}

/** EXIF orientations 2–8 as pixel moves; 1 (and anything unknown) leaves the picture as it is. */
export function orient(image: Raster, orientation: number): Raster {
  if (orientation < 2 || orientation > 8) return image;
  const { width: w, height: h, data } = image;
  const swap = orientation >= 5;
  const outW = swap ? h : w;
  const outH = swap ? w : h;
  const out = new Uint8ClampedArray(data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let nx: number;
      let ny: number;
      switch (orientation) {
        case 2:
          [nx, ny] = [w - 1 - x, y];
          break;
        case 3:
          [nx, ny] = [w - 1 - x, h - 1 - y];
          break;
        case 4:
          [nx, ny] = [x, h - 1 - y];
          break;
        case 5:
          [nx, ny] = [y, x];
          break;
        case 6:
          [nx, ny] = [h - 1 - y, x];
          break;
        case 7:
          [nx, ny] = [h - 1 - y, w - 1 - x];
          break;
        default:
          [nx, ny] = [y, w - 1 - x];
          break;
      }
      out.set(data.subarray((y * w + x) * 4, (y * w + x) * 4 + 4), (ny * outW + nx) * 4);
    }
  }
  return { data: out, width: outW, height: outH };
}

/** The photo check's codecs, as the services' port. */
export const photoImages: PhotoImages = {
  sniff: sniffFormat,
  readHeader,
  decodeUpright,
  prepare: (upright, face) => preparePhoto(upright.raster, upright.decoder, face),
};
