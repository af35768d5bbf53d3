// Starts the tests' S3-API server (test/s3-server.ts: s3rver behind a SigV4 check) as its own
// process on loopback, hands its address to the tests, and stops it by process id when the run ends.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import type { TestProject } from "vitest/node";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = spawn(process.execPath, ["test/s3-server.ts"], { stdio: ["pipe", "pipe", "inherit"] });
  const exited = new Promise<void>((resolve) => server.once("exit", () => resolve()));
  const endpoint = await new Promise<string>((resolve, reject) => {
    server.once("error", reject);
    server.once("exit", (code) => reject(new Error(`test/s3-server.ts exited with code ${code} before it was ready`)));
    createInterface({ input: server.stdout }).once("line", (line) => resolve(JSON.parse(line).endpoint));
  });
  project.provide("s3Endpoint", endpoint);
  return async () => {
    if (server.pid !== undefined && server.exitCode === null) process.kill(server.pid, "SIGTERM");
    await exited;
  };
}
