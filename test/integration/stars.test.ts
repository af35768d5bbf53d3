import { env, exports } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { messagesFor } from "../../src/bot/locales";
import { createRepository } from "../../src/wiring";
import { type StandInUser, type StoredMessage, TelegramStandIn } from "../stand-ins/telegram";
import { rows } from "../support/db";
import { BOT_TOKEN, breakNext, handOff, installStandIns, newUser, say, send, tap } from "../support/harness";

/** ADMIN_USER_IDS in vitest.config.ts. */
const ADMIN: StandInUser = { id: 990001, first_name: "Olga", language_code: "en" };
const en = messagesFor("en");
const ru = messagesFor("ru");

let telegram: TelegramStandIn;
let user: StandInUser;

beforeEach(() => {
  ({ telegram } = installStandIns());
  user = newUser();
});

interface EntryRow {
  kind: string;
  credits: number;
  stars: number | null;
  key: string;
}

const entriesOf = (userId: number) =>
  rows<EntryRow>("SELECT kind, credits, stars, key FROM ledger_entries WHERE user_id = ? ORDER BY created_at", userId);
const balanceOf = async (userId: number) => (await createRepository(env).getBalance(userId)).available;
const lastText = (who: StandInUser = user) => telegram.lastBotMessage(who.id).text ?? "";
const lastHtml = (who: StandInUser) => telegram.lastBotMessage(who.id).html ?? "";

/** /buy, then the package's button: the invoice the bot sent. */
async function invoiceFor(who: StandInUser, label: RegExp): Promise<StoredMessage> {
  await say(telegram, who, "/buy");
  await tap(telegram, who, label);
  const invoice = telegram.lastBotMessage(who.id);
  if (!invoice.invoice) throw new Error("the bot sent no invoice");
  return invoice;
}

/** The user pays an invoice: Telegram's pre-checkout query, then (if answered ok) its checkout. */
async function pay(who: StandInUser, invoice: StoredMessage, sentAgoMs = 0) {
  const query = telegram.preCheckoutUpdate(who, invoice.message_id, sentAgoMs);
  await send(query);
  return telegram.checkout(TelegramStandIn.queryIdOf(query));
}

/** Buys the 100-credit package to the end and returns its charge id. */
async function bought(who: StandInUser = user): Promise<string> {
  const outcome = await pay(who, await invoiceFor(who, /^100 (credits|кредитов)/));
  if (!outcome.paid) throw new Error(`payment failed: ${outcome.reason}`);
  await send(outcome.update);
  return outcome.chargeId;
}

/** An invoice the bot sent earlier, under other settings: posted to Telegram as the bot did then. */
async function earlierInvoice(chat: StandInUser, payload: string, stars: number): Promise<StoredMessage> {
  const response = await telegram.handle(
    new Request(`https://api.telegram.org/bot${BOT_TOKEN}/sendInvoice`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        chat_id: chat.id,
        title: "100 credits",
        description: "100 credits for trainings and pictures",
        payload,
        currency: "XTR",
        prices: [{ label: "100 credits", amount: stars }],
      }),
    }),
  );
  expect(response.status).toBe(200);
  return telegram.lastBotMessage(chat.id);
}

