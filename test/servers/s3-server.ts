// The tests' S3-API server: its own Node process on loopback (test/servers/global-setup.ts starts it and stops
// it by process id). s3rver stores the objects and speaks the S3 wire format; in front of it, this
// file checks AWS Signature Version 4 as S3 does, from the AWS specification rather than from the
// client's signing code, because s3rver checks no signature at all. Header-signed requests must carry
// a valid signature from the one key pair below and a date within 15 minutes; presigned URLs must be
// valid and not expired. Anything else gets S3's own 403 error document.
//
//   node test/servers/s3-server.ts   prints {"endpoint": "http://127.0.0.1:<port>"} on one line when ready.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, request, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import S3rver from "s3rver";
import { S3_TEST_BUCKET, S3_TEST_CREDENTIALS } from "./s3-credentials.ts";

const REGION = "us-east-1";
const MAX_SKEW_MS = 15 * 60 * 1000;

type Check = { ok: true } | { ok: false; code: string; message: string };

/** The error codes S3 answers with 400 rather than 403. */
const BAD_REQUEST = new Set([
  "AuthorizationHeaderMalformed",
  "AuthorizationQueryParametersError",
  "InvalidRequest",
  "XAmzContentSHA256Mismatch",
]);

/** RFC 3986 encoding as SigV4 wants it: everything but A–Z a–z 0–9 - _ . ~ is %XX. */
function encode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac("sha256", key).update(data, "utf8").digest();
}

