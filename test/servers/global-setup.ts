// Starts the tests' S3-API server process on loopback (test/servers/s3-process.ts), hands its address to the
// tests, and stops it by process id when the run ends.
import type { TestProject } from "vitest/node";
import { startS3ServerProcess } from "./s3-process.ts";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startS3ServerProcess();
  project.provide("s3Endpoint", server.endpoint);
  return server.stop;
}
