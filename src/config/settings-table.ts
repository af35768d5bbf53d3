import { SETTINGS, type SettingName, settingDoc } from "./settings";

/** README's settings table, made from the schema (`npm run settings:table` writes it into README). */
export function settingsTable(): string {
  const rows = (Object.keys(SETTINGS) as SettingName[]).map((name) => {
    const doc = settingDoc(name);
    const byDefault =
      doc.default !== undefined
        ? `\`${doc.default}\``
        : doc.required
          ? "— (required)"
          : doc.requiredWhen
            ? `— (with ${doc.requiredWhen[1]})`
            : "unset";
    return [`\`${name}\``, doc.secret ? "secret" : "var", byDefault, doc.accepts, doc.meaning];
  });
  return markdownTable(["name", "kind", "default", "accepts", "meaning"], rows);
}

/** Where the table sits in README.md, between these two lines. */
export const TABLE_MARKERS = [
  "<!-- settings-table: start (npm run settings:table) -->",
  "<!-- settings-table: end -->",
];

function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}
