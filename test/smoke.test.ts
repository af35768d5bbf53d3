import { exports } from "cloudflare:workers";
import { expect, it } from "vitest";
import { ANNA, installStandIns, say } from "./support/harness";

it("answers /start", async () => {
  const { telegram } = installStandIns();
  await say(telegram, ANNA, "/start");
  expect(telegram.lastBotMessage(ANNA.id).text).toContain("Hi, Anna!");
  const res = await exports.default.fetch(new Request("https://bot.example/health"));
  expect(res.status).toBe(200);
});
