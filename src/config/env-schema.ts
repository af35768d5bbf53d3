import * as v from "valibot";

// The kinds of value a setting can hold, and how a setting is declared together with what README's
// table says of it. Every var arrives as a string (a blank one as unset); messages leave out the
// setting's name, which parseSettings puts in front.

/** What README's settings table says of a setting, kept in its schema's metadata. */
export type SettingDoc = {
  /** What it does, in Markdown. */
  meaning: string;
  /** What a value may be ("1–500", "`r2` or `s3`"), said by its kind of value. */
  accepts: string;
  /** Set with `wrangler secret put` rather than in `wrangler.toml`'s `[vars]`. */
  secret: boolean;
  /** Needed only while another setting has this value, e.g. `["STORAGE_DRIVER", "s3"]`. */
  requiredWhen?: readonly [setting: string, value: string];
};

export const envString = v.string("must be a string");

/** A kind of value, with the words README uses for what it accepts. */
export function kindOfValue<S extends v.GenericSchema>(schema: S, accepts: string) {
  return v.pipe(schema, v.metadata({ accepts }));
}

export const text = kindOfValue(envString, "text");

/** An http(s) origin, trailing slashes dropped. */
export const origin = kindOfValue(
  v.pipe(
    envString,
    v.check(isHttpUrl, (issue) => `must be an http(s) URL, got "${issue.input}"`),
    v.transform((url) => url.replace(/\/+$/, "")),
  ),
  "http(s) URL",
);

export function wholeNumber(min: number, max: number) {
  return kindOfValue(
    v.pipe(
      envString,
      v.check(
        (raw) => Number.isInteger(Number(raw)) && Number(raw) >= min && Number(raw) <= max,
        (issue) => `must be a whole number from ${min} to ${max}, got "${issue.input}"`,
      ),
      v.transform(Number),
    ),
    `${min}–${max}`,
  );
}

/** One of a few lowercase words, written in any case. */
export function oneOf<const T extends readonly [string, ...string[]]>(options: T) {
  return kindOfValue(
    v.pipe(
      envString,
      v.transform((raw) => raw.toLowerCase()),
      v.picklist(options, (issue) => `must be ${orList(options)}, got "${issue.input}"`),
    ),
    orList(options.map((option) => `\`${option}\``)),
  );
}

export const flag = v.pipe(
  oneOf(["true", "false"]),
  v.transform((value) => value === "true"),
);

/** Comma-separated items, each trimmed, blanks skipped. */
export const list = v.pipe(
  envString,
  v.transform((raw) =>
    raw
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean),
  ),
);

/** A setting the Worker cannot run without. */
export function required<S extends v.GenericSchema<string, unknown>>(kind: S) {
  return v.nonOptional(kind, "is not set");
}

/** A setting that may stay unset. */
export function optional<S extends v.GenericSchema<string, unknown>>(kind: S) {
  return v.optional(kind);
}

/** A setting with a default, which is parsed as if it had been written in `[vars]`. */
export function withDefault<S extends v.GenericSchema<string, unknown>>(kind: S, fallback: string | number) {
  return v.optional(kind, String(fallback));
}

type Presence = v.GenericSchema & { wrapped: v.GenericSchema };

/** A var: its kind and presence (`withDefault(wholeNumber(1, 500), 50)`) and what it means. */
export function setting<S extends Presence>(schema: S, meaning: string, more: Partial<SettingDoc> = {}) {
  const doc: SettingDoc = { meaning, accepts: String(v.getMetadata(schema.wrapped).accepts), secret: false, ...more };
  return v.pipe(schema, v.metadata(doc));
}

/** A secret, declared as a var is. */
export function secret<S extends Presence>(schema: S, meaning: string, more: Partial<SettingDoc> = {}) {
  return setting(schema, meaning, { secret: true, ...more });
}

/** Everything README's table shows of a setting: its doc, its default as written in `[vars]`, whether it is required. */
export function docOf(schema: ReturnType<typeof setting>): SettingDoc & { default?: string; required: boolean } {
  const fallback = v.getDefault(schema as v.GenericSchema);
  return {
    ...(v.getMetadata(schema) as SettingDoc),
    ...(fallback === undefined ? {} : { default: String(fallback) }),
    required: schema.type === "non_optional",
  };
}

/** "a, b or c". */
export function orList(words: readonly string[]): string {
  return words.length < 2 ? words.join("") : `${words.slice(0, -1).join(", ")} or ${words.at(-1)}`;
}

function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === "https:" || protocol === "http:";
  } catch {
    return false;
  }
}
