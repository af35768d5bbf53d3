import { env } from "cloudflare:workers";
import { AwsClient } from "aws4fetch";
import { describe, expect, inject, it, vi } from "vitest";
import { deletePrefix, type ObjectStorage } from "../../src/domain/object-storage";
import { R2Storage } from "../../src/storage/r2-storage";
import { S3Storage, StorageError } from "../../src/storage/s3-storage";
import { S3_TEST_BUCKET, S3_TEST_CREDENTIALS } from "../servers/s3-credentials";

const s3Options = () => ({
  endpoint: inject("s3Endpoint"),
  bucket: S3_TEST_BUCKET,
  region: "us-east-1",
  forcePathStyle: true,
  ...S3_TEST_CREDENTIALS,
});

/** One contract, every backend: what the services rely on from storage. */
const backends: Array<[string, () => ObjectStorage]> = [
  ["R2 (binding)", () => new R2Storage(env.BUCKET)],
  ["S3 API (test/servers/s3-server.ts on loopback)", () => new S3Storage(s3Options())],
];

describe.each(backends)("storage contract: %s", (_name, make) => {
  const prefix = () => `contract/${crypto.randomUUID()}/`;

  it("puts, heads and gets an object byte for byte, with its content type", async () => {
    const storage = make();
    const key = `${prefix()}photos/original/photo_001.jpg`;
    const bytes = new Uint8Array(70_000).map((_, i) => (i * 2654435761) >>> 24);
    await storage.put(key, bytes, "image/jpeg");
    expect(await storage.head(key)).toEqual({ size: 70_000, contentType: "image/jpeg" });
    const object = await storage.get(key);
    expect(object?.size).toBe(70_000);
    expect(new Uint8Array(await (object?.arrayBuffer() ?? new ArrayBuffer(0)))).toEqual(bytes);
  });

  it("answers null for a missing key on get and head", async () => {
    const storage = make();
    expect(await storage.get(`${prefix()}nothing`)).toBeNull();
    expect(await storage.head(`${prefix()}nothing`)).toBeNull();
  });

  it("lists by prefix page by page and deletes one and many", async () => {
    const storage = make();
    const base = prefix();
    const keys = Array.from({ length: 1050 }, (_, i) => `${base}k/${String(i).padStart(4, "0")}`);
    for (let i = 0; i < keys.length; i += 10)
      await Promise.all(keys.slice(i, i + 10).map((k) => storage.put(k, "x", "text/plain")));
    await storage.put(`${prefix()}other`, "y", "text/plain");
    const first = await storage.list(base);
    expect(first.keys).toHaveLength(1000);
    expect(first.cursor).toBeDefined();
    const second = await storage.list(base, first.cursor);
    expect(second.keys).toHaveLength(50);
    expect(second.cursor).toBeUndefined();
    expect([...first.keys, ...second.keys].map((k) => k.key).sort()).toEqual(keys);
    expect(first.keys[0]?.size).toBe(1);

    await storage.delete(keys[0] as string);
    expect(await storage.head(keys[0] as string)).toBeNull();
    expect(await deletePrefix(storage, base)).toBe(1049);
    expect((await storage.list(base)).keys).toEqual([]);
  }, 120_000);
});

