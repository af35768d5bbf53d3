// Starts test/servers/s3-server.ts (s3rver behind a SigV4 check) as its own process on loopback, for the
// tests' global setup and for the benchmark; `stop` ends it by its process id and waits for it.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

export async function startS3ServerProcess(): Promise<{ endpoint: string; stop: () => Promise<void> }> {
  // stdin stays a pipe: the server ends itself when this process goes away.
  const server = spawn(process.execPath, ["test/servers/s3-server.ts"], { stdio: ["pipe", "pipe", "inherit"] });
  const exited = new Promise<void>((resolve) => server.once("exit", () => resolve()));
  const endpoint = await new Promise<string>((resolve, reject) => {
    server.once("error", reject);
    server.once("exit", (code) =>
      reject(new Error(`test/servers/s3-server.ts exited with code ${code} before it was ready`)),
    );
    createInterface({ input: server.stdout }).once("line", (line) => resolve(JSON.parse(line).endpoint));
  });
  return {
    endpoint,
    stop: async () => {
      if (server.pid !== undefined && server.exitCode === null) process.kill(server.pid, "SIGTERM");
      await exited;
    },
  };
}
