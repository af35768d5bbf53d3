import { AwsClient } from "aws4fetch";
import type { S3Settings } from "../config/settings";
import type { ObjectStorage, StoredObject } from "../domain/object-storage";

export type StorageErrorCode = "missing" | "denied" | "throttled" | "unreachable" | "failed";

/** A storage failure the caller can act on: never swallowed, always typed. */
export class StorageError extends Error {
  constructor(
    readonly code: StorageErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "StorageError";
  }
}

const DELETE_BATCH = 1000;
/** How long one operation may take, retries included, before the endpoint counts as unreachable. */
const DEFAULT_TIMEOUT_MS = 30_000;

/** Any S3-compatible store (MinIO, AWS, R2's S3 API) through aws4fetch, with the same keys as R2. */
export class S3Storage implements ObjectStorage {
  readonly #client: AwsClient;

  constructor(
    private readonly options: S3Settings,
    private readonly timeoutMs = DEFAULT_TIMEOUT_MS,
  ) {
    // Each retry is a subrequest: keep them few.
    this.#client = new AwsClient({
      accessKeyId: options.accessKeyId,
      secretAccessKey: options.secretAccessKey,
      service: "s3",
      region: options.region,
      retries: 2,
    });
  }

  async put(key: string, body: ArrayBuffer | Uint8Array | string, contentType: string): Promise<void> {
    await this.#send(this.#url(key), { method: "PUT", body, headers: { "content-type": contentType } });
  }

  async get(key: string): Promise<StoredObject | null> {
    const response = await this.#send(this.#url(key), { method: "GET" }, true);
    if (!response?.body) return null;
    const size = Number(response.headers.get("content-length") ?? "0");
    const contentType = response.headers.get("content-type") ?? undefined;
    const stream = response.body;
    return { body: stream, size, contentType, arrayBuffer: () => new Response(stream).arrayBuffer() };
  }

  async head(key: string): Promise<{ size: number; contentType: string | undefined } | null> {
    const response = await this.#send(this.#url(key), { method: "HEAD" }, true);
    if (!response) return null;
    return {
      size: Number(response.headers.get("content-length") ?? "0"),
      contentType: response.headers.get("content-type") ?? undefined,
    };
  }

  async delete(keys: string | string[]): Promise<void> {
    const all = Array.isArray(keys) ? keys : [keys];
    for (let i = 0; i < all.length; i += DELETE_BATCH) {
      const batch = all.slice(i, i + DELETE_BATCH);
      if (batch.length === 1) {
        await this.#send(this.#url(batch[0] as string), { method: "DELETE" });
        continue;
      }
      const xml = `<Delete><Quiet>true</Quiet>${batch.map((k) => `<Object><Key>${escapeXml(k)}</Key></Object>`).join("")}</Delete>`;
      const md5 = await contentMd5(xml);
      const response = await this.#send(`${this.#bucketUrl()}?delete`, {
        method: "POST",
        body: xml,
        headers: { "content-type": "application/xml", "content-md5": md5 },
      });
      const text = await (response as Response).text();
      if (text.includes("<Error>"))
        throw new StorageError("failed", `some objects were not deleted: ${text.slice(0, 200)}`);
    }
  }

  async list(
    prefix: string,
    cursor?: string,
  ): Promise<{ keys: Array<{ key: string; size: number }>; cursor?: string }> {
    // ListObjects with a marker (the previous page's last key): every S3 API honours it (AWS, MinIO,
    // R2), while continuation tokens are mishandled by some (s3rver cannot make them on Node 22).
    const query = new URLSearchParams({ prefix, "max-keys": "1000" });
    if (cursor) query.set("marker", cursor);
    const response = (await this.#send(`${this.#bucketUrl()}?${query}`, { method: "GET" })) as Response;
    const xml = await response.text();
    const keys = [...xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)].map((m) => ({
      key: unescapeXml(/<Key>([\s\S]*?)<\/Key>/.exec(m[1] ?? "")?.[1] ?? ""),
      size: Number(/<Size>(\d+)<\/Size>/.exec(m[1] ?? "")?.[1] ?? "0"),
    }));
    const truncated = /<IsTruncated>true<\/IsTruncated>/.test(xml);
    const last = keys.at(-1)?.key;
    return { keys, ...(truncated && last ? { cursor: last } : {}) };
  }

  /** A GET URL valid for `expiresSeconds` (set explicitly: the default would be a day). */
  async presignGet(key: string, expiresSeconds: number): Promise<string> {
    const url = new URL(this.#url(key));
    url.searchParams.set("X-Amz-Expires", String(expiresSeconds));
    const signed = await this.#client.sign(url.toString(), { method: "GET", aws: { signQuery: true } });
    return signed.url;
  }

  #bucketUrl(): string {
    const endpoint = new URL(this.options.endpoint);
    if (this.options.forcePathStyle) return `${endpoint.origin}/${this.options.bucket}`;
    return `${endpoint.protocol}//${this.options.bucket}.${endpoint.host}`;
  }

  #url(key: string): string {
    return `${this.#bucketUrl()}/${key.split("/").map(encodeURIComponent).join("/")}`;
  }

  /** Sends a signed request; maps failures to typed errors. With `missingOk`, a 404 is null. */
  async #send(url: string, init: RequestInit, missingOk = false): Promise<Response | null> {
    let response: Response;
    try {
      // The budget covers getting an answer (retries included), not reading a long body afterwards.
      const controller = new AbortController();
      const timer = setTimeout(
        () => controller.abort(new DOMException(`no answer within ${this.timeoutMs} ms`, "TimeoutError")),
        this.timeoutMs,
      );
      try {
        response = await this.#client.fetch(url, { ...init, signal: controller.signal });
      } finally {
        clearTimeout(timer);
      }
    } catch (error) {
      // A timeout rejects with the abort reason above, whose message says so.
      const reason = error instanceof Error ? error.message : String(error);
      throw new StorageError("unreachable", `S3 endpoint unreachable: ${reason}`);
    }
    if (response.ok) return response;
    const body = init.method === "HEAD" ? "" : await response.text();
    const code = /<Code>([^<]+)<\/Code>/.exec(body)?.[1] ?? String(response.status);
    if (response.status === 404 && missingOk) return null;
    if (response.status === 404) throw new StorageError("missing", `${code}: ${url}`);
    if (response.status === 403) throw new StorageError("denied", `${code}: access denied`);
    if (response.status === 429 || response.status === 503 || code === "SlowDown")
      throw new StorageError("throttled", code);
    throw new StorageError("failed", `${response.status} ${code}`);
  }
}

function escapeXml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

function unescapeXml(text: string): string {
  return text
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");
}

async function contentMd5(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("MD5", new TextEncoder().encode(text));
  return btoa(String.fromCharCode(...new Uint8Array(digest)));
}
