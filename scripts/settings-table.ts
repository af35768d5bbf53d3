// `npm run settings:table`: writes README's settings table from the schema in src/config/settings.ts,
// between the table's two marker lines. test/unit/settings-docs.test.ts fails while the two differ.
import { readFileSync, writeFileSync } from "node:fs";
import { build } from "esbuild";

// The Worker's modules import without file extensions, which Node does not resolve: bundle first.
const bundled = await build({
  entryPoints: ["src/config/settings-table.ts"],
  bundle: true,
  platform: "neutral",
  format: "esm",
  write: false,
  logLevel: "error",
});
const code = bundled.outputFiles[0]?.text ?? "";
const { settingsTable, TABLE_MARKERS } = (await import(
  `data:text/javascript;base64,${Buffer.from(code).toString("base64")}`
)) as { settingsTable: () => string; TABLE_MARKERS: string[] };

const [start, end] = TABLE_MARKERS as [string, string];
const readme = readFileSync("README.md", "utf8");
const from = readme.indexOf(start);
const to = readme.indexOf(end);
if (from < 0 || to < from) {
  console.error(`README.md has no "${start}" … "${end}" lines to put the table between.`);
  process.exit(1);
}
const updated = `${readme.slice(0, from + start.length)}\n${settingsTable()}\n${readme.slice(to)}`;
if (updated === readme) console.log("README.md: the settings table is up to date.");
else {
  writeFileSync("README.md", updated);
  console.log("README.md: settings table written.");
}
