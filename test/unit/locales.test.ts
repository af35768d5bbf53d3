import { describe, expect, it } from "vitest";
import { BOT_COMMANDS } from "../../src/bot/commands";
import { messagesFor } from "../../src/bot/locales";
import type { Retention } from "../../src/bot/locales/en";
import { countRu, duration, fileSize, pixels, plural, range } from "../../src/bot/locales/plural";
import type { Language } from "../../src/domain/entities";

/** Avatar names of both genders: a Russian line that agrees a word with the name is wrong for one of them. */
const AVATAR_NAMES: Record<Language, string[]> = { en: ["Maria", "John"], ru: ["Мария", "Иван"] };
const COUNTS = [1, 2, 5, 21];
const RETENTIONS: Retention[] = [
  { abandonedSeconds: 7 * 86400, archiveSeconds: 86400, picturesSeconds: undefined },
  { abandonedSeconds: 2 * 3600, archiveSeconds: 21 * 60, picturesSeconds: 5 * 86400 },
];

/**
 * What a string parameter stands for, by its name; any other parameter is a number. A new string
 * parameter gets a neutral word, so a new function is still checked.
 */
const STRING_PARAMS: Record<string, unknown> = {
  items: ["1", "2", "3"],
  caption: "📸 · 3:4",
  style: "Cinematic",
  words: "sunset",
  firstName: "Саша",
  status: "✅",
  type: "👤",
  photoLine: "📸",
  created: "📅",
  format: "GIF",
  aspect: "3:4",
  quality: "✓",
  face: "✓",
  prompt: "sunset",
  date: "2 Dec 2026",
  label: "Photo 1",
  reason: "🛠",
  shape: "3:4",
  marks: ["sunglasses", "blurry"],
  photos: [2, 5, 7],
  preset: "Cinematic",
};
const NAME_PARAMS = new Set(["name", "avatarName"]);

/** Counted nouns and the form each plural category takes (Russian: nominative, or accusative where it differs). */
const NOUNS: Record<Language, Record<string, Partial<Record<Intl.LDMLPluralRule, string[]>>>> = {
  en: {
    photo: { one: ["photo"], other: ["photos"] },
    picture: { one: ["picture"], other: ["pictures"] },
    image: { one: ["image"], other: ["images"] },
    set: { one: ["set"], other: ["sets"] },
    avatar: { one: ["avatar"], other: ["avatars"] },
    minute: { one: ["minute"], other: ["minutes"] },
    hour: { one: ["hour"], other: ["hours"] },
    day: { one: ["day"], other: ["days"] },
    character: { one: ["character"], other: ["characters"] },
    step: { one: ["step"], other: ["steps"] },
    face: { one: ["face"], other: ["faces"] },
  },
  ru: {
    // Each category also takes its genitive («до 1 символа», «не больше 2 изображений»).
    фотография: {
      one: ["фотография", "фотографию", "фотографии"],
      few: ["фотографии", "фотографий"],
      many: ["фотографий"],
    },
    изображение: { one: ["изображение", "изображения"], few: ["изображения", "изображений"], many: ["изображений"] },
    набор: { one: ["набор"], few: ["набора"], many: ["наборов"] },
    аватар: { one: ["аватар"], few: ["аватара"], many: ["аватаров"] },
    минута: { one: ["минута", "минуту"], few: ["минуты"], many: ["минут"] },
    час: { one: ["час"], few: ["часа"], many: ["часов"] },
    день: { one: ["день"], few: ["дня"], many: ["дней"] },
    символ: { one: ["символ", "символа"], few: ["символа", "символов"], many: ["символов"] },
    шаг: { one: ["шаг"], few: ["шага"], many: ["шагов"] },
    лицо: { one: ["лицо"], few: ["лица"], many: ["лиц"] },
  },
};

/** Words users must never see: the machinery, the provider, the storage products. */
const MACHINE_WORDS: Record<Language, RegExp> = {
  en: /\bfal\b|fal\.ai|trigger|endpoint|\bD1\b|\bR2\b|\bS3\b|PostgreSQL|Cloudflare|LoRA|\(s\)/i,
  ru: /\bfal\b|fal\.ai|trigger|endpoint|\bD1\b|\bR2\b|\bS3\b|PostgreSQL|Cloudflare|LoRA|\bpx\b|триггер|\(s\)|\(ы\)/i,
};

type Rendered = { key: string; text: string; names: string[] };

