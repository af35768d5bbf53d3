/** The small storage contract the services use; src/storage/ implements it over R2 and over the S3 API. */
export interface ObjectStorage {
  put(key: string, body: ArrayBuffer | Uint8Array | string, contentType: string): Promise<void>;
  get(key: string): Promise<StoredObject | null>;
  head(key: string): Promise<{ size: number; contentType: string | undefined } | null>;
  delete(keys: string | string[]): Promise<void>;
  list(prefix: string, cursor?: string): Promise<{ keys: Array<{ key: string; size: number }>; cursor?: string }>;
  /** A time-limited GET URL, where the store can make one (S3); R2 through its binding cannot. */
  presignGet?(key: string, expiresSeconds: number): Promise<string>;
}

export interface StoredObject {
  body: ReadableStream<Uint8Array>;
  size: number;
  contentType: string | undefined;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** Deletes every object under a prefix, page by page; returns how many were removed. */
export async function deletePrefix(storage: ObjectStorage, prefix: string): Promise<number> {
  let removed = 0;
  let cursor: string | undefined;
  do {
    const page = await storage.list(prefix, cursor);
    if (page.keys.length > 0) {
      await storage.delete(page.keys.map((k) => k.key));
      removed += page.keys.length;
    }
    cursor = page.cursor;
  } while (cursor);
  return removed;
}
