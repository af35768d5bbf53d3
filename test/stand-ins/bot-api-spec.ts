/**
 * Checks a Bot API call against the machine-readable Bot API 10.1 description:
 * the method exists, required parameters are present, every value fits its declared type,
 * and the limits written in the descriptions ("1-4096 characters", "1-64 bytes") hold.
 */
import spec from "../fixtures/bot-api-10.1.json";

interface Field {
  name: string;
  types: string[];
  required: boolean;
  description: string;
}
interface TypeDef {
  name: string;
  fields?: Field[];
  subtypes?: string[];
}
interface MethodDef {
  name: string;
  fields?: Field[];
}

const methods = spec.methods as unknown as Record<string, MethodDef>;
const types = spec.types as unknown as Record<string, TypeDef>;

export class BotApiViolation extends Error {
  constructor(
    readonly errorCode: number,
    readonly description: string,
  ) {
    super(description);
  }
}

export function methodExists(method: string): boolean {
  return Object.hasOwn(methods, method);
}

/** Throws BotApiViolation with Telegram's own wording where it is known. */
export function checkCall(method: string, params: Record<string, unknown>): void {
  const def = methods[method];
  if (!def) throw new BotApiViolation(404, "Not Found");
  const known = new Set((def.fields ?? []).map((f) => f.name));
  for (const field of def.fields ?? []) {
    const value = params[field.name];
    if (value === undefined || value === null) {
      if (field.required) throw new BotApiViolation(400, missingMessage(method, field.name));
      continue;
    }
    const problem = checkValue(value, field.types, field.name, 0);
    if (problem) throw new BotApiViolation(400, `Bad Request: ${problem}`);
    checkLimit(method, field, value, params);
  }
  for (const name of Object.keys(params)) {
    if (!known.has(name)) throw new BotApiViolation(400, `Bad Request: unexpected parameter "${name}" for ${method}`);
  }
}

function missingMessage(method: string, name: string): string {
  if (name === "text") return "Bad Request: message text is empty";
  if (name === "chat_id") return "Bad Request: chat_id is empty";
  if (name === "callback_query_id")
    return "Bad Request: query is too old and response timeout expired or query ID is invalid";
  return `Bad Request: parameter "${name}" is required for ${method}`;
}

function checkValue(value: unknown, allowed: string[], path: string, depth: number): string | null {
  let last: string | null = `${path} has an unsupported type`;
  for (const type of allowed) {
    const problem = checkOne(value, type, path, depth);
    if (problem === null) return null;
    last = problem;
  }
  return last;
}

function checkOne(value: unknown, type: string, path: string, depth: number): string | null {
  if (type.startsWith("Array of ")) {
    if (!Array.isArray(value)) return `${path} must be an array`;
    const inner = type.slice("Array of ".length);
    for (const [i, item] of value.entries()) {
      const problem = checkOne(item, inner, `${path}[${i}]`, depth + 1);
      if (problem) return problem;
    }
    return null;
  }
  switch (type) {
    case "Integer":
      return Number.isInteger(value) ? null : `${path} must be an Integer`;
    case "Float":
      return typeof value === "number" ? null : `${path} must be a Float`;
    case "String":
      return typeof value === "string" ? null : `${path} must be a String`;
    case "Boolean":
      return typeof value === "boolean" ? null : `${path} must be a Boolean`;
    case "True":
      return value === true ? null : `${path} must be True`;
    case "InputFile":
      return typeof value === "string" || value instanceof Blob ? null : `${path} must be an InputFile`;
  }
  const def = types[type];
  if (!def) return `${path} has unknown type ${type}`;
  if (def.subtypes) return checkValue(value, def.subtypes, path, depth);
  if (typeof value !== "object" || value === null || Array.isArray(value)) return `${path} must be a ${type} object`;
  const record = value as Record<string, unknown>;
  const known = new Set((def.fields ?? []).map((f) => f.name));
  for (const name of Object.keys(record)) if (!known.has(name)) return `${path}.${name} is not a field of ${type}`;
  for (const field of def.fields ?? []) {
    const inner = record[field.name];
    if (inner === undefined || inner === null) {
      if (field.required) return `${path}.${field.name} is required in ${type}`;
      continue;
    }
    // A discriminator such as InputMediaPhoto.type: "Type of the result, must be photo".
    const mustBe = /must be (\w+)$/.exec(field.description)?.[1];
    if (field.name === "type" && mustBe && inner !== mustBe) return `${path}.type must be ${mustBe}`;
    const problem = checkOne(inner, field.types[0] ?? "String", `${path}.${field.name}`, depth + 1);
    if (problem && checkValue(inner, field.types, `${path}.${field.name}`, depth + 1)) return problem;
    if (type === "InlineKeyboardButton" && field.name === "callback_data") {
      const bytes = new TextEncoder().encode(String(inner)).length;
      // Decisive whichever member of a union is being tried: Telegram refuses the whole call.
      if (bytes < 1 || bytes > 64) throw new BotApiViolation(400, "Bad Request: BUTTON_DATA_INVALID");
    }
  }
  return null;
}

