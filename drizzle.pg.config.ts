import { defineConfig } from "drizzle-kit";

// Postgres (DB_DRIVER=postgres): `npm run db:generate:pg` writes migrations-pg/; apply them with
// `DATABASE_URL=postgres://… npx drizzle-kit migrate --config drizzle.pg.config.ts`.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/db/pg/schema.ts",
  out: "./migrations-pg",
  dbCredentials: { url: process.env.DATABASE_URL ?? "" },
});
