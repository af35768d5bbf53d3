import type { ObjectStorage, StoredObject } from "../domain/object-storage";

const R2_DELETE_BATCH = 1000;

export class R2Storage implements ObjectStorage {
  constructor(private readonly bucket: R2Bucket) {}

  async put(key: string, body: ArrayBuffer | Uint8Array | string, contentType: string): Promise<void> {
    await this.bucket.put(key, body, { httpMetadata: { contentType } });
  }

  async get(key: string): Promise<StoredObject | null> {
    const object = await this.bucket.get(key);
    if (!object) return null;
    return {
      body: object.body,
      size: object.size,
      contentType: object.httpMetadata?.contentType,
      arrayBuffer: () => object.arrayBuffer(),
    };
  }

  async head(key: string): Promise<{ size: number; contentType: string | undefined } | null> {
    const object = await this.bucket.head(key);
    return object ? { size: object.size, contentType: object.httpMetadata?.contentType } : null;
  }

  async delete(keys: string | string[]): Promise<void> {
    const all = Array.isArray(keys) ? keys : [keys];
    for (let i = 0; i < all.length; i += R2_DELETE_BATCH) {
      await this.bucket.delete(all.slice(i, i + R2_DELETE_BATCH));
    }
  }

  async list(
    prefix: string,
    cursor?: string,
  ): Promise<{ keys: Array<{ key: string; size: number }>; cursor?: string }> {
    const page = await this.bucket.list({ prefix, ...(cursor ? { cursor } : {}) });
    return {
      keys: page.objects.map((o) => ({ key: o.key, size: o.size })),
      ...(page.truncated ? { cursor: page.cursor } : {}),
    };
  }
}
