import { afterEach, describe, expect, it, vi } from "vitest";
import { parseSettings } from "../../src/config/settings";
import { FalGenerator } from "../../src/fal/generator";

const env = {
  DB: { prepare() {} },
  BUCKET: { put() {} },
  CHAT_SESSION: { idFromName() {} },
  AVATAR_WORKSPACE: { idFromName() {} },
  TELEGRAM_BOT_TOKEN: "123:abc",
  TELEGRAM_WEBHOOK_SECRET: "fal-client-test-webhook-secret-0123456789",
  PUBLIC_URL: "https://bot.example",
  FAL_KEY: "real-key-id:real-key-secret",
};
const request = { prompt: "ohx person", loraUrl: "https://v3.fal.media/l.safetensors", loraScale: 1 } as const;

/** Which URL the fal client asks, with the stand-ins out of the way. */
async function submittedTo(extra: Record<string, string>): Promise<Request> {
  const seen: Request[] = [];
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    seen.push(new Request(input, init));
    return Response.json({ request_id: "r-1", status: "IN_QUEUE", queue_position: 0 });
  });
  await new FalGenerator(parseSettings({ ...env, ...extra })).submit(
    { ...request, aspect: "1:1", count: 1, seed: 1 },
    "https://bot.example/fal/webhook",
  );
  const [first] = seen;
  if (!first) throw new Error("the fal client made no request");
  return first;
}

describe("the fal client", () => {
  afterEach(() => vi.restoreAllMocks());

  it("talks to fal itself when FAL_BASE_URL is not set: the playground's stand-in never stands in for it", async () => {
    const sent = await submittedTo({});
    expect(new URL(sent.url).origin).toBe("https://queue.fal.run");
    expect(new URL(sent.url).pathname).toBe("/fal-ai/flux-lora");
    expect(sent.headers.get("authorization")).toBe("Key real-key-id:real-key-secret");
  });

  it("sends the same request to FAL_BASE_URL when it is set", async () => {
    const sent = await submittedTo({ FAL_BASE_URL: "http://127.0.0.1:9000" });
    expect(new URL(sent.url).origin).toBe("http://127.0.0.1:9000");
    expect(new URL(sent.url).pathname).toBe("/fal-ai/flux-lora");
    expect(new URL(sent.url).searchParams.get("fal_webhook")).toBe("https://bot.example/fal/webhook");
  });
});