describe("buying credits with Telegram Stars", () => {
  it("shows the packages with the balance, and sends an invoice in Stars for the one tapped", async () => {
    await say(telegram, user, "/buy");
    expect(lastText()).toContain("You have 0 credits");
    await tap(telegram, user, "300 credits · 140 ⭐");
    const [call] = telegram.callsTo("sendInvoice");
    expect(call?.ok).toBe(true);
    expect(call?.params).toMatchObject({
      chat_id: user.id,
      title: "300 credits",
      currency: "XTR",
      prices: [{ label: "300 credits", amount: 140 }],
      payload: `pkg:300:140:${user.id}`,
    });
    expect(call?.params.provider_token ?? "").toBe("");
    expect(telegram.lastBotMessage(user.id).invoice).toMatchObject({ total_amount: 140, currency: "XTR" });
  });

  it("the Buy credits button of any screen opens the same packages", async () => {
    await say(telegram, user, "/start");
    const menu = telegram.lastBotMessage(user.id);
    await send(telegram.callbackUpdate(user, menu.message_id, "buy"));
    expect(lastText()).toContain("Buy credits");
    expect(telegram.buttonData(telegram.lastBotMessage(user.id), "1000 credits · 420 ⭐")).toBe("bp:1000:420");
  });

  it("credits a purchase exactly once, however often Telegram delivers or replays successful_payment", async () => {
    const outcome = await pay(user, await invoiceFor(user, /^100 credits/));
    expect(telegram.callsTo("answerPreCheckoutQuery").at(-1)?.params).toEqual({
      pre_checkout_query_id: expect.any(String),
      ok: true,
    });
    if (!outcome.paid) throw new Error("not paid");
    await send(outcome.update);
    expect(lastText()).toContain("+100 credits for 50 ⭐");
    expect(lastText()).toContain("Your balance: 100 credits");
    expect(lastText()).toContain(outcome.chargeId);
    const receipts = telegram.chat(user.id).filter((m) => m.text?.includes("Payment received")).length;

    // The same update again (a redelivery), and the same payment under a new update_id (a replay).
    await send(outcome.update);
    await send({ ...outcome.update, update_id: telegram.nextUpdateId() });
    expect(await balanceOf(user.id)).toBe(100);
    expect(await entriesOf(user.id)).toEqual([
      { kind: "purchase", credits: 100, stars: 50, key: `purchase:${outcome.chargeId}` },
    ]);
    expect(telegram.chat(user.id).filter((m) => m.text?.includes("Payment received")).length).toBe(receipts);
  });

  it("answers the pre-checkout query before the webhook itself answers Telegram", async () => {
    const invoice = await invoiceFor(user, /^100 credits/);
    const query = telegram.preCheckoutUpdate(user, invoice.message_id);
    // Not `send`: nothing is awaited but the webhook's own answer, as Telegram sees it.
    expect((await handOff(query)).status).toBe(200);
    const answered = telegram.callsTo("answerPreCheckoutQuery").at(-1);
    expect(answered?.ok).toBe(true);
    expect(answered?.params.pre_checkout_query_id).toBe(TelegramStandIn.queryIdOf(query));
  });

  it("refuses an invoice made for someone else, in the payer's language, and stores nothing", async () => {
    const ivan = newUser("ru");
    await say(telegram, ivan, "/start");
    // An invoice of Anna's, forwarded to Ivan: forwarded invoices keep their Pay button.
    const invoice = await earlierInvoice(ivan, `pkg:100:50:${user.id}`, 50);
    const outcome = await pay(ivan, invoice);
    expect(outcome).toEqual({ paid: false, reason: "refused", errorMessage: ru.payments.refusedNotYours });
    expect(await entriesOf(ivan.id)).toEqual([]);
    expect(await entriesOf(user.id)).toEqual([]);
  });

  it("refuses a package no longer sold at that price, and stores nothing", async () => {
    await say(telegram, user, "/start");
    const invoice = await earlierInvoice(user, `pkg:100:40:${user.id}`, 40);
    const outcome = await pay(user, invoice);
    expect(outcome).toEqual({ paid: false, reason: "refused", errorMessage: en.payments.refusedStale });
    expect(await entriesOf(user.id)).toEqual([]);
    expect(await balanceOf(user.id)).toBe(0);
  });

  it("a stale package button says so and shows the current packages", async () => {
    await say(telegram, user, "/buy");
    const screen = telegram.lastBotMessage(user.id);
    await send(telegram.callbackUpdate(user, screen.message_id, "bp:100:40"));
    expect(telegram.callsTo("answerCallbackQuery").at(-1)?.params.text).toBe(en.payments.packageGone);
    expect(telegram.callsTo("sendInvoice")).toEqual([]);
    expect(lastText()).toContain("Buy credits");
  });

  it("a pre-checkout answered after Telegram's 10 s fails the payment and leaves nothing behind", async () => {
    const outcome = await pay(user, await invoiceFor(user, /^100 credits/), 11_000);
    expect(telegram.callsTo("answerPreCheckoutQuery").at(-1)?.description).toBe(
      "Bad Request: query is too old and response timeout expired or query ID is invalid",
    );
    expect(outcome).toEqual({ paid: false, reason: "timeout" });
    expect(await entriesOf(user.id)).toEqual([]);
    expect(await balanceOf(user.id)).toBe(0);
  });
});

