// Starts a real S3-API server (s3rver) on loopback for the storage contract suite, in a throwaway
// directory, and hands its address to the tests. s3rver speaks the S3 wire protocol but does not
// check signatures: it proves request and response shapes, not authentication.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import S3rver from "s3rver";
import type { TestProject } from "vitest/node";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const directory = mkdtempSync(join(tmpdir(), "s3rver-"));
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: "avatars" }],
  });
  const { port } = (await server.run()) as { port: number };
  project.provide("s3Endpoint", `http://127.0.0.1:${port}`);
  return async () => {
    await server.close();
    rmSync(directory, { recursive: true, force: true });
  };
}
