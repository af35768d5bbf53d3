import { Zip, ZipPassThrough } from "fflate";
import type { AvatarPhoto } from "../domain/entities";
import type { ObjectStorage } from "../domain/object-storage";

/**
 * Zips the avatar's processed crops, flat, as image_001.jpg, image_002.jpg, …: streamed one file
 * at a time from storage (stored, not deflated: JPEG does not shrink), so no step holds more than
 * the archive being built. Originals are never included.
 */
export async function buildTrainingZip(
  storage: ObjectStorage,
  photos: AvatarPhoto[],
): Promise<{ bytes: Uint8Array; names: string[] }> {
  const chunks: Uint8Array[] = [];
  let failure: Error | null = null;
  let finished = false;
  const zip = new Zip((error, chunk, final) => {
    if (error) failure = error;
    else chunks.push(chunk);
    if (final) finished = true;
  });
  const names: string[] = [];
  for (const photo of photos) {
    const key = photo.photoMetadata.processedKey;
    const object = key ? await storage.get(key) : null;
    if (!object) throw new Error(`processed crop missing for photo ${photo.id}`);
    const name = `image_${String(names.length + 1).padStart(3, "0")}.jpg`;
    const entry = new ZipPassThrough(name);
    zip.add(entry);
    const reader = object.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      entry.push(value);
    }
    entry.push(new Uint8Array(), true);
    names.push(name);
  }
  zip.end();
  if (failure) throw failure;
  if (!finished) throw new Error("zip did not finish");
  const size = chunks.reduce((n, c) => n + c.length, 0);
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return { bytes, names };
}
