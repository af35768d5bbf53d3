import { expect, it } from "vitest";
import { BridgeError, runPollingBridge } from "../../scripts/telegram/polling-bridge";
import { BOT_TOKEN, installStandIns, newUser, settled, WEBHOOK_SECRET } from "../support/harness";

const options = (apiRoot: string) => ({
  apiRoot,
  botToken: BOT_TOKEN,
  webhookUrl: "https://bot.example/telegram/webhook",
  webhookSecret: WEBHOOK_SECRET,
  pollSeconds: 0,
});

it("forwards each update from getUpdates to the local webhook with the secret, once", async () => {
  const { telegram } = installStandIns();
  const user = newUser();
  const updates = [telegram.textUpdate(user, "/start"), telegram.textUpdate(user, "/help")];
  telegram.pending.push(...updates);
  const { forwarded } = await runPollingBridge({ ...options(telegram.apiRoot), maxPolls: 3 });
  expect(forwarded).toBe(2);
  for (const update of updates) await settled(update);
  const replies = telegram
    .chat(user.id)
    .filter((m) => m.from_bot)
    .map((m) => m.text ?? "");
  expect(replies[0]).toContain("Hi, Anna!");
  expect(replies[1]).toContain("How it works");
  // The offset moved past both: the later polls asked for nothing already delivered.
  const offsets = telegram.callsTo("getUpdates").map((c) => c.params.offset);
  expect(offsets).toEqual([0, Number(updates[1]?.update_id) + 1, Number(updates[1]?.update_id) + 1]);
  expect(telegram.callsTo("sendMessage")).toHaveLength(2);
});

it("says plainly what to do when a webhook is still set", async () => {
  const { telegram } = installStandIns();
  telegram.webhook = {
    url: "https://prod.example/telegram/webhook",
    has_custom_certificate: false,
    pending_update_count: 0,
  };
  await expect(runPollingBridge({ ...options(telegram.apiRoot), maxPolls: 1 })).rejects.toThrow(BridgeError);
  await expect(runPollingBridge({ ...options(telegram.apiRoot), maxPolls: 1 })).rejects.toThrow(/--drop-webhook/);
});
