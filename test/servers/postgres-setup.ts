// The Postgres half of the tests, on the Node side. vitest.config.ts asks findPostgres() whether a
// server answers; if one does, this file's setup (a vitest globalSetup) creates one throwaway database
// per test project, applies migrations-pg/ to each, hands their URLs to the projects (which give them
// to miniflare as the HYPERDRIVE binding) and drops them when the run ends.
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import type { TestProject } from "vitest/node";

/** The role .ci/run creates; TEST_POSTGRES_URL overrides it (it must be allowed to create databases). */
const DEFAULT_ADMIN_URL = "postgres://avatar_test:avatar_test@127.0.0.1:5432/postgres";

export const POSTGRES_DATABASES = ["contract", "photo_flow"] as const;
export type PostgresDatabases = Record<(typeof POSTGRES_DATABASES)[number], string>;

export function adminUrl(): string {
  return process.env.TEST_POSTGRES_URL || DEFAULT_ADMIN_URL;
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * True when the Postgres server answers. Otherwise prints the one line that says the Postgres half
 * is skipped, or, under CI=true, fails: CI must run both halves. Vitest evaluates its config more
 * than once per run, so the answer is kept for the process.
 */
export function findPostgres(): Promise<boolean> {
  const memo = globalThis as { [FOUND]?: Promise<boolean> };
  memo[FOUND] ??= probe();
  return memo[FOUND];
}

const FOUND = Symbol.for("avatar-studio.test.postgres-found");

async function probe(): Promise<boolean> {
  const url = adminUrl();
  const sql = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await sql`SELECT 1`;
    return true;
  } catch (error) {
    const shown = new URL(url);
    shown.password = shown.password ? "***" : "";
    const message =
      `Postgres half skipped: no server answered at ${shown} (${(error as Error).message}). ` +
      "Start one and create the role as .ci/run does, or set TEST_POSTGRES_URL to a role that may create databases.";
    if (process.env.CI === "true") throw new Error(`CI needs Postgres. ${message}`);
    console.log(message);
    return false;
  } finally {
    await sql.end();
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const admin = postgres(adminUrl(), { max: 1, onnotice: () => {} });
  const prefix = `avatar_test_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const urls = {} as PostgresDatabases;
  const created: string[] = [];
  const dropAll = async () => {
    for (const name of created) await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  };
  try {
    for (const purpose of POSTGRES_DATABASES) {
      const name = `${prefix}_${purpose}`;
      await admin.unsafe(`CREATE DATABASE "${name}"`);
      created.push(name);
      urls[purpose] = withDatabase(adminUrl(), name);
      const client = postgres(urls[purpose], { max: 1, onnotice: () => {} });
      try {
        await migrate(drizzle(client), { migrationsFolder: "./migrations-pg" });
      } finally {
        await client.end();
      }
    }
  } catch (error) {
    await dropAll();
    throw error;
  }
  project.provide("postgres", urls);
  return dropAll;
}
