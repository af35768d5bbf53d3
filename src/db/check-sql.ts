import { type SQL, sql } from "drizzle-orm";

/** `column IN ('a', 'b', …)` for a CHECK constraint; the same text on SQLite and Postgres. */
export const inList = (column: string, values: readonly string[]): SQL =>
  sql.raw(`${column} IN (${values.map((v) => `'${v}'`).join(", ")})`);
