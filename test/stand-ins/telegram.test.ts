import { describe, expect, it } from "vitest";
import { TelegramStandIn } from "./telegram";

const TOKEN = "1:abc";
const standIn = () => {
  const telegram = new TelegramStandIn(TOKEN);
  telegram.textUpdate({ id: 5, first_name: "U" }, "hi");
  return telegram;
};
const call = async (telegram: TelegramStandIn, method: string, params: unknown, token = TOKEN) => {
  const response = await telegram.handle(
    new Request(`https://api.telegram.org/bot${token}/${method}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(params),
    }),
  );
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

describe("the Telegram stand-in refuses what Telegram refuses", () => {
  it("an unknown method: 404 Not Found", async () => {
    expect(await call(standIn(), "sendMesage", { chat_id: 5, text: "x" })).toEqual({
      status: 404,
      body: { ok: false, error_code: 404, description: "Not Found" },
    });
  });

  it("a wrong token: 401 Unauthorized", async () => {
    expect((await call(standIn(), "getMe", {}, "2:zzz")).body).toEqual({
      ok: false,
      error_code: 401,
      description: "Unauthorized",
    });
  });

  it("a missing required parameter", async () => {
    const { status, body } = await call(standIn(), "sendMessage", { chat_id: 5 });
    expect(status).toBe(400);
    expect(body.description).toBe("Bad Request: message text is empty");
  });

  it("a parameter of the wrong type", async () => {
    const { body } = await call(standIn(), "sendMessage", { chat_id: 5, text: "x", disable_notification: "yes" });
    expect(body.description).toContain("disable_notification must be a Boolean");
  });

  it("callback_data over 64 bytes", async () => {
    const keyboard = { inline_keyboard: [[{ text: "b", callback_data: "я".repeat(33) }]] };
    const { body } = await call(standIn(), "sendMessage", { chat_id: 5, text: "x", reply_markup: keyboard });
    expect(body.description).toBe("Bad Request: BUTTON_DATA_INVALID");
  });

  it("a button with a field InlineKeyboardButton does not have", async () => {
    const keyboard = { inline_keyboard: [[{ text: "b", data: "x" }]] };
    const { body } = await call(standIn(), "sendMessage", { chat_id: 5, text: "x", reply_markup: keyboard });
    expect(body.ok).toBe(false);
  });

  it("text over 4096 characters after entity parsing, but not markup that parses shorter", async () => {
    const long = await call(standIn(), "sendMessage", { chat_id: 5, text: "x".repeat(4097) });
    expect(long.body.description).toBe("Bad Request: message is too long");
    const fits = await call(standIn(), "sendMessage", {
      chat_id: 5,
      parse_mode: "HTML",
      text: `<b>${"x".repeat(4096)}</b>`,
    });
    expect(fits.body.ok).toBe(true);
  });

  it("unescaped HTML", async () => {
    const { body } = await call(standIn(), "sendMessage", { chat_id: 5, parse_mode: "HTML", text: "a < b" });
    expect(String(body.description)).toMatch(/^Bad Request: can't parse entities: /);
  });

  it("an edit that changes nothing", async () => {
    const telegram = standIn();
    const sent = await call(telegram, "sendMessage", { chat_id: 5, text: "same" });
    const id = (sent.body.result as { message_id: number }).message_id;
    const { body } = await call(telegram, "editMessageText", { chat_id: 5, message_id: id, text: "same" });
    expect(String(body.description)).toMatch(/^Bad Request: message is not modified/);
  });

  it("a callback query answered twice", async () => {
    const telegram = standIn();
    const sent = await call(telegram, "sendMessage", { chat_id: 5, text: "m" });
    const id = (sent.body.result as { message_id: number }).message_id;
    const update = telegram.callbackUpdate({ id: 5, first_name: "U" }, id, "x") as { callback_query: { id: string } };
    expect((await call(telegram, "answerCallbackQuery", { callback_query_id: update.callback_query.id })).body.ok).toBe(
      true,
    );
    const again = await call(telegram, "answerCallbackQuery", { callback_query_id: update.callback_query.id });
    expect(again.body.description).toContain("query is too old");
  });
});

describe("the Telegram stand-in tells a chat window what changed", () => {
  it("pushes new and edited messages with their HTML, deletions, chat actions, answers and refusals", async () => {
    const telegram = standIn();
    const events: Array<Record<string, unknown>> = [];
    telegram.subscribe((event) => events.push(structuredClone(event) as Record<string, unknown>));
    const keyboard = { inline_keyboard: [[{ text: "Go", callback_data: "go" }]] };
    const sent = await call(telegram, "sendMessage", {
      chat_id: 5,
      text: "<b>Hi</b> &amp; bye",
      parse_mode: "HTML",
      reply_markup: keyboard,
    });
    const id = (sent.body.result as { message_id: number }).message_id;
    await call(telegram, "editMessageText", { chat_id: 5, message_id: id, text: "<i>50%</i>", parse_mode: "HTML" });
    await call(telegram, "sendChatAction", { chat_id: 5, action: "upload_photo" });
    const tap = telegram.callbackUpdate({ id: 5, first_name: "U" }, id, "go") as {
      callback_query: { id: string };
    };
    await call(telegram, "answerCallbackQuery", { callback_query_id: tap.callback_query.id, text: "Done" });
    await call(telegram, "deleteMessage", { chat_id: 5, message_id: id });
    await call(telegram, "sendMessage", { chat_id: 5, text: "" });

    expect(events).toEqual([
      {
        type: "message",
        message: expect.objectContaining({ message_id: id, text: "Hi & bye", html: "<b>Hi</b> &amp; bye" }),
      },
      {
        type: "message",
        message: expect.objectContaining({ message_id: id, text: "50%", html: "<i>50%</i>", edited: true }),
      },
      { type: "action", chat_id: 5, action: "upload_photo" },
      { type: "answer", chat_id: 5, text: "Done", show_alert: false },
      { type: "deleted", chat_id: 5, message_id: id },
      {
        type: "problem",
        chat_id: 5,
        text: "Telegram would answer sendMessage with 400 Bad Request: message text is empty",
      },
    ]);
  });

  it("keeps the pictures the bot uploads, so they can be shown, and groups an album", async () => {
    const telegram = standIn();
    const form = new FormData();
    form.set("chat_id", "5");
    form.set(
      "media",
      JSON.stringify([
        { type: "photo", media: "attach://a" },
        { type: "photo", media: "attach://b" },
      ]),
    );
    form.set("a", new Blob([new Uint8Array([1, 2, 3])]), "a.jpg");
    form.set("b", new Blob([new Uint8Array([4, 5])]), "b.jpg");
    const response = await telegram.handle(
      new Request(`https://api.telegram.org/bot${TOKEN}/sendMediaGroup`, { method: "POST", body: form }),
    );
    const album = (await response.json()) as {
      result: Array<{ media_group_id: string; photo: Array<{ file_id: string }> }>;
    };
    expect(album.result).toHaveLength(2);
    expect(new Set(album.result.map((m) => m.media_group_id)).size).toBe(1);
    const bytes = album.result.map((m) => [...(telegram.files.get(m.photo[0]?.file_id ?? "")?.bytes ?? [])]);
    expect(bytes).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
  });
});