/** Every string of the messages object, each function called with every sample of its parameters. */
function renderAll(language: Language): Rendered[] {
  const out: Rendered[] = [];
  const visit = (value: unknown, key: string) => {
    if (typeof value === "string") out.push({ key, text: value, names: [] });
    else if (typeof value === "function") {
      for (const call of callsOf(value as (...args: unknown[]) => unknown, language)) {
        const text = (value as (...args: unknown[]) => unknown)(...call.args);
        expect(typeof text, `${key} returns a string`).toBe("string");
        out.push({
          key: `${key}(${call.args.map((a) => JSON.stringify(a)).join(", ")})`,
          text: String(text),
          names: call.names,
        });
      }
    } else if (value && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) visit(v, key ? `${key}.${k}` : k);
    }
  };
  visit(messagesFor(language), "");
  return out;
}

function parameterNames(fn: (...args: unknown[]) => unknown): string[] {
  const source = fn.toString();
  const list = /^[^(]*\(([^)]*)\)/.exec(source)?.[1] ?? /^\s*(\w+)\s*=>/.exec(source)?.[1] ?? "";
  return list
    .split(",")
    .map((p) => p.replace(/[=:].*$/s, "").trim())
    .filter(Boolean);
}

function callsOf(fn: (...args: unknown[]) => unknown, language: Language): { args: unknown[]; names: string[] }[] {
  const params = parameterNames(fn);
  const calls: { args: unknown[]; names: string[] }[] = [];
  const numeric = params.filter((p) => !(p in STRING_PARAMS) && !NAME_PARAMS.has(p) && p !== "keep");
  // Every numeric parameter at each count together, then each one alone at each count (the others at 5).
  const numberSets: Record<string, number>[] = COUNTS.map((n) => Object.fromEntries(numeric.map((p) => [p, n])));
  if (numeric.length > 1) {
    for (const p of numeric) {
      for (const n of COUNTS) numberSets.push({ ...Object.fromEntries(numeric.map((q) => [q, 5])), [p]: n });
    }
  }
  for (const avatarName of AVATAR_NAMES[language]) {
    for (const numbers of numberSets) {
      for (const keep of params.includes("keep") ? RETENTIONS : [undefined]) {
        const args = params.map((p) =>
          NAME_PARAMS.has(p) ? avatarName : p === "keep" ? keep : p in STRING_PARAMS ? STRING_PARAMS[p] : numbers[p],
        );
        calls.push({ args, names: params.some((p) => NAME_PARAMS.has(p)) ? [avatarName] : [] });
      }
    }
  }
  return calls;
}

const plain = (html: string) => html.replace(/<[^>]+>/g, "");

function formsProblems(language: Language, text: string): string[] {
  const problems: string[] = [];
  const rules = new Intl.PluralRules(language);
  const lemmaOf = new Map<string, string>();
  for (const [lemma, forms] of Object.entries(NOUNS[language])) {
    for (const list of Object.values(forms)) for (const form of list ?? []) lemmaOf.set(form, lemma);
  }
  for (const match of plain(text).matchAll(/(?<![\d.,:×])(\d+)[\s\u00a0]+(?:more\s+)?(\p{L}+)/gu)) {
    const n = Number(match[1]);
    const word = (match[2] ?? "").toLowerCase();
    const lemma = lemmaOf.get(word);
    if (!lemma) continue;
    const wanted = NOUNS[language][lemma]?.[rules.select(n)] ?? [];
    if (!wanted.includes(word)) problems.push(`"${match[0]}" should use ${wanted.join(" / ")}`);
  }
  // «наборов изображений: 2», "photos: 3/50": a count put after a colon or dash dodges the plural.
  for (const match of plain(text).matchAll(/(\p{L}+)\s*[:—]\s*\d/gu)) {
    if (lemmaOf.has((match[1] ?? "").toLowerCase())) problems.push(`"${match[0]}" puts the count after the noun`);
  }
  return problems;
}

function htmlProblems(text: string): string[] {
  const stack: string[] = [];
  for (const [, close, tag] of text.matchAll(/<(\/?)([a-z-]+)[^>]*>/g)) {
    if (!close) stack.push(tag ?? "");
    else if (stack.pop() !== tag) return [`unbalanced </${tag}>`];
  }
  return stack.length > 0 ? [`unclosed <${stack.join(">, <")}>`] : [];
}

/**
 * Russian agrees adjectives and verbs with the subject's gender, and «Мария» and «Иван» differ:
 * so a name appears only in quotes after a noun that carries the agreement («аватар «Мария» готов»),
 * or alone as a heading line.
 */