function sha256Hex(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/** 20261201T072350Z → epoch milliseconds. */
function parseAmzDate(value: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return Number.NaN;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

/** The signature S3 expects for this request, by the canonical request of the SigV4 specification. */
function expectedSignature(
  req: IncomingMessage,
  query: Array<[string, string]>,
  signedHeaders: string[],
  amzDate: string,
  scope: string,
  payloadHash: string,
): string {
  const rawPath = (req.url ?? "/").split("?")[0] ?? "/";
  // S3 encodes each path segment once, as sent.
  const canonicalUri = rawPath
    .split("/")
    .map((segment) => encode(decodeURIComponent(segment)))
    .join("/");
  const canonicalQuery = query
    .map(([k, v]) => [encode(k), encode(v)] as const)
    .sort(([k1, v1], [k2, v2]) => (k1 < k2 ? -1 : k1 > k2 ? 1 : v1 < v2 ? -1 : v1 > v2 ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const canonicalHeaders = signedHeaders
    .map((name) => {
      const value = req.headers[name];
      const text = Array.isArray(value) ? value.join(",") : (value ?? "");
      return `${name}:${text.trim().replace(/\s+/g, " ")}\n`;
    })
    .join("");
  const canonicalRequest = [
    req.method,
    canonicalUri,
    canonicalQuery,
    canonicalHeaders,
    signedHeaders.join(";"),
    payloadHash,
  ].join("\n");
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256Hex(canonicalRequest)].join("\n");
  const [date = "", region = "", service = ""] = scope.split("/");
  const key = hmac(
    hmac(hmac(hmac(`AWS4${S3_TEST_CREDENTIALS.secretAccessKey}`, date), region), service),
    "aws4_request",
  );
  return createHmac("sha256", key).update(stringToSign, "utf8").digest("hex");
}

function sameHex(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/** Checks the credential scope and the signature; `payload` is the body as received. */
function verify(req: IncomingMessage, payload: Buffer, now: number): Check {
  const url = new URL(req.url ?? "/", "http://s3.local");
  const pairs = [...url.searchParams];
  const authorization = req.headers.authorization;
  let credential: string;
  let signedHeaders: string[];
  let signature: string;
  let amzDate: string;
  let payloadHash: string;
  let query = pairs;

  if (url.searchParams.has("X-Amz-Signature")) {
    credential = url.searchParams.get("X-Amz-Credential") ?? "";
    signedHeaders = (url.searchParams.get("X-Amz-SignedHeaders") ?? "").split(";");
    signature = url.searchParams.get("X-Amz-Signature") ?? "";
    amzDate = url.searchParams.get("X-Amz-Date") ?? "";
    payloadHash = "UNSIGNED-PAYLOAD";
    query = pairs.filter(([k]) => k !== "X-Amz-Signature");
    const expires = Number(url.searchParams.get("X-Amz-Expires"));
    if (url.searchParams.get("X-Amz-Algorithm") !== "AWS4-HMAC-SHA256" || !Number.isInteger(expires))
      return {
        ok: false,
        code: "AuthorizationQueryParametersError",
        message: "Query-string authentication is malformed.",
      };
    if (expires < 1 || expires > 604_800)
      return { ok: false, code: "AuthorizationQueryParametersError", message: "X-Amz-Expires must be 1 to 604800." };
    if (Number.isNaN(parseAmzDate(amzDate)))
      return {
        ok: false,
        code: "AuthorizationQueryParametersError",
        message: "X-Amz-Date must be in the ISO8601 Long Format.",
      };
    if (now > parseAmzDate(amzDate) + expires * 1000)
      return { ok: false, code: "AccessDenied", message: "Request has expired" };
  } else if (authorization?.startsWith("AWS4-HMAC-SHA256 ")) {
    const fields = Object.fromEntries(
      authorization
        .slice("AWS4-HMAC-SHA256 ".length)
        .split(/,\s*/)
        .map((part) => part.split("=", 2) as [string, string]),
    );
    credential = fields.Credential ?? "";
    signedHeaders = (fields.SignedHeaders ?? "").split(";");
    signature = fields.Signature ?? "";
    amzDate = String(req.headers["x-amz-date"] ?? "");
    payloadHash = String(req.headers["x-amz-content-sha256"] ?? "");
    if (!payloadHash)
      return {
        ok: false,
        code: "InvalidRequest",
        message: "Missing required header for this request: x-amz-content-sha256",
      };
    if (payloadHash !== "UNSIGNED-PAYLOAD" && payloadHash !== sha256Hex(payload))
      return {
        ok: false,
        code: "XAmzContentSHA256Mismatch",
        message: "The provided 'x-amz-content-sha256' header does not match what was computed.",
      };
    const skew = Math.abs(now - parseAmzDate(amzDate));
    if (!(skew <= MAX_SKEW_MS))
      return {
        ok: false,
        code: "RequestTimeTooSkewed",
        message: "The difference between the request time and the current time is too large.",
      };
  } else {
    return { ok: false, code: "AccessDenied", message: "Anonymous access is forbidden for this operation" };
  }

  const [accessKeyId, ...scopeParts] = credential.split("/");
  const scope = scopeParts.join("/");
  if (accessKeyId !== S3_TEST_CREDENTIALS.accessKeyId)
    return {
      ok: false,
      code: "InvalidAccessKeyId",
      message: "The AWS Access Key Id you provided does not exist in our records.",
    };
  if (scope !== `${amzDate.slice(0, 8)}/${REGION}/s3/aws4_request`)
    return {
      ok: false,
      code: "AuthorizationHeaderMalformed",
      message: `The authorization header is malformed; the scope '${scope}' is wrong.`,
    };
  if (!signedHeaders.includes("host"))
    return { ok: false, code: "AccessDenied", message: "The host header must be signed." };
  // Every x-amz-* header sent must be signed: an unsigned one could change what the request does.
  const unsigned = Object.keys(req.headers).find((name) => name.startsWith("x-amz-") && !signedHeaders.includes(name));
  if (unsigned)
    return {
      ok: false,
      code: "AccessDenied",
      message: `There were headers present in the request which were not signed: ${unsigned}`,
    };
  if (!/^[0-9a-f]{64}$/.test(signature))
    return {
      ok: false,
      code: "SignatureDoesNotMatch",
      message: "The request signature we calculated does not match the signature you provided.",
    };
  const expected = expectedSignature(req, query, signedHeaders, amzDate, scope, payloadHash);
  if (!sameHex(expected, signature))
    return {
      ok: false,
      code: "SignatureDoesNotMatch",
      message: "The request signature we calculated does not match the signature you provided.",
    };
  return { ok: true };
}

/** The request path without query-string authentication. */
function unsignedPath(path: string): string {
  const url = new URL(path, "http://s3.local");
  for (const name of [...url.searchParams.keys()]) if (name.startsWith("X-Amz-")) url.searchParams.delete(name);
  // `?delete` and the like keep their bare form.
  return url.pathname + url.search.replace(/=(?=&|$)/g, "");
}

function refuse(res: ServerResponse, code: string, message: string): void {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
  res.writeHead(BAD_REQUEST.has(code) ? 400 : 403, {
    "content-type": "application/xml",
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}

/** Starts s3rver behind the signature check; resolves with the public origin and a stop function. */
async function startS3Server(): Promise<{ endpoint: string; stop: () => Promise<void> }> {
  const directory = mkdtempSync(join(tmpdir(), "s3-server-"));
  const store = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: S3_TEST_BUCKET }],
  });
  const { port: storePort } = (await store.run()) as { port: number };

  const front = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const payload = Buffer.concat(chunks);
      let check: Check;
      try {
        check = verify(req, payload, Date.now());
      } catch (error) {
        // A request too malformed to verify (a bad %-escape, say) is refused, never a crash.
        check = { ok: false, code: "InvalidRequest", message: `The request could not be parsed: ${String(error)}` };
      }
      if (!check.ok) {
        refuse(res, check.code, check.message);
        return;
      }
      // The store sees the request unsigned: the check above is the only one.
      const { authorization: _signed, ...headers } = req.headers;
      const upstream = request(
        { host: "127.0.0.1", port: storePort, method: req.method, path: unsignedPath(req.url ?? "/"), headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on("error", (error) => {
        res.writeHead(502, { "content-type": "text/plain" });
        res.end(String(error));
      });
      upstream.end(payload);
    });
  });
  await new Promise<void>((resolve) => front.listen(0, "127.0.0.1", resolve));
  const { port } = front.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: async () => {
      await new Promise<void>((resolve) => front.close(() => resolve()));
      await store.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

// Run as a program (test/servers/global-setup.ts, bench/backends.ts): serve until told to stop.
const server = await startS3Server();
const stop = async () => {
  await server.stop();
  process.exit(0);
};
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
// The parent going away (a killed test run) ends this server too.
process.stdin.on("end", () => void stop());
process.stdin.resume();
console.log(JSON.stringify({ endpoint: server.endpoint }));