describe("the Telegram stand-in catches button labels a 360 px phone would cut", () => {
  it("flags the labels users saw cut, and passes short ones", async () => {
    const { CUT_LABELS } = await import("./button-width");
    const telegram = standIn();
    const pair = (a: string, b: string) => [
      [
        { text: a, callback_data: "a" },
        { text: b, callback_data: "b" },
      ],
    ];
    for (const [a, b] of [
      ["📸 Студийный портрет", "💼 Деловой портрет"],
      ["🖼 Масляная живопись", "🗡 Герой фэнтези"],
      ["🔁 Повторить", "🖼 Мои изображения"],
      ["🔁 Ещё такие", "🎨 Другой стиль"],
    ] as const) {
      expect(
        (await call(telegram, "sendMessage", { chat_id: 5, text: "x", reply_markup: { inline_keyboard: pair(a, b) } }))
          .status,
      ).toBe(200);
    }
    const cut = CUT_LABELS.splice(0).map((line) => /"([^"]+)"/.exec(line)?.[1]);
    expect(cut).toEqual([
      "📸 Студийный портрет",
      "💼 Деловой портрет",
      "🖼 Масляная живопись",
      "🗡 Герой фэнтези",
      "🖼 Мои изображения",
      "🎨 Другой стиль",
    ]);
    await call(telegram, "sendMessage", {
      chat_id: 5,
      text: "x",
      reply_markup: { inline_keyboard: [[{ text: "🖼 Мои изображения", callback_data: "a" }], ...pair("◀️", "▶️")] },
    });
    expect(CUT_LABELS.splice(0)).toEqual([]);
  });
});

