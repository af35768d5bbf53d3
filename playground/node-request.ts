// Node's http requests as fetch Requests for the stand-ins, shared by the playground's server and
// the webhook bench. No other imports, so a plain Node script can use it.
import type { IncomingMessage } from "node:http";

/** A Node request as a fetch Request (grammY's multipart normalised), for the stand-ins. */
export async function toRequest(incoming: IncomingMessage, origin: string): Promise<Request> {
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming.headers)) {
    if (typeof value === "string") headers.set(name, value);
  }
  const method = incoming.method ?? "GET";
  let body = Buffer.concat(chunks);
  if ((headers.get("content-type") ?? "").startsWith("multipart/form-data")) body = normaliseParts(body);
  return new Request(new URL(incoming.url ?? "/", origin), {
    method,
    headers,
    ...(method === "GET" || method === "HEAD" ? {} : { body }),
  });
}

/**
 * grammY writes part headers as `content-disposition:form-data;name="photo";filename=gen_1.jpg`.
 * Telegram and workerd read that; Node's form parser wants `; ` between the parameters and a
 * quoted file name, so the playground rewrites those header lines before parsing.
 */
function normaliseParts(body: Buffer): Buffer<ArrayBuffer> {
  const text = body.toString("latin1");
  const normal = text.replace(
    /^content-disposition:\s*form-data;\s*name="([^"]*)"(?:;\s*filename=(?:"([^"]*)"|([^\r\n]*)))?\r\n/gim,
    (_line, name: string, quoted?: string, bare?: string) => {
      const file = quoted ?? bare;
      return `Content-Disposition: form-data; name="${name}"${file === undefined ? "" : `; filename="${file}"`}\r\n`;
    },
  );
  return Buffer.from(normal, "latin1");
}
