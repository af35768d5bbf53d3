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
import { DecoderError, type Geometry } from "./decode-limits";
import { differenceHash } from "./dhash";
import { finishPausing, JpegCodec, JpegCodecError, jpegScaleFor, type Region, type WasmRaster } from "./jpeg-codec";
import { decodePngScaled } from "./png-streaming";
import { qualityScore } from "./quality";
import { sniffFormat } from "./sniff";
import { decodeWebp } from "./webp-decoder";

export const THUMBNAIL_SIDE = 256;
/** The training crop's long side, unless the source region is smaller. */
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

/** Where an upright picture came from, so a crop can be cut from the source at the resolution it needs. */
interface Source {
  bytes: Uint8Array;
  format: PhotoFormat;
  header: ImageHeader;
  /** The decoded picture's pixels per source pixel. */
  scale: number;
}
const sources = new WeakMap<UprightPhoto, Source>();

type Pause = () => Promise<void>;
const noPause: Pause = async () => {};

/**
 * Decodes within the memory budget and applies the EXIF orientation: the picture as the user sees it,
 * at the least resolution that still gives a 1024 px crop of the whole (the source's own size when smaller).
 * A JPEG is decoded in bands of rows with `pause` awaited between them.
 */
export async function decodeUpright(
  bytes: Uint8Array,
  format: PhotoFormat,
  header: ImageHeader,
  pause: Pause = noPause,
): Promise<UprightPhoto> {
  const geometry = { width: header.width, height: header.height };
  try {
    let raster: Raster;
    let decoder: PhotoDecoder;
    if (format === "JPEG") {
      // libjpeg-turbo at the smallest DCT scale that still gives a 1024 px crop of the whole; every
      // warning about the data is a refusal (src/images/jpeg-codec.ts), so corrupt data is not painted over.
      const scale = jpegScaleFor(Math.max(header.width, header.height), PROCESSED_SIDE);
      raster = await decodeJpeg(bytes, geometry, scale, pause);
      decoder = "libjpeg-turbo";
    } else if (format === "PNG") {
      // Ours at every size: libpng-style decoders stop reading at the last row, so they cannot tell
      // a file whose IDAT inflates past its geometry; ours counts every byte it inflates.
      raster = await decodePngScaled(bytes, PROCESSED_SIDE, geometry);
      decoder = "png-streaming";
    } else {
      // Our libwebp build, scaled while decoding: the whole picture at the crop's size, never at full size.
      raster = await decodeWebp(bytes, geometry, fitWithin(header.width, header.height, PROCESSED_SIDE));
      decoder = "libwebp";
    }
    const upright: UprightPhoto = { raster: orient(raster, header.orientation), decoder };
    sources.set(upright, { bytes, format, header, scale: raster.width / header.width });
    return upright;
  } catch (error) {
    // A refusal is expected of user bytes; anything else thrown here is a bug, and stays one.
    if (error instanceof JpegCodecError && error.tooComplex) throw new ImageRefusal("too_complex", error.message);
    if (error instanceof DecoderError) throw new ImageRefusal("unreadable", error.message);
    throw error;
  }
}

/**
 * The 256 px thumbnail, the training crop (face-centred when a face is known) and a quality score.
 * The crop's long side is min(1024, the region's long side in the source's pixels), and it is cut
 * from a decode with at least that many pixels over the region: from the upright picture when that
 * already has them, else decoded again from the source for the region alone. `pause` is awaited
 * between the steps (the codec's bands of rows, a few milliseconds each), so that a thread shared with
 * a webhook can answer it in between.
 */