describe("S3 specifics", () => {
  it("presigns a GET with an explicit expiry that the server honours", async () => {
    const storage = new S3Storage(s3Options());
    const key = `contract/${crypto.randomUUID()}/training_data/training_set.zip`;
    await storage.put(key, "zip-bytes", "application/zip");
    const url = new URL(await storage.presignGet(key, 600));
    expect(url.searchParams.get("X-Amz-Expires")).toBe("600");
    expect(url.searchParams.get("X-Amz-Signature")).toMatch(/^[0-9a-f]{64}$/);
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(new TextDecoder().decode(await response.arrayBuffer())).toBe("zip-bytes");
  });

  it("refuses a presigned URL that was tampered with or has expired", async () => {
    const storage = new S3Storage(s3Options());
    const base = `contract/${crypto.randomUUID()}/training_data/`;
    await storage.put(`${base}training_set.zip`, "zip-bytes", "application/zip");
    await storage.put(`${base}other.zip`, "other", "application/zip");
    const tampered = (await storage.presignGet(`${base}training_set.zip`, 600)).replace("training_set", "other");
    const refused = await fetch(tampered);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain("<Code>SignatureDoesNotMatch</Code>");

    // X-Amz-Date is cut to the second, so a 2 s link lives at least 1 s: long enough for the first fetch.
    const shortLived = await storage.presignGet(`${base}training_set.zip`, 2);
    expect((await fetch(shortLived)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 3100));
    const expired = await fetch(shortLived);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toContain("Request has expired");
  });

  it("reports a missing bucket and a wrong secret from the server as typed errors", async () => {
    const missing = new S3Storage({ ...s3Options(), bucket: "no-such-bucket" });
    await expect(missing.put("k", "x", "text/plain")).rejects.toMatchObject({ code: "missing" });
    const wrongSecret = new S3Storage({ ...s3Options(), secretAccessKey: "not-the-secret" });
    await expect(wrongSecret.put("k", "x", "text/plain")).rejects.toMatchObject({
      code: "denied",
      message: expect.stringContaining("SignatureDoesNotMatch"),
    });
    await expect(wrongSecret.get("k")).rejects.toMatchObject({ code: "denied" });
    const wrongKey = new S3Storage({ ...s3Options(), accessKeyId: "someone-else" });
    await expect(wrongKey.list("contract/")).rejects.toMatchObject({ code: "denied" });
  });

  it("is checked by a server that refuses unsigned x-amz headers and survives malformed requests", async () => {
    const client = new AwsClient({ ...S3_TEST_CREDENTIALS, service: "s3", region: "us-east-1" });
    const key = `contract/${crypto.randomUUID()}`;
    const url = `${inject("s3Endpoint")}/${S3_TEST_BUCKET}/${key}`;
    const signed = await client.sign(url, { method: "PUT", body: "x" });
    const headers = new Headers(signed.headers);
    headers.set("x-amz-meta-added-later", "1");
    const smuggled = await fetch(signed.url, { method: "PUT", headers, body: "x" });
    expect(smuggled.status).toBe(403);
    expect(await smuggled.text()).toContain("not signed: x-amz-meta-added-later");

    const malformed = await client.fetch(`${inject("s3Endpoint")}/${S3_TEST_BUCKET}/bad%E0%A4%A`);
    expect(malformed.status).toBe(400);
    await malformed.arrayBuffer();
    const storage = new S3Storage(s3Options());
    await storage.put(key, "still up", "text/plain");
  });

  it("gives the time budget to getting an answer, not to reading the body", async () => {
    const patient = new S3Storage(s3Options(), 1000);
    const key = `contract/${crypto.randomUUID()}/slow`;
    await patient.put(key, "slowly read", "text/plain");
    const object = await patient.get(key);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(new TextDecoder().decode(await object?.arrayBuffer())).toBe("slowly read");
  });

  it("reports an unreachable or silent server, access denied and throttling as typed errors", async () => {
    const xml = (code: string) =>
      `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>m</Message></Error>`;
    const spy = vi.spyOn(globalThis, "fetch");
    spy.mockRejectedValueOnce(new TypeError("Network connection lost."));
    await expect(new S3Storage(s3Options()).put("k", "x", "text/plain")).rejects.toMatchObject({ code: "unreachable" });
    // A server that accepts the connection and never answers: the request is abandoned after the timeout.
    spy.mockImplementationOnce(
      (input) =>
        new Promise((_resolve, reject) => {
          const signal = input instanceof Request ? input.signal : undefined;
          if (signal?.aborted) reject(signal.reason);
          signal?.addEventListener("abort", () => reject(signal.reason));
        }),
    );
    await expect(new S3Storage(s3Options(), 50).get("k")).rejects.toMatchObject({
      code: "unreachable",
      message: expect.stringContaining("no answer within 50 ms"),
    });
    spy.mockResolvedValue(new Response(xml("AccessDenied"), { status: 403 }));
    await expect(new S3Storage(s3Options()).put("k", "x", "text/plain")).rejects.toMatchObject({ code: "denied" });
    spy.mockClear();
    spy.mockImplementation(async () => new Response(xml("SlowDown"), { status: 503 }));
    const throttled = new S3Storage(s3Options()).put("k", "x", "text/plain");
    await expect(throttled).rejects.toBeInstanceOf(StorageError);
    await expect(throttled).rejects.toMatchObject({ code: "throttled" });
    // aws4fetch retried, but boundedly: one call and two retries.
    expect(spy.mock.calls.length).toBe(3);
    spy.mockRestore();
  });
});
