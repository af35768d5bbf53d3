import { loadSettings } from "./config/settings";
import { D1Repository } from "./db/d1/d1-repository";
import { PgRepository } from "./db/pg/pg-repository";
import type { ObjectStorage } from "./domain/object-storage";
import type { Repository } from "./domain/repository";
import { R2Storage } from "./storage/r2-storage";
import { S3Storage } from "./storage/s3-storage";

/** One D1 repository per binding: it holds no connection, and building drizzle's schema map costs CPU per update. */
const d1Repositories = new WeakMap<D1Database, D1Repository>();

/**
 * Adapters from the bindings; the one place that picks an implementation. A Postgres repository is
 * made per call (it owns a connection for the request); a D1 one is shared.
 */
export function createRepository(env: Env): Repository {
  const { database } = loadSettings(env);
  if (database.driver === "postgres") return new PgRepository(database.connectionString);
  let repository = d1Repositories.get(env.DB);
  if (!repository) {
    repository = new D1Repository(env.DB);
    d1Repositories.set(env.DB, repository);
  }
  return repository;
}

export function createStorage(env: Env): ObjectStorage {
  const { storage } = loadSettings(env);
  return storage.driver === "s3" ? new S3Storage(storage) : new R2Storage(env.BUCKET);
}
