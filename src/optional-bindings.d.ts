// Bindings that only some deployments have, so `npm run types` (from wrangler.toml) cannot know them.
// HYPERDRIVE is there when DB_DRIVER=postgres; see README, "Running on Postgres and MinIO".
declare namespace Cloudflare {
  interface Env {
    HYPERDRIVE?: Hyperdrive;
  }
}
interface Env {
  HYPERDRIVE?: Hyperdrive;
}