describe("the stand-in's Stars rules", () => {
  const invoice = (params: Record<string, unknown>) =>
    telegram.handle(
      new Request(`https://api.telegram.org/bot${BOT_TOKEN}/sendInvoice`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          chat_id: user.id,
          title: "100 credits",
          description: "Credits",
          payload: "pkg:100:50:1",
          currency: "XTR",
          prices: [{ label: "100 credits", amount: 50 }],
          ...params,
        }),
      }),
    );

  it("refuses an invoice in Stars with a provider token, two prices or tips, as Telegram does", async () => {
    await say(telegram, user, "/start");
    expect((await invoice({})).status).toBe(200);
    for (const wrong of [
      { provider_token: "284685063:TEST:abc" },
      {
        prices: [
          { label: "a", amount: 25 },
          { label: "b", amount: 25 },
        ],
      },
      { max_tip_amount: 10 },
    ]) {
      const response = await invoice(wrong);
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        ok: false,
        error_code: 400,
        description: "Bad Request: STARS_INVOICE_INVALID",
      });
    }
    const noProvider = await invoice({ currency: "USD" });
    expect(((await noProvider.json()) as { description: string }).description).toBe(
      "Bad Request: PAYMENT_PROVIDER_INVALID",
    );
  });
});

describe("/refund for admins", () => {
  beforeEach(async () => {
    await say(telegram, ADMIN, "/start");
  });

  it("returns the Stars, takes the credits off and tells the user in their language", async () => {
    user = newUser("ru");
    const chargeId = await bought();
    await say(telegram, ADMIN, `/refund ${chargeId}`);
    expect(telegram.callsTo("refundStarPayment").map((c) => [c.params, c.ok])).toEqual([
      [{ user_id: user.id, telegram_payment_charge_id: chargeId }, true],
    ]);
    expect(lastHtml(ADMIN)).toBe(en.payments.refundDone(50, 100, user.id, 0));
    expect(lastHtml(user)).toBe(ru.payments.refundedToUser(100, 50, 0));
    expect(await balanceOf(user.id)).toBe(0);
    expect((await entriesOf(user.id)).map((e) => [e.kind, e.credits, e.stars])).toEqual([
      ["purchase", 100, 50],
      ["refund", 100, 50],
    ]);

    // Again: answered from the ledger, without asking Telegram.
    await say(telegram, ADMIN, `/refund ${chargeId}`);
    expect(lastHtml(ADMIN)).toBe(en.payments.refundAlready(chargeId));
    expect(telegram.callsTo("refundStarPayment")).toHaveLength(1);
    expect(await balanceOf(user.id)).toBe(0);
  });

  it("refuses a refund whose credits are partly spent, without asking Telegram", async () => {
    const chargeId = await bought();
    await createRepository(env).applyLedgerEntry({
      userId: user.id,
      kind: "reserve",
      credits: 30,
      key: `training:${crypto.randomUUID()}:reserve`,
    });
    await say(telegram, ADMIN, `/refund ${chargeId}`);
    expect(lastHtml(ADMIN)).toBe(en.payments.refundSpent(100, 70));
    expect(telegram.callsTo("refundStarPayment")).toEqual([]);
    expect(await balanceOf(user.id)).toBe(70);
    expect(telegram.charges.get(chargeId)?.refunded).toBe(false);
  });

  it("says so for a charge id no purchase has, and for no charge id at all", async () => {
    await say(telegram, ADMIN, "/refund stxNoSuchCharge");
    expect(lastHtml(ADMIN)).toBe(en.payments.refundUnknown("stxNoSuchCharge"));
    await say(telegram, ADMIN, "/refund");
    expect(lastHtml(ADMIN)).toBe(en.payments.refundUsage);
    expect(telegram.callsTo("refundStarPayment")).toEqual([]);
  });

  it("takes the credits off when Telegram answers CHARGE_ALREADY_REFUNDED: the Stars are back already", async () => {
    const chargeId = await bought();
    const charge = telegram.charges.get(chargeId);
    if (charge) charge.refunded = true; // refunded outside the bot
    await say(telegram, ADMIN, `/refund ${chargeId}`);
    expect(telegram.callsTo("refundStarPayment").at(-1)?.description).toBe("Bad Request: CHARGE_ALREADY_REFUNDED");
    expect(lastHtml(ADMIN)).toContain(en.payments.refundAlreadyAtTelegram);
    expect(await balanceOf(user.id)).toBe(0);
  });

  it("puts the credits back when Telegram refuses the refund", async () => {
    const chargeId = await bought();
    telegram.failNext("refundStarPayment", 400, "Bad Request: CHARGE_ID_INVALID");
    await say(telegram, ADMIN, `/refund ${chargeId}`);
    expect(lastHtml(ADMIN)).toBe(en.payments.refundRefused("Bad Request: CHARGE_ID_INVALID"));
    expect(await balanceOf(user.id)).toBe(100);
    await say(telegram, ADMIN, `/refund ${chargeId}`);
    expect(lastHtml(ADMIN)).toBe(en.payments.refundRefusedBefore(chargeId));
    expect(await balanceOf(user.id)).toBe(100);
  });

  it("keeps the credits off while Telegram's answer is lost, and settles on the next /refund", async () => {
    const chargeId = await bought();
    breakNext((request) => request.url.endsWith("/refundStarPayment"));
    await say(telegram, ADMIN, `/refund ${chargeId}`);
    expect(lastHtml(ADMIN)).toBe(en.payments.refundUnsettled);
    expect(await balanceOf(user.id)).toBe(0);
    await say(telegram, ADMIN, `/refund ${chargeId}`);
    expect(lastHtml(ADMIN)).toBe(en.payments.refundDone(50, 100, user.id, 0));
    expect(telegram.charges.get(chargeId)?.refunded).toBe(true);
    expect(await balanceOf(user.id)).toBe(0);
  });

  it("is an unknown command for anyone else", async () => {
    const chargeId = await bought();
    await say(telegram, user, `/refund ${chargeId}`);
    expect(lastHtml(user)).toBe(en.errors.unknownInput);
    expect(telegram.callsTo("refundStarPayment")).toEqual([]);
  });
});