describe("the Telegram stand-in's payments in Stars", () => {
  const payer = { id: 5, first_name: "U" };
  const invoice = {
    chat_id: 5,
    title: "100 credits",
    description: "Credits",
    payload: "pkg:100:50:5",
    currency: "XTR",
    prices: [{ label: "100 credits", amount: 50 }],
  };
  const invoiced = async () => {
    const telegram = standIn();
    const sent = await call(telegram, "sendInvoice", invoice);
    const messageId = Number((sent.body.result as { message_id: number }).message_id);
    return { telegram, messageId };
  };

  it("sends the bot a pre_checkout_query shaped as Telegram's, with the invoice's payload and amount", async () => {
    const { telegram, messageId } = await invoiced();
    const update = telegram.preCheckoutUpdate(payer, messageId);
    expect(update.pre_checkout_query).toEqual({
      id: expect.any(String),
      from: { ...payer, is_bot: false },
      currency: "XTR",
      total_amount: 50,
      invoice_payload: "pkg:100:50:5",
    });
  });

  it("charges only after an ok answer within 10 s, and posts successful_payment into the chat", async () => {
    const { telegram, messageId } = await invoiced();
    const update = telegram.preCheckoutUpdate(payer, messageId);
    const id = TelegramStandIn.queryIdOf(update);
    expect((await call(telegram, "answerPreCheckoutQuery", { pre_checkout_query_id: id, ok: true })).status).toBe(200);
    const outcome = telegram.checkout(id);
    if (!outcome.paid) throw new Error("not paid");
    expect((outcome.update.message as Record<string, unknown>).successful_payment).toEqual({
      currency: "XTR",
      total_amount: 50,
      invoice_payload: "pkg:100:50:5",
      telegram_payment_charge_id: outcome.chargeId,
      provider_payment_charge_id: "",
    });
    // A query is answered once.
    expect((await call(telegram, "answerPreCheckoutQuery", { pre_checkout_query_id: id, ok: true })).status).toBe(400);
  });

  it("cancels a payment whose query was not answered, or answered too late", async () => {
    const { telegram, messageId } = await invoiced();
    const unanswered = TelegramStandIn.queryIdOf(telegram.preCheckoutUpdate(payer, messageId));
    expect(telegram.checkout(unanswered)).toEqual({ paid: false, reason: "timeout" });
    const late = TelegramStandIn.queryIdOf(telegram.preCheckoutUpdate(payer, messageId, 10_500));
    expect(await call(telegram, "answerPreCheckoutQuery", { pre_checkout_query_id: late, ok: true })).toEqual({
      status: 400,
      body: {
        ok: false,
        error_code: 400,
        description: "Bad Request: query is too old and response timeout expired or query ID is invalid",
      },
    });
    expect(telegram.checkout(late)).toEqual({ paid: false, reason: "timeout" });
    expect(telegram.charges.size).toBe(0);
  });

  it("refuses ok: false without an error message", async () => {
    const { telegram, messageId } = await invoiced();
    const id = TelegramStandIn.queryIdOf(telegram.preCheckoutUpdate(payer, messageId));
    const refused = await call(telegram, "answerPreCheckoutQuery", { pre_checkout_query_id: id, ok: false });
    expect(refused.body.description).toBe("Bad Request: ERROR_TEXT_EMPTY");
  });

  it("refunds a charge once, and refuses an unknown one or another user's", async () => {
    const { telegram, messageId } = await invoiced();
    const id = TelegramStandIn.queryIdOf(telegram.preCheckoutUpdate(payer, messageId));
    await call(telegram, "answerPreCheckoutQuery", { pre_checkout_query_id: id, ok: true });
    const outcome = telegram.checkout(id);
    if (!outcome.paid) throw new Error("not paid");
    const refund = (params: Record<string, unknown>) => call(telegram, "refundStarPayment", params);
    expect((await refund({ user_id: 5, telegram_payment_charge_id: "stxNope" })).body.description).toBe(
      "Bad Request: CHARGE_ID_INVALID",
    );
    expect((await refund({ user_id: 5, telegram_payment_charge_id: outcome.chargeId })).body).toEqual({
      ok: true,
      result: true,
    });
    expect((await refund({ user_id: 5, telegram_payment_charge_id: outcome.chargeId })).body).toEqual({
      ok: false,
      error_code: 400,
      description: "Bad Request: CHARGE_ALREADY_REFUNDED",
    });
  });
});