/**
 * The text a user sees after entities parsing; throws as Telegram does when it cannot be parsed.
 * The bot sends HTML only, so that is the one parse mode played here; any other is a test's mistake.
 */
function visibleText(value: string, parseMode: unknown): string {
  if (parseMode === "HTML") return parseHtml(value);
  if (parseMode !== undefined)
    throw new Error(`the Telegram stand-in plays parse_mode HTML only, not ${String(parseMode)}`);
  return value;
}

function checkLimit(method: string, field: Field, value: unknown, params: Record<string, unknown>): void {
  if (typeof value !== "string") return;
  const match = /(\d+)-(\d+) (characters|bytes)/.exec(field.description);
  if (!match) return;
  const [min, max] = [Number(match[1]), Number(match[2])];
  const afterEntities = field.description.includes("after entities parsing");
  const parseMode = params.parse_mode;
  const measured =
    match[3] === "bytes"
      ? new TextEncoder().encode(value).length
      : [...(afterEntities ? visibleText(value, parseMode) : value)].length;
  if (measured > max) {
    if (field.name === "text" && method !== "answerCallbackQuery")
      throw new BotApiViolation(400, "Bad Request: message is too long");
    if (field.name === "caption") throw new BotApiViolation(400, "Bad Request: message caption is too long");
    throw new BotApiViolation(400, `Bad Request: ${field.name} is too long`);
  }
  if (measured < min) {
    if (field.name === "text") throw new BotApiViolation(400, "Bad Request: message text is empty");
    throw new BotApiViolation(400, `Bad Request: ${field.name} is empty`);
  }
}

const HTML_TAGS = new Set([
  "b",
  "strong",
  "i",
  "em",
  "u",
  "ins",
  "s",
  "strike",
  "del",
  "span",
  "tg-spoiler",
  "a",
  "tg-emoji",
  "code",
  "pre",
  "blockquote",
  "tg-time",
]);

/** Telegram's HTML parse mode: returns the visible text or throws "can't parse entities" as Telegram does. */
export function parseHtml(html: string): string {
  let out = "";
  const stack: string[] = [];
  let i = 0;
  const fail = (why: string): never => {
    const offset = new TextEncoder().encode(html.slice(0, i)).length;
    throw new BotApiViolation(400, `Bad Request: can't parse entities: ${why} at byte offset ${offset}`);
  };
  while (i < html.length) {
    const ch = html[i];
    if (ch === "<") {
      const end = html.indexOf(">", i);
      if (end < 0) fail("Unclosed start tag");
      const inside = html.slice(i + 1, end);
      if (inside.startsWith("/")) {
        const name = inside.slice(1).trim().toLowerCase();
        if (stack.pop() !== name) fail(`Unmatched end tag "${name}"`);
      } else {
        const name = (/^([a-z-]+)/i.exec(inside)?.[1] ?? "").toLowerCase();
        if (!HTML_TAGS.has(name)) fail(`Unsupported start tag "${name}"`);
        stack.push(name);
      }
      i = end + 1;
      continue;
    }
    if (ch === "&") {
      const entity = /^&(lt|gt|amp|quot|#\d+|#x[0-9a-f]+);/i.exec(html.slice(i));
      if (!entity?.[1]) fail("Character '&' is reserved and must be escaped as &amp;");
      const name = entity?.[1] ?? "";
      out +=
        name === "lt"
          ? "<"
          : name === "gt"
            ? ">"
            : name === "amp"
              ? "&"
              : name === "quot"
                ? '"'
                : String.fromCodePoint(Number(name.startsWith("#x") ? `0x${name.slice(2)}` : name.slice(1)));
      i += entity?.[0].length ?? 1;
      continue;
    }
    if (ch === ">") fail("Character '>' is reserved and must be escaped as &gt;");
    out += ch;
    i += 1;
  }
  if (stack.length > 0) fail(`Can't find end tag corresponding to start tag "${stack.at(-1)}"`);
  return out;
}
