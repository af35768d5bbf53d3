import { env, exports } from "cloudflare:workers";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { isAccepted, userExists } from "../support/db";
import { deliver, handOff, installStandIns, newUser, say, settled } from "../support/harness";

describe("POST /telegram/webhook", () => {
  let ANNA = newUser();
  beforeEach(() => {
    ANNA = newUser();
  });

  it("refuses a request without the secret header and processes nothing", async () => {
    const { telegram } = installStandIns();
    const update = telegram.textUpdate(ANNA, "/start");
    const response = await deliver(update, null);
    expect(response.status).toBe(401);
    expect(telegram.calls).toEqual([]);
    expect(await userExists(ANNA.id)).toBe(false);
    expect(await isAccepted(ANNA.id, update.update_id as number)).toBe(false);
  });

  it("refuses a wrong secret and processes nothing", async () => {
    const { telegram } = installStandIns();
    const response = await deliver(telegram.textUpdate(ANNA, "/start"), "guessed-secret");
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: "unauthorized" });
    expect(telegram.calls).toEqual([]);
    expect(await userExists(ANNA.id)).toBe(false);
  });

  it("answers 400 to a body that is not JSON", async () => {
    installStandIns();
    const response = await exports.default.fetch(
      new Request("https://bot.example/telegram/webhook", {
        method: "POST",
        headers: { "X-Telegram-Bot-Api-Secret-Token": env.TELEGRAM_WEBHOOK_SECRET },
        body: "{not json",
      }),
    );
    expect(response.status).toBe(400);
  });

  it("processes an update Telegram delivers twice only once", async () => {
    const { telegram } = installStandIns();
    const update = telegram.textUpdate(ANNA, "/start");
    expect((await deliver(update)).status).toBe(200);
    expect((await deliver(update)).status).toBe(200);
    expect(telegram.callsTo("sendMessage")).toHaveLength(1);
    expect(await isAccepted(ANNA.id, update.update_id as number)).toBe(true);
  });

  it("handles the same update arriving twice at the same moment once", async () => {
    const { telegram } = installStandIns();
    const update = telegram.textUpdate(ANNA, "/start");
    const responses = await Promise.all([deliver(update), deliver(update)]);
    expect(responses.map((r) => r.status)).toEqual([200, 200]);
    expect(telegram.callsTo("sendMessage")).toHaveLength(1);
  });

  it("acknowledges updates that have no sender without calling Telegram", async () => {
    const { telegram } = installStandIns();
    const response = await deliver({
      update_id: 5,
      channel_post: { message_id: 1, date: 1, chat: { id: -100, type: "channel", title: "c" }, text: "hi" },
    });
    expect(response.status).toBe(200);
    expect(telegram.calls.filter((c) => c.method !== "getMe")).toEqual([]);
  });

  it("answers a burst of thirty chats at once, and handles each chat's updates once and in order", async () => {
    const { telegram } = installStandIns();
    const users = Array.from({ length: 30 }, () => newUser());
    const updates = users.flatMap((user) => [telegram.textUpdate(user, "/start"), telegram.textUpdate(user, "/help")]);
    // Everything is posted before anything is awaited: more chats than the isolate's background turns.
    const responses = await Promise.all(updates.map((update) => handOff(update)));
    expect(responses.map((r) => r.status)).toEqual(updates.map(() => 200));
    await Promise.all(updates.map((update) => settled(update)));
    for (const user of users) {
      const replies = telegram.callsTo("sendMessage").filter((call) => call.params.chat_id === user.id);
      expect(replies).toHaveLength(2);
      const [toStart, toHelp] = replies.map((call) => String(call.params.text));
      expect(toStart).not.toEqual(toHelp);
      expect(await isAccepted(user.id, updates[users.indexOf(user) * 2 + 1]?.update_id as number)).toBe(true);
    }
    const welcome = telegram.callsTo("sendMessage").find((call) => call.params.chat_id === users[0]?.id);
    for (const user of users) {
      const [first] = telegram.callsTo("sendMessage").filter((call) => call.params.chat_id === user.id);
      expect(first?.params.text).toEqual(welcome?.params.text);
    }
  }, 60_000);

  it("caches getMe: many updates, one call", async () => {
    const { telegram } = installStandIns();
    await say(telegram, ANNA, "/start");
    await say(telegram, ANNA, "/help");
    expect(telegram.callsTo("getMe").length).toBeLessThanOrEqual(1);
  });
});

describe("other routes", () => {
  it("GET /health checks the bindings and answers JSON", async () => {
    const response = await exports.default.fetch(new Request("https://bot.example/health"));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, checks: { db: "ok", storage: "ok", chatSession: "ok" } });
  });

  it("answers anything else with a JSON 404", async () => {
    const response = await exports.default.fetch(new Request("https://bot.example/nope"));
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toContain("application/json");
    expect(await response.json()).toEqual({ error: "not_found" });
  });

  it("GET on the webhook path is not found", async () => {
    const response = await exports.default.fetch(new Request("https://bot.example/telegram/webhook"));
    expect(response.status).toBe(404);
  });
});

describe("a missing or malformed setting", () => {
  const worker = exports.default as unknown as {
    fetch: (r: Request, e: unknown, c: ExecutionContext) => Promise<Response>;
  };

  it.each([
    ["TELEGRAM_BOT_TOKEN", undefined, "TELEGRAM_BOT_TOKEN is not set"],
    ["TELEGRAM_WEBHOOK_SECRET", undefined, "TELEGRAM_WEBHOOK_SECRET is not set"],
    ["PUBLIC_URL", "not a url", "PUBLIC_URL must be an http(s) URL"],
    ["MAX_PHOTOS_PER_AVATAR", "fifty", "MAX_PHOTOS_PER_AVATAR must be a whole number"],
  ])("%s=%s fails at the edge with one log line and a bare 500", async (name, value, problem) => {
    const { createApp } = await import("../../src/http/app");
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const brokenEnv = { ...env, [name]: value };
    const response = await createApp().fetch(new Request("https://bot.example/health"), brokenEnv, {
      waitUntil: () => undefined,
      passThroughOnException: () => undefined,
      props: {},
    } as unknown as ExecutionContext);
    expect(response.status).toBe(500);
    const body = await response.text();
    expect(JSON.parse(body)).toEqual({ error: "server_misconfigured" });
    expect(body).not.toContain("at ");
    expect(logged).toHaveBeenCalledTimes(1);
    const line = JSON.parse(String(logged.mock.calls[0]?.[0]));
    expect(line).toMatchObject({ level: "error", event: "config_invalid" });
    expect(line.problems.join("; ")).toContain(problem);
    void worker;
  });
});
