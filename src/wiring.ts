import { loadSettings } from "./config/settings";
import { D1Repository } from "./db/d1/d1-repository";
import { PgRepository } from "./db/pg/pg-repository";
import type { Repository } from "./db/repository";
import type { ObjectStorage } from "./storage/object-storage";
import { R2Storage } from "./storage/r2-storage";
import { S3Storage } from "./storage/s3-storage";

/** Per-request adapters from the bindings; the one place that picks an implementation. */
export function createRepository(env: Env): Repository {
  const { database } = loadSettings(env);
  return database.driver === "postgres" ? new PgRepository(database.connectionString) : new D1Repository(env.DB);
}

export function createStorage(env: Env): ObjectStorage {
  const { storage } = loadSettings(env);
  return storage.driver === "s3" ? new S3Storage(storage) : new R2Storage(env.BUCKET);
}