export async function preparePhoto(
  upright: UprightPhoto,
  face: FaceBox | null,
  pause: Pause = noPause,
): Promise<PreparedPhoto> {
  const picture = upright.raster;
  const source = sources.get(upright);
  // The region in the source's upright pixels (the upright picture's, when its source is unknown).
  const full = source ? uprightSize(source.header) : { width: picture.width, height: picture.height };
  const region = face ? faceSquare(full, face) : { x: 0, y: 0, ...full };
  const processedSize = fitWithin(region.width, region.height, PROCESSED_SIDE);
  try {
    const pixels = await regionPixels(
      picture,
      source,
      region,
      Math.max(processedSize.width, processedSize.height),
      pause,
    );
    await pause();
    // The resizes, encodes and the thumbnail's statistics run inside the codec's memory; no pixels come back to JS.
    return await JpegCodec.use(async (codec) => {
      const cut = codec.put(pixels);
      const processed = await resizeInside(codec, cut, processedSize, pause);
      await pause();
      // Without a face the crop is the whole picture at up to 1024 px: the thumbnail is made from it, a quarter of the work.
      const whole = face ? codec.put(picture) : processed;
      const thumb = await resizeInside(codec, whole, fitWithin(whole.width, whole.height, THUMBNAIL_SIDE), pause);
      const thumbnail = await finishPausing(codec.encodeSteps(thumb, 80), pause);
      await pause();
      const result = {
        thumbnail,
        processed: await finishPausing(codec.encodeSteps(processed, 90), pause),
        processedWidth: processed.width,
        processedHeight: processed.height,
      };
      const stats = codec.photoStats(thumb);
      for (const image of new Set([cut, processed, whole, thumb])) codec.free(image);
      return {
        ...result,
        quality: qualityScore(stats),
        decoder: upright.decoder,
        perceptualHash: differenceHash(stats),
      };
    });
  } catch (error) {
    // The region decode reads the same bytes as the upright decode, so it refuses only as that one could.
    if (error instanceof JpegCodecError) {
      throw new ImageRefusal(error.tooComplex ? "too_complex" : "unreadable", error.message);
    }
    if (error instanceof DecoderError) throw new ImageRefusal("unreadable", error.message);
    throw error;
  }
}

/** A JPEG decoded at `scale`/8 (the region only, when given) in bands of rows, `pause` awaited between them. */
async function decodeJpeg(
  bytes: Uint8Array,
  geometry: Geometry,
  scale: number,
  pause: Pause,
  region?: Region,
): Promise<Raster> {
  return JpegCodec.use(async (codec) =>
    codec.take(await finishPausing(codec.decodeSteps(bytes, geometry, scale, region), pause)),
  );
}

/** The picture at `size` inside the codec: itself when it already is that size. */
async function resizeInside(
  codec: JpegCodec,
  image: WasmRaster,
  size: { width: number; height: number },
  pause: Pause,
): Promise<WasmRaster> {
  if (image.width === size.width && image.height === size.height) return image;
  return finishPausing(codec.resizeSteps(image, size.width, size.height), pause);
}

/** A region of the upright source with at least `longSide` pixels on its long side, where the source has them. */
async function regionPixels(
  picture: Raster,
  source: Source | undefined,
  region: Region,
  longSide: number,
  pause: Pause,
): Promise<Raster> {
  const scale = source?.scale ?? 1;
  if (!source || Math.max(region.width, region.height) * scale >= longSide - 0.5) {
    return cropRaster(picture, scaleRegion(region, scale, picture));
  }
  const stored = storedRegion(region, source.header);
  const geometry = { width: source.header.width, height: source.header.height };
  let raster: Raster;
  if (source.format === "JPEG") {
    const scale = jpegScaleFor(Math.max(stored.width, stored.height), longSide);
    raster = await decodeJpeg(source.bytes, geometry, scale, pause, stored);
  } else if (source.format === "PNG") {
    raster = await decodePngScaled(source.bytes, longSide, geometry, stored);
  } else {
    raster = await decodeWebp(source.bytes, geometry, fitWithin(stored.width, stored.height, longSide), stored);
  }
  return orient(raster, source.header.orientation);
}

/** The upright source's size: EXIF orientations 5–8 swap the sides. */
function uprightSize(header: ImageHeader): { width: number; height: number } {
  return header.orientation >= 5 && header.orientation <= 8
    ? { width: header.height, height: header.width }
    : { width: header.width, height: header.height };
}

/** A square around the face, three face-heights wide, kept inside the picture. */
function faceSquare(size: { width: number; height: number }, face: FaceBox): Region {
  const side = Math.round(
    Math.min(Math.min(size.width, size.height), Math.max(face.width * size.width, face.height * size.height) * 3),
  );
  const cx = (face.x + face.width / 2) * size.width;
  const cy = (face.y + face.height / 2) * size.height;
  const x = Math.round(Math.min(Math.max(0, cx - side / 2), size.width - side));
  const y = Math.round(Math.min(Math.max(0, cy - side / 2), size.height - side));
  return { x, y, width: side, height: side };
}

