import { describe, expect, it } from "vitest";
import devVarsExample from "../../.dev.vars.example?raw";
import readme from "../../README.md?raw";
import { parseSettings, SETTINGS, type SettingName, settingDoc } from "../../src/config/settings";
import { settingsTable, TABLE_MARKERS } from "../../src/config/settings-table";
import wranglerToml from "../../wrangler.toml?raw";

const bindings = {
  DB: { prepare() {} },
  BUCKET: { put() {} },
  CHAT_SESSION: { idFromName() {} },
  AVATAR_WORKSPACE: { idFromName() {} },
};

/** `NAME = "value"` lines of wrangler.toml's [vars] table. */
function wranglerVars(): Record<string, string> {
  const table = /^\[vars\]\n([\s\S]*?)(?=^\[)/m.exec(wranglerToml)?.[1] ?? "";
  return Object.fromEntries([...table.matchAll(/^(\w+) = "(.*)"$/gm)].map((m) => [m[1], m[2]]));
}

/** `NAME=value` lines of .dev.vars.example. */
function devVars(): Record<string, string> {
  return Object.fromEntries([...devVarsExample.matchAll(/^(\w+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
}

describe("the settings' documentation", () => {
  it("README's settings table is the one the schema makes (npm run settings:table)", () => {
    const [start, end] = TABLE_MARKERS as [string, string];
    const inReadme = readme.slice(readme.indexOf(start) + start.length, readme.indexOf(end)).trim();
    expect(inReadme).toBe(settingsTable());
  });

  it("README's table lists every setting once, each with its default", () => {
    const rows = [...readme.matchAll(/^\| `(\w+)` +\| \w+ +\| (.+?) +\|/gm)].map((m) => [m[1], m[2]]);
    expect(rows.map(([name]) => name)).toEqual(Object.keys(SETTINGS));
    for (const [name, shown] of rows) {
      const { default: fallback } = settingDoc(name as SettingName);
      if (fallback !== undefined) expect(shown).toBe(`\`${fallback}\``);
      else expect(shown).not.toContain("`");
    }
  });

  it("wrangler.toml's [vars] are settings, not secrets, and the Worker accepts them", () => {
    const vars = wranglerVars();
    expect(Object.keys(vars).length).toBeGreaterThan(0);
    for (const name of Object.keys(vars)) {
      expect(name in SETTINGS, name).toBe(true);
      expect(settingDoc(name as SettingName).secret, name).toBe(false);
    }
    expect(() => parseSettings({ ...bindings, ...vars, ...devVars() })).not.toThrow();
  });

  it(".dev.vars.example holds secrets the schema knows", () => {
    const vars = devVars();
    expect(Object.keys(vars).length).toBeGreaterThan(0);
    for (const name of Object.keys(vars)) {
      expect(name in SETTINGS, name).toBe(true);
      expect(settingDoc(name as SettingName).secret, name).toBe(true);
    }
  });
});