describe("/terms and /paysupport", () => {
  it("say what is sold, for what, the refund rule and how to reach support, in both languages", async () => {
    await say(telegram, user, "/terms");
    for (const part of ["Terms of sale", "100 credits for 50 ⭐", "1000 credits for 420 ⭐", "unspent", "/paysupport"])
      expect(lastText()).toContain(part);
    await say(telegram, user, "/paysupport");
    expect(lastText()).toContain("administrators");
    const ivan = newUser("ru");
    await say(telegram, ivan, "/terms");
    expect(lastText(ivan)).toContain("Условия продажи");
    expect(lastText(ivan)).toContain("1000 кредитов за 420 ⭐");
    await say(telegram, ivan, "/paysupport");
    expect(lastText(ivan)).toContain("Помощь с оплатой");
  });
});

describe("Stars in /metrics and /stats", () => {
  const starsMetrics = async () => {
    const response = await exports.default.fetch(
      new Request("https://bot.example/metrics", { headers: { authorization: "Bearer test-metrics-token" } }),
    );
    const text = await response.text();
    const value = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, "m").exec(text)?.[1]);
    return {
      received: value("avatar_studio_stars_received_total"),
      refunds: value("avatar_studio_stars_refunds_total"),
      refunded: value("avatar_studio_stars_refunded_total"),
    };
  };

  it("count the Stars received and the refunds given, not a refund Telegram refused", async () => {
    await say(telegram, ADMIN, "/start");
    const before = await starsMetrics();
    const refunded = await bought();
    const refused = await bought(newUser());
    await bought(newUser());
    await say(telegram, ADMIN, `/refund ${refunded}`);
    telegram.failNext("refundStarPayment", 400, "Bad Request: CHARGE_ID_INVALID");
    await say(telegram, ADMIN, `/refund ${refused}`);
    expect(await starsMetrics()).toEqual({
      received: before.received + 150,
      refunds: before.refunds + 1,
      refunded: before.refunded + 50,
    });
    await say(telegram, ADMIN, "/stats");
    expect(lastText(ADMIN)).toMatch(/Stars: \d+ ⭐ received; refunds given: \d+, \d+ ⭐ back/);
  });
});