function scaleRegion(region: Region, scale: number, within: Raster): Region {
  const x = Math.min(within.width - 1, Math.floor(region.x * scale));
  const y = Math.min(within.height - 1, Math.floor(region.y * scale));
  return {
    x,
    y,
    width: Math.max(1, Math.min(within.width - x, Math.round(region.width * scale))),
    height: Math.max(1, Math.min(within.height - y, Math.round(region.height * scale))),
  };
}

/** An upright region in the stored picture's pixels (the inverse of `orient`). */
function storedRegion(region: Region, header: ImageHeader): Region {
  const { width: w, height: h, orientation } = header;
  const back = (x: number, y: number): [number, number] => {
    switch (orientation) {
      case 2:
        return [w - x, y];
      case 3:
        return [w - x, h - y];
      case 4:
        return [x, h - y];
      case 5:
        return [y, x];
      case 6:
        return [y, h - x];
      case 7:
        return [w - y, h - x];
      case 8:
        return [w - y, x];
      default:
        return [x, y];
    }
  };
  const [ax, ay] = back(region.x, region.y);
  const [bx, by] = back(region.x + region.width, region.y + region.height);
  return { x: Math.min(ax, bx), y: Math.min(ay, by), width: Math.abs(bx - ax), height: Math.abs(by - ay) };
}

function cropRaster(image: Raster, region: Region): Raster {
  if (region.x === 0 && region.y === 0 && region.width === image.width && region.height === image.height) return image;
  const data = new Uint8ClampedArray(region.width * region.height * 4);
  for (let y = 0; y < region.height; y++) {
    const from = ((region.y + y) * image.width + region.x) * 4;
    data.set(image.data.subarray(from, from + region.width * 4), y * region.width * 4);
  }
  return { data, width: region.width, height: region.height };
}

export function fitWithin(width: number, height: number, longSide: number): { width: number; height: number } {
  const scale = Math.min(1, longSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** EXIF orientations 2–8 as pixel moves; 1 (and anything unknown) leaves the picture as it is. */
export function orient(image: Raster, orientation: number): Raster {
  if (orientation < 2 || orientation > 8) return image;
  const { width: w, height: h } = image;
  // One RGBA pixel is one 32-bit word: each move copies a word, not four bytes.
  const bytes = image.data.byteOffset % 4 === 0 ? image.data : image.data.slice();
  const data = new Uint32Array(bytes.buffer, bytes.byteOffset, w * h);
  const swap = orientation >= 5;
  const outW = swap ? h : w;
  const outH = swap ? w : h;
  const out = new Uint32Array(w * h);
  // Where source pixel (x, y) lands: start + x * stepX + y * stepY, in output words.
  let start: number;
  let stepX: number;
  let stepY: number;
  switch (orientation) {
    case 2:
      [start, stepX, stepY] = [w - 1, -1, outW];
      break;
    case 3:
      [start, stepX, stepY] = [(h - 1) * outW + w - 1, -1, -outW];
      break;
    case 4:
      [start, stepX, stepY] = [(h - 1) * outW, 1, -outW];
      break;
    case 5:
      [start, stepX, stepY] = [0, outW, 1];
      break;
    case 6:
      [start, stepX, stepY] = [h - 1, outW, -1];
      break;
    case 7:
      [start, stepX, stepY] = [(w - 1) * outW + h - 1, -outW, -1];
      break;
    default:
      [start, stepX, stepY] = [(w - 1) * outW, -outW, 1];
      break;
  }
  for (let y = 0; y < h; y++) {
    let to = start + y * stepY;
    const from = y * w;
    for (let x = 0; x < w; x++, to += stepX) out[to] = data[from + x] as number;
  }
  return { data: new Uint8ClampedArray(out.buffer), width: outW, height: outH };
}

/** The photo check's codecs, as the services' port. */
export const photoImages: PhotoImages = {
  sniff: sniffFormat,
  readHeader,
  decodeUpright,
  prepare: preparePhoto,
};