function nameProblems(text: string, name: string): string[] {
  const problems: string[] = [];
  const at = [...text.matchAll(new RegExp(name, "g"))];
  for (const match of at) {
    const before = text.slice(0, match.index);
    const after = text.slice((match.index ?? 0) + name.length);
    // A caption's label, "Мария · Кинокадр · портрет 3:4": nothing there agrees with the name.
    if (/(^|\n)[^\p{L}\d]*$/u.test(plain(before)) && /^ · /.test(plain(after))) continue;
    const quoted = /«(?:<[^>]+>)*$/.test(before) && /^(?:<\/[^>]+>)*»/.test(after);
    if (!quoted) {
      problems.push(`${name} is not in «»`);
      continue;
    }
    const lead = plain(before.replace(/(?:<[^>]+>)*«(?:<[^>]+>)*$/, ""));
    const framed = /аватар\p{L}*\s*$/iu.test(lead) || /(^|\n)[^\p{L}\d]*$/u.test(lead);
    const rest = plain(after.replace(/^(?:<\/[^>]+>)*»/, ""));
    const heading = /^[^\p{L}]*(\n|$)/u.test(rest) || /^:/.test(rest);
    if (!framed || (!heading && !/аватар\p{L}*\s*$/iu.test(lead))) {
      problems.push(
        `«${name}» needs a noun frame such as «аватар «${name}»»: …${lead.slice(-20)}«${name}»${rest.slice(0, 20)}…`,
      );
    }
  }
  return problems;
}

describe("every locale string", () => {
  for (const language of ["en", "ru"] as const) {
    it(`${language}: counts agree, no machinery, balanced HTML, names framed`, () => {
      const problems: string[] = [];
      for (const { key, text, names } of renderAll(language)) {
        const found = [
          ...formsProblems(language, text),
          ...htmlProblems(text),
          ...(MACHINE_WORDS[language].test(text) ? [`machine word: ${MACHINE_WORDS[language].exec(text)?.[0]}`] : []),
          ...(/\d–|–\d/.test(text) ? ["a range that may break across lines (use range())"] : []),
          ...(language === "ru" ? names.flatMap((name) => nameProblems(text, name)) : []),
        ];
        // One line per string and kind of problem, with the first call that shows it.
        for (const problem of found)
          problems.push(`${key.replace(/\(.*$/s, "")}: ${problem.replace(/\d+/g, "N")} [${key}: ${problem}]`);
      }
      const first = new Map<string, string>();
      for (const line of problems) {
        const kind = line.replace(/ \[.*$/s, "");
        if (!first.has(kind)) first.set(kind, line.replace(/^.*? \[/s, "").replace(/\]$/, ""));
      }
      expect([...first.values()]).toEqual([]);
    });
  }
});

describe("/help", () => {
  for (const language of ["en", "ru"] as const) {
    it(`${language}: lists every command the bot registers`, () => {
      const help = messagesFor(language).help.text(5, 50);
      for (const { command } of BOT_COMMANDS[language]) expect(help).toContain(`/${command}`);
    });
  }
});

describe("the plural helper", () => {
  it("takes the form Intl.PluralRules demands", () => {
    const photo = { one: "фотография", few: "фотографии", many: "фотографий", other: "фотографии" };
    expect([1, 2, 5, 11, 21, 22, 25, 111].map((n) => plural("ru", n, photo))).toEqual([
      "1 фотография",
      "2 фотографии",
      "5 фотографий",
      "11 фотографий",
      "21 фотография",
      "22 фотографии",
      "25 фотографий",
      "111 фотографий",
    ]);
    expect([1, 2, 21].map((n) => plural("en", n, { one: "photo", other: "photos" }))).toEqual([
      "1 photo",
      "2 photos",
      "21 photos",
    ]);
    expect(countRu(3, "набор", "набора", "наборов")).toBe("3 набора");
  });

  it("localises units and keeps ranges whole", () => {
    expect(pixels("ru", 512)).toBe("512 пикс.");
    expect(pixels("en", 512)).toBe("512 px");
    expect(fileSize("ru", 10 * 1024 * 1024)).toBe("10 МБ");
    expect(fileSize("en", 10 * 1024 * 1024 - 1)).toBe("9 MB");
    expect(duration("ru", 21 * 60)).toBe("21 минуту");
    expect(duration("ru", 7 * 86400)).toBe("7 дней");
    expect(duration("en", 3600)).toBe("1 hour");
    expect(range(5, 50)).toBe("5\u2060–\u206050");
  });
});
