/**
 * A stand-in for the Telegram Bot API that answers as Telegram does: the same envelopes,
 * status codes and error descriptions. Every call is checked against the Bot API spec
 * and recorded. Platform-neutral (Request in, Response out), so it serves workerd tests
 * through a fetch interceptor and can run behind any HTTP server.
 */
import { imageSize } from "image-size";
import { BotApiViolation, checkCall, parseHtml } from "./bot-api-spec";
import { CUT_LABELS, cutLabels } from "./button-width";

export interface RecordedCall {
  method: string;
  params: Record<string, unknown>;
  ok: boolean;
  description?: string;
  /** When the call arrived (Date.now()), so a test can say how soon the user heard back. */
  at?: number;
}

export interface StoredFile {
  file_id: string;
  file_unique_id: string;
  file_size: number;
  file_path: string;
  bytes: Uint8Array;
}

export interface StoredMessage {
  message_id: number;
  chat_id: number;
  /** What the user sees, formatting removed; `html` keeps the HTML source when parse_mode was HTML. */
  text?: string;
  html?: string;
  caption?: string;
  caption_html?: string;
  photo?: Array<{ file_id: string; file_unique_id: string; width: number; height: number; file_size: number }>;
  document?: { file_id: string; file_unique_id: string; file_name: string; mime_type: string; file_size: number };
  media_group_id?: string;
  /** An invoice (sendInvoice), as Message.invoice shows it. */
  invoice?: { title: string; description: string; start_parameter: string; currency: string; total_amount: number };
  /** A payment's service message (Message.successful_payment). */
  successful_payment?: SuccessfulPayment;
  reply_markup?: unknown;
  date: number;
  edited?: boolean;
  from_bot: boolean;
}

/** What a chat window would show change, pushed to subscribers as it happens. */
export type StandInEvent =
  | { type: "message"; message: StoredMessage }
  | { type: "deleted"; chat_id: number; message_id: number }
  | { type: "action"; chat_id: number; action: string }
  | { type: "answer"; chat_id: number; text: string; show_alert: boolean }
  | { type: "problem"; chat_id: number | null; text: string };

export interface StandInUser {
  id: number;
  first_name: string;
  last_name?: string;
  username?: string;
  language_code?: string;
}

export interface SuccessfulPayment {
  currency: string;
  total_amount: number;
  invoice_payload: string;
  telegram_payment_charge_id: string;
  provider_payment_charge_id: string;
}

/** Telegram cancels a payment whose pre-checkout query is not answered within this long. */
export const PRE_CHECKOUT_TIMEOUT_MS = 10_000;

/** A pre-checkout query Telegram sent, and what the bot answered. */
interface PreCheckout {
  user: StandInUser;
  invoiceMessageId: number;
  payload: string;
  amount: number;
  sentAt: number;
  answer?: { ok: boolean; error_message?: string; at: number };
}

/** How a payment the user confirmed ended, as the payment sheet tells them. */
export type CheckoutOutcome =
  | { paid: true; update: Record<string, unknown>; chargeId: string }
  | { paid: false; reason: "refused"; errorMessage: string }
  | { paid: false; reason: "timeout" };

interface Charge {
  userId: number;
  amount: number;
  payload: string;
  refunded: boolean;
}

interface InjectedFailure {
  method: string;
  status: number;
  description: string;
  parameters?: Record<string, unknown>;
}

export const STAND_IN_BOT = {
  id: 7000000001,
  is_bot: true as const,
  first_name: "Avatar Studio",
  username: "avatar_studio_test_bot",
  can_join_groups: false,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
};

// Shared by every stand-in in the isolate: Telegram's update ids only grow, and D1 outlives one test.
// Update ids start at a random point per module instance: test files that share one database (the
// Postgres project) must never see each other's update ids as already processed.
let lastUpdateId = 100_000 + Math.floor(Math.random() * 1_000_000) * 1000;

export class TelegramStandIn {
  readonly calls: RecordedCall[] = [];
  readonly messages = new Map<string, StoredMessage>();
  webhook: Record<string, unknown> = { url: "", has_custom_certificate: false, pending_update_count: 0 };
  readonly files = new Map<string, StoredFile>();
  /** Updates waiting for getUpdates (long polling), in order. */
  readonly pending: Array<Record<string, unknown>> = [];
  /** The bot's profile texts by language code ("" is the default for every other language), as set. */
  readonly descriptions = new Map<string, { description: string; short_description: string }>();
  #nextFile = 1;
  /** Unanswered callback queries, by id, with the chat they came from. */
  readonly #openQueries = new Map<string, number>();
  readonly #listeners = new Set<(event: StandInEvent) => void>();
  readonly #failures: InjectedFailure[] = [];
  readonly #users = new Map<number, StandInUser>();
  /** Invoice payloads by chat and message, as only Telegram and the bot know them. */
  readonly #invoicePayloads = new Map<string, string>();
  readonly #preCheckouts = new Map<string, PreCheckout>();
  /** Stars payments by telegram_payment_charge_id. */
  readonly charges = new Map<string, Charge>();
  #nextMessageId = 1;
  #nextQueryId = 1;
  #nextMediaGroup = 13_000_000_000_000;

  constructor(
    readonly token: string,
    readonly apiRoot = "https://api.telegram.org",
  ) {}

  /** True for requests this stand-in serves. */
  serves(url: string): boolean {
    return url.startsWith(`${this.apiRoot}/bot`) || url.startsWith(`${this.apiRoot}/file/bot`);
  }

  /** The next call to `method` fails with this Telegram error. */
  failNext(method: string, status: number, description: string, parameters?: Record<string, unknown>): void {
    this.#failures.push({ method, status, description, ...(parameters ? { parameters } : {}) });
  }

  /** Calls `listener` with every change a chat window would show; returns the unsubscribe. */
  subscribe(listener: (event: StandInEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(event: StandInEvent): void {
    for (const listener of this.#listeners) listener(event);
  }

  callsTo(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Messages in a chat, oldest first, as the user sees them now (edits applied). */
  chat(chatId: number): StoredMessage[] {
    return [...this.messages.values()].filter((m) => m.chat_id === chatId).sort((a, b) => a.message_id - b.message_id);
  }

  lastBotMessage(chatId: number): StoredMessage {
    const message = this.chat(chatId)
      .filter((m) => m.from_bot)
      .at(-1);
    if (!message) throw new Error(`the bot has sent nothing to chat ${chatId}`);
    return message;
  }

  // ---- Updates, as Telegram would deliver them to the webhook ----

  nextUpdateId(): number {
    lastUpdateId += 1;
    return lastUpdateId;
  }

  textUpdate(user: StandInUser, text: string): Record<string, unknown> {
    const entities = text.startsWith("/")
      ? [{ type: "bot_command", offset: 0, length: text.split(/\s/)[0]?.length ?? text.length }]
      : undefined;
    return this.#incoming(user, { text }, { text, ...(entities ? { entities } : {}) });
  }

  /** Keeps bytes as Telegram keeps an uploaded file; `declaredSize` lets a test claim another size. */
  registerFile(bytes: Uint8Array, declaredSize = bytes.length): StoredFile {
    const n = this.#nextFile++;
    const file: StoredFile = {
      file_id: `AgACAgIAAxkBAAI${n}${"x".repeat(20)}`,
      file_unique_id: `AQAD${n}`,
      file_size: declaredSize,
      file_path: `photos/file_${n}.bin`,
      bytes,
    };
    this.files.set(file.file_id, file);
    return file;
  }

  /** A compressed photo: `sizes` are Telegram's pre-scaled variants, smallest first. */
  photoUpdate(
    user: StandInUser,
    sizes: Array<{ bytes: Uint8Array; width: number; height: number; declaredSize?: number }>,
    mediaGroupId?: string,
  ): Record<string, unknown> {
    this.#users.set(user.id, user);
    const photo = sizes.map((size) => {
      const file = this.registerFile(size.bytes, size.declaredSize);
      return {
        file_id: file.file_id,
        file_unique_id: file.file_unique_id,
        width: size.width,
        height: size.height,
        file_size: file.file_size,
      };
    });
    const group = mediaGroupId ? { media_group_id: mediaGroupId } : {};
    return this.#incoming(user, { photo, ...group }, { photo, ...group });
  }

  /** An image (or any file) sent as a document, as the user picked it. */
  documentUpdate(
    user: StandInUser,
    bytes: Uint8Array,
    fileName: string,
    options: { mimeType?: string; declaredSize?: number; mediaGroupId?: string } = {},
  ): Record<string, unknown> {
    const file = this.registerFile(bytes, options.declaredSize);
    const document = {
      file_id: file.file_id,
      file_unique_id: file.file_unique_id,
      file_name: fileName,
      mime_type: options.mimeType ?? "image/jpeg",
      file_size: file.file_size,
    };
    return this.#incoming(
      user,
      { document, ...(options.mediaGroupId ? { media_group_id: options.mediaGroupId } : {}) },
      { document, ...(options.mediaGroupId ? { media_group_id: options.mediaGroupId } : {}) },
    );
  }

  /** A sticker, as a client sends one from the sticker panel. */
  stickerUpdate(user: StandInUser, emoji = "👍"): Record<string, unknown> {
    const file = this.registerFile(new Uint8Array(16));
    const sticker = {
      file_id: file.file_id,
      file_unique_id: file.file_unique_id,
      type: "regular",
      width: 512,
      height: 512,
      is_animated: false,
      is_video: false,
      emoji,
      file_size: file.file_size,
    };
    return this.#incoming(user, {}, { sticker });
  }

  /** A voice message of `seconds`. */
  voiceUpdate(user: StandInUser, seconds = 3): Record<string, unknown> {
    const file = this.registerFile(new Uint8Array(32));
    const voice = {
      file_id: file.file_id,
      file_unique_id: file.file_unique_id,
      duration: seconds,
      mime_type: "audio/ogg",
    };
    return this.#incoming(user, {}, { voice });
  }

  /** A message from the user: stored in the chat as sent, delivered as Telegram's update JSON. */
  #incoming(
    user: StandInUser,
    stored: Pick<StoredMessage, "text" | "photo" | "document" | "media_group_id" | "successful_payment">,
    fields: Record<string, unknown>,
  ): Record<string, unknown> {
    this.#users.set(user.id, user);
    const message = this.#store({ chat_id: user.id, ...stored, from_bot: false });
    return {
      update_id: this.nextUpdateId(),
      message: {
        message_id: message.message_id,
        from: { ...user, is_bot: false },
        chat: privateChat(user),
        date: message.date,
        ...fields,
      },
    };
  }

  /** A tap on an inline button of a message the bot sent; the query stays answerable once. */
  callbackUpdate(user: StandInUser, messageId: number, data: string): Record<string, unknown> {
    this.#users.set(user.id, user);
    const message = this.messages.get(key(user.id, messageId));
    if (!message) throw new Error(`no message ${messageId} in chat ${user.id}`);
    const id = `${user.id}${String(this.#nextQueryId++).padStart(6, "0")}`;
    this.#openQueries.set(id, user.id);
    return {
      update_id: this.nextUpdateId(),
      callback_query: {
        id,
        from: { ...user, is_bot: false },
        chat_instance: `ci${user.id}`,
        data,
        message: this.#toMessage(message),
      },
    };
  }

  /** Finds the button with this label on a message; throws when there is none. */
  buttonData(message: StoredMessage, label: string | RegExp): string {
    const rows = (message.reply_markup as { inline_keyboard?: Array<Array<{ text: string; callback_data?: string }>> })
      ?.inline_keyboard;
    for (const row of rows ?? []) {
      for (const button of row) {
        const matches = typeof label === "string" ? button.text === label : label.test(button.text);
        if (matches && button.callback_data) return button.callback_data;
      }
    }
    throw new Error(`no button "${label}" on message ${message.message_id}: ${JSON.stringify(rows)}`);
  }

  /**
   * The user taps Pay on an invoice: Telegram asks the bot with a pre_checkout_query update.
   * `sentAgoMs` backdates the query, so a test can play an answer that comes too late.
   */
  preCheckoutUpdate(user: StandInUser, invoiceMessageId: number, sentAgoMs = 0): Record<string, unknown> {
    const message = this.messages.get(key(user.id, invoiceMessageId));
    const payload = this.#invoicePayloads.get(key(user.id, invoiceMessageId));
    if (!message?.invoice || payload === undefined)
      throw new Error(`no invoice ${invoiceMessageId} in chat ${user.id}`);
    const id = `${user.id}${String(this.#nextQueryId++).padStart(8, "0")}`;
    this.#preCheckouts.set(id, {
      user,
      invoiceMessageId,
      payload,
      amount: message.invoice.total_amount,
      sentAt: Date.now() - sentAgoMs,
    });
    return {
      update_id: this.nextUpdateId(),
      pre_checkout_query: {
        id,
        from: { ...user, is_bot: false },
        currency: message.invoice.currency,
        total_amount: message.invoice.total_amount,
        invoice_payload: payload,
      },
    };
  }

  /** The id of the pre-checkout query an update carries. */
  static queryIdOf(update: Record<string, unknown>): string {
    return String((update.pre_checkout_query as { id: string }).id);
  }

  /**
   * What Telegram does once the bot has (or has not) answered the pre-checkout query: charges the
   * Stars and posts the successful_payment service message into the chat, or cancels the payment.
   * A query answered late or never is cancelled, as Telegram does after 10 s.
   */
  checkout(queryId: string): CheckoutOutcome {
    const query = this.#preCheckouts.get(queryId);
    if (!query) throw new Error(`no pre-checkout query ${queryId}`);
    this.#preCheckouts.delete(queryId);
    const answer = query.answer;
    if (!answer || answer.at - query.sentAt > PRE_CHECKOUT_TIMEOUT_MS) return { paid: false, reason: "timeout" };
    if (!answer.ok) return { paid: false, reason: "refused", errorMessage: answer.error_message ?? "" };
    const chargeId = `stxP${crypto.randomUUID().replace(/-/g, "").slice(0, 24)}`;
    this.charges.set(chargeId, {
      userId: query.user.id,
      amount: query.amount,
      payload: query.payload,
      refunded: false,
    });
    const successful_payment: SuccessfulPayment = {
      currency: "XTR",
      total_amount: query.amount,
      invoice_payload: query.payload,
      telegram_payment_charge_id: chargeId,
      // Stars go through no outside provider; Telegram sends this field empty.
      provider_payment_charge_id: "",
    };
    const update = this.#incoming(query.user, { successful_payment }, { successful_payment });
    return { paid: true, update, chargeId };
  }

  /** Waits (up to Telegram's 10 s) for the bot to answer the pre-checkout query, then checks out. */
  async checkoutWhenAnswered(queryId: string): Promise<CheckoutOutcome> {
    const query = this.#preCheckouts.get(queryId);
    for (let waited = 0; query && !query.answer && waited < PRE_CHECKOUT_TIMEOUT_MS; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return this.checkout(queryId);
  }

  // ---- The HTTP side ----

  async handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const download = /^\/file\/bot([^/]+)\/(.+)$/.exec(url.pathname);
    if (download) {
      if (download[1] !== this.token) return envelope(401, { ok: false, error_code: 401, description: "Unauthorized" });
      const file = [...this.files.values()].find((f) => f.file_path === download[2]);
      this.calls.push({ at: Date.now(), method: "download", params: { file_path: download[2] }, ok: Boolean(file) });
      if (!file) return envelope(404, { ok: false, error_code: 404, description: "Not Found" });
      return new Response(file.bytes, { headers: { "content-length": String(file.bytes.length) } });
    }
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    if (!match) return envelope(404, { ok: false, error_code: 404, description: "Not Found" });
    const [, token, method = ""] = match;
    if (token !== this.token) return envelope(401, { ok: false, error_code: 401, description: "Unauthorized" });
    const params = await readParams(request, url);
    try {
      const failure = this.#takeFailure(method);
      if (failure) throw failure;
      // Multipart uploads carry files in extra fields that parameters name as "attach://<field>".
      const attachments = new Map<string, unknown>();
      for (const [, name] of JSON.stringify(params).matchAll(/"attach:\/\/([^"]+)"/g)) {
        if (name !== undefined && name in params) {
          const value = params[name];
          attachments.set(name, value instanceof Blob ? new Uint8Array(await value.arrayBuffer()) : value);
          delete params[name];
        }
      }
      checkCall(method, params);
      this.#checkLabels(method, params);
      const result = this.#perform(method, params, attachments);
      this.calls.push({ at: Date.now(), method, params, ok: true });
      return envelope(200, { ok: true, result });
    } catch (error) {
      if (error instanceof InjectedError) {
        this.calls.push({ at: Date.now(), method, params, ok: false, description: error.description });
        return envelope(error.status, {
          ok: false,
          error_code: error.status,
          description: error.description,
          ...(error.parameters ? { parameters: error.parameters } : {}),
        });
      }
      if (!(error instanceof BotApiViolation)) throw error;
      this.calls.push({ at: Date.now(), method, params, ok: false, description: error.description });
      const chatId = Number(params.chat_id);
      this.#emit({
        type: "problem",
        chat_id: Number.isInteger(chatId) ? chatId : null,
        text: `Telegram would answer ${method} with ${error.errorCode} ${error.description}`,
      });
      return envelope(error.errorCode, { ok: false, error_code: error.errorCode, description: error.description });
    }
  }

  /** A label Telegram would cut on a 360 px phone is recorded for test/setup.ts to fail the test. */
  #checkLabels(method: string, params: Record<string, unknown>): void {
    const markup = typeof params.reply_markup === "string" ? JSON.parse(params.reply_markup) : params.reply_markup;
    for (const cut of cutLabels(markup)) {
      CUT_LABELS.push(`${method}: ${cut}`);
      const chatId = Number(params.chat_id);
      this.#emit({
        type: "problem",
        chat_id: Number.isInteger(chatId) ? chatId : null,
        text: `On a 360 px phone Telegram would cut ${cut}`,
      });
    }
  }

  #takeFailure(method: string): InjectedError | undefined {
    const index = this.#failures.findIndex((f) => f.method === method);
    if (index < 0) return undefined;
    const [failure] = this.#failures.splice(index, 1);
    return failure ? new InjectedError(failure.status, failure.description, failure.parameters) : undefined;
  }

  #perform(method: string, params: Record<string, unknown>, attachments: Map<string, unknown>): unknown {
    switch (method) {
      case "getMe":
        return STAND_IN_BOT;
      case "sendMessage": {
        const chatId = this.#chatId(params);
        const message = this.#store({
          chat_id: chatId,
          ...formatted(params.text, params.parse_mode, "text"),
          reply_markup: params.reply_markup,
          from_bot: true,
        });
        return this.#toMessage(message);
      }
      case "editMessageText": {
        const message = this.#existing(params);
        if (message.text === undefined)
          throw new BotApiViolation(400, "Bad Request: there is no text in the message to edit");
        const next = { html: undefined, ...formatted(params.text, params.parse_mode, "text") };
        if (message.text === next.text && same(message.reply_markup, params.reply_markup)) {
          throw new BotApiViolation(
            400,
            "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
          );
        }
        Object.assign(message, next, { reply_markup: params.reply_markup });
        return this.#edited(message);
      }
      case "editMessageCaption": {
        const message = this.#existing(params);
        if (!message.photo && !message.document)
          throw new BotApiViolation(400, "Bad Request: there is no caption in the message to edit");
        const next = {
          caption: undefined,
          caption_html: undefined,
          ...formatted(params.caption, params.parse_mode, "caption"),
        };
        if (message.caption === next.caption && same(message.reply_markup, params.reply_markup)) {
          throw new BotApiViolation(
            400,
            "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
          );
        }
        Object.assign(message, next, { reply_markup: params.reply_markup });
        return this.#edited(message);
      }
      case "editMessageReplyMarkup": {
        const message = this.#existing(params);
        if (same(message.reply_markup, params.reply_markup)) {
          throw new BotApiViolation(
            400,
            "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
          );
        }
        message.reply_markup = params.reply_markup;
        return this.#edited(message);
      }
      case "deleteMessage": {
        const message = this.#existing(params, "Bad Request: message to delete not found");
        this.messages.delete(key(message.chat_id, message.message_id));
        this.#emit({ type: "deleted", chat_id: message.chat_id, message_id: message.message_id });
        return true;
      }
      case "answerCallbackQuery": {
        const id = String(params.callback_query_id);
        const chatId = this.#openQueries.get(id);
        if (chatId === undefined) {
          throw new BotApiViolation(
            400,
            "Bad Request: query is too old and response timeout expired or query ID is invalid",
          );
        }
        this.#openQueries.delete(id);
        this.#emit({
          type: "answer",
          chat_id: chatId,
          text: String(params.text ?? ""),
          show_alert: params.show_alert === true,
        });
        return true;
      }
      case "sendInvoice": {
        const chatId = this.#chatId(params);
        checkStarsInvoice(params);
        const [price] = params.prices as Array<{ label: string; amount: number }>;
        const message = this.#store({
          chat_id: chatId,
          invoice: {
            title: String(params.title),
            description: String(params.description),
            start_parameter: String(params.start_parameter ?? ""),
            currency: "XTR",
            total_amount: price?.amount ?? 0,
          },
          reply_markup: params.reply_markup,
          from_bot: true,
        });
        this.#invoicePayloads.set(key(chatId, message.message_id), String(params.payload));
        return this.#toMessage(message);
      }
      case "answerPreCheckoutQuery": {
        const query = this.#preCheckouts.get(String(params.pre_checkout_query_id));
        if (!query || query.answer || Date.now() - query.sentAt > PRE_CHECKOUT_TIMEOUT_MS) {
          throw new BotApiViolation(
            400,
            "Bad Request: query is too old and response timeout expired or query ID is invalid",
          );
        }
        if (params.ok !== true && String(params.error_message ?? "").trim() === "") {
          throw new BotApiViolation(400, "Bad Request: ERROR_TEXT_EMPTY");
        }
        query.answer = {
          ok: params.ok === true,
          ...(params.ok === true ? {} : { error_message: String(params.error_message) }),
          at: Date.now(),
        };
        return true;
      }
      case "refundStarPayment": {
        const charge = this.charges.get(String(params.telegram_payment_charge_id));
        if (!this.#users.has(Number(params.user_id))) throw new BotApiViolation(400, "Bad Request: USER_ID_INVALID");
        if (!charge || charge.userId !== Number(params.user_id)) {
          throw new BotApiViolation(400, "Bad Request: CHARGE_ID_INVALID");
        }
        if (charge.refunded) throw new BotApiViolation(400, "Bad Request: CHARGE_ALREADY_REFUNDED");
        charge.refunded = true;
        return true;
      }
      case "getUpdates": {
        if (typeof this.webhook.url === "string" && this.webhook.url !== "") {
          throw new BotApiViolation(
            409,
            "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
          );
        }
        const offset = Number(params.offset ?? 0);
        while (this.pending.length > 0 && Number(this.pending[0]?.update_id) < offset) this.pending.shift();
        return this.pending.slice(0, Number(params.limit ?? 100));
      }
      case "getFile": {
        const file = this.files.get(String(params.file_id));
        if (!file) throw new BotApiViolation(400, "Bad Request: invalid file_id");
        if (file.file_size > 20 * 1000 * 1000) throw new BotApiViolation(400, "Bad Request: file is too big");
        return {
          file_id: file.file_id,
          file_unique_id: file.file_unique_id,
          file_size: file.file_size,
          file_path: file.file_path,
        };
      }
      case "sendPhoto": {
        const chatId = this.#chatId(params);
        const message = this.#store({
          chat_id: chatId,
          photo: this.#photoFrom(params.photo, attachments),
          ...formatted(params.caption, params.parse_mode, "caption"),
          reply_markup: params.reply_markup,
          from_bot: true,
        });
        return this.#toMessage(message);
      }
      case "sendMediaGroup": {
        const chatId = this.#chatId(params);
        const media = params.media as Array<{ type: string; media: string; caption?: string; parse_mode?: string }>;
        if (media.length < 2 || media.length > 10) {
          throw new BotApiViolation(400, "Bad Request: wrong number of media in the album");
        }
        const group = String(this.#nextMediaGroup++);
        return media.map((item) => {
          if (item.caption !== undefined && [...item.caption].length > 1024) {
            throw new BotApiViolation(400, "Bad Request: message caption is too long");
          }
          const message = this.#store({
            chat_id: chatId,
            photo: this.#photoFrom(item.media, attachments),
            ...formatted(item.caption, item.parse_mode, "caption"),
            media_group_id: group,
            from_bot: true,
          });
          return this.#toMessage(message);
        });
      }
      case "editMessageMedia": {
        const message = this.#existing(params);
        const media = params.media as { type: string; media: string; caption?: string; parse_mode?: string };
        if (!message.photo) throw new BotApiViolation(400, "Bad Request: there is no media in the message to edit");
        message.photo = this.#photoFrom(media.media, attachments);
        message.caption = undefined;
        message.caption_html = undefined;
        Object.assign(message, formatted(media.caption, media.parse_mode, "caption"), {
          reply_markup: params.reply_markup,
        });
        return this.#edited(message);
      }
      case "setWebhook":
        this.webhook = {
          url: String(params.url),
          has_custom_certificate: false,
          pending_update_count: 0,
          ...(params.allowed_updates ? { allowed_updates: params.allowed_updates } : {}),
          ...(params.max_connections ? { max_connections: params.max_connections } : {}),
        };
        return true;
      case "deleteWebhook":
        this.webhook = { url: "", has_custom_certificate: false, pending_update_count: 0 };
        return true;
      case "getWebhookInfo":
        return this.webhook;
      case "sendChatAction":
        this.#emit({ type: "action", chat_id: this.#chatId(params), action: String(params.action) });
        return true;
      case "setMyCommands":
        return true;
      case "setMyDescription":
      case "setMyShortDescription": {
        const field = method === "setMyDescription" ? "description" : "short_description";
        const limit = method === "setMyDescription" ? 512 : 120;
        const text = String(params[field] ?? "");
        if ([...text].length > limit) throw new BotApiViolation(400, `Bad Request: ${field} is too long`);
        const language = String(params.language_code ?? "");
        const current = this.descriptions.get(language) ?? { description: "", short_description: "" };
        this.descriptions.set(language, { ...current, [field]: text });
        return true;
      }
      case "getMyDescription":
      case "getMyShortDescription": {
        // Telegram falls back to the default texts for a language that has none of its own.
        const language = String(params.language_code ?? "");
        const texts = this.descriptions.get(language) ?? this.descriptions.get("");
        const field = method === "getMyDescription" ? "description" : "short_description";
        return { [field]: texts?.[field] ?? "" };
      }
      default:
        throw new Error(`the Telegram stand-in does not implement ${method} yet`);
    }
  }

  /** A photo the bot sends: an uploaded file becomes a new file, a file_id must be one Telegram knows. */
  #photoFrom(given: unknown, attachments: Map<string, unknown>): StoredMessage["photo"] {
    const isAttachment = typeof given === "string" && given.startsWith("attach://");
    const value = isAttachment ? attachments.get(given.slice("attach://".length)) : given;
    if (value === undefined) throw new BotApiViolation(400, "Bad Request: wrong HTTP URL specified");
    let file: StoredFile | undefined;
    if (isAttachment && typeof value === "string") file = this.registerFile(new TextEncoder().encode(value));
    else if (typeof value === "string") {
      file = this.files.get(value);
      if (!file) throw new BotApiViolation(400, "Bad Request: wrong file identifier/HTTP URL specified");
    } else if (value instanceof Uint8Array && value.length > 0) file = this.registerFile(value);
    else throw new BotApiViolation(400, "Bad Request: file must be non-empty");
    const { width, height } = dimensions(file.bytes);
    return [{ file_id: file.file_id, file_unique_id: file.file_unique_id, width, height, file_size: file.file_size }];
  }

  #chatId(params: Record<string, unknown>): number {
    const chatId = Number(params.chat_id);
    if (!this.#users.has(chatId)) throw new BotApiViolation(400, "Bad Request: chat not found");
    return chatId;
  }

  #existing(params: Record<string, unknown>, notFound = "Bad Request: message to edit not found"): StoredMessage {
    const message = this.messages.get(key(this.#chatId(params), Number(params.message_id)));
    if (!message) throw new BotApiViolation(400, notFound);
    if (!message.from_bot && notFound.includes("edit")) {
      throw new BotApiViolation(400, "Bad Request: message can't be edited");
    }
    return message;
  }

  #store(message: Omit<StoredMessage, "message_id" | "date">): StoredMessage {
    const date = Math.floor(Date.now() / 1000);
    const stored: StoredMessage = { ...message, message_id: this.#nextMessageId++, date };
    this.messages.set(key(stored.chat_id, stored.message_id), stored);
    this.#emit({ type: "message", message: stored });
    return stored;
  }

  #edited(message: StoredMessage): Record<string, unknown> {
    message.edited = true;
    this.#emit({ type: "message", message });
    return this.#toMessage(message);
  }

  #toMessage(message: StoredMessage): Record<string, unknown> {
    const user = this.#users.get(message.chat_id);
    return {
      message_id: message.message_id,
      from: message.from_bot ? STAND_IN_BOT : { ...user, is_bot: false },
      chat: user ? privateChat(user) : { id: message.chat_id, type: "private" },
      date: message.date,
      ...(message.text !== undefined ? { text: message.text } : {}),
      ...(message.caption !== undefined ? { caption: message.caption } : {}),
      ...(message.photo ? { photo: message.photo } : {}),
      ...(message.document ? { document: message.document } : {}),
      ...(message.media_group_id ? { media_group_id: message.media_group_id } : {}),
      ...(message.invoice ? { invoice: message.invoice } : {}),
      ...(message.successful_payment ? { successful_payment: message.successful_payment } : {}),
      ...(message.reply_markup ? { reply_markup: message.reply_markup } : {}),
    };
  }
}

class InjectedError extends Error {
  constructor(
    readonly status: number,
    readonly description: string,
    readonly parameters?: Record<string, unknown>,
  ) {
    super(description);
  }
}

/**
 * Telegram's rules for an invoice in Stars (core.telegram.org/bots/payments-stars): currency XTR,
 * an empty provider_token, exactly one price and no tips. The stand-in sells nothing else.
 */
function checkStarsInvoice(params: Record<string, unknown>): void {
  if (params.currency !== "XTR") {
    // Another currency needs a provider's token; without one Telegram answers so.
    if (!params.provider_token) throw new BotApiViolation(400, "Bad Request: PAYMENT_PROVIDER_INVALID");
    throw new Error("the Telegram stand-in plays payments in Telegram Stars (XTR) only");
  }
  const prices = params.prices as Array<{ amount: number }>;
  if (
    (params.provider_token !== undefined && params.provider_token !== "") ||
    prices.length !== 1 ||
    params.max_tip_amount !== undefined ||
    params.suggested_tip_amounts !== undefined
  ) {
    throw new BotApiViolation(400, "Bad Request: STARS_INVOICE_INVALID");
  }
  if (!prices.every((price) => price.amount >= 1)) {
    throw new BotApiViolation(400, "Bad Request: CURRENCY_TOTAL_AMOUNT_INVALID");
  }
}

function key(chatId: number, messageId: number): string {
  return `${chatId}:${messageId}`;
}

function privateChat(user: StandInUser): Record<string, unknown> {
  return {
    id: user.id,
    type: "private",
    first_name: user.first_name,
    ...(user.username ? { username: user.username } : {}),
  };
}

/** A text or caption as stored: what the user sees, plus the HTML source when there was one. */
function formatted(
  value: unknown,
  parseMode: unknown,
  field: "text" | "caption",
): Partial<Pick<StoredMessage, "text" | "html" | "caption" | "caption_html">> {
  if (value === undefined) return {};
  const source = String(value);
  const htmlField = field === "text" ? "html" : "caption_html";
  if (parseMode === "HTML") return { [field]: parseHtml(source), [htmlField]: source };
  return { [field]: source };
}

/** A picture's size as Telegram reports it; files that are not pictures count as 256 × 256. */
function dimensions(bytes: Uint8Array): { width: number; height: number } {
  try {
    const size = imageSize(bytes);
    return { width: size.width, height: size.height };
  } catch {
    return { width: 256, height: 256 };
  }
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

function envelope(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

async function readParams(request: Request, url: URL): Promise<Record<string, unknown>> {
  const params: Record<string, unknown> = Object.fromEntries(url.searchParams);
  if (request.method !== "POST") return params;
  const type = request.headers.get("content-type") ?? "";
  if (type.includes("application/json")) {
    const text = await request.text();
    return text ? { ...params, ...(JSON.parse(text) as Record<string, unknown>) } : params;
  }
  if (type.includes("multipart/form-data") || type.includes("application/x-www-form-urlencoded")) {
    const form = await request.formData();
    for (const [name, value] of form) params[name] = typeof value === "string" ? coerce(value) : value;
  }
  return params;
}

/** Form fields arrive as strings; Telegram reads numbers, booleans and JSON objects out of them. */
function coerce(value: string): unknown {
  if (/^-?\d+$/.test(value)) return Number(value);
  if (value === "true" || value === "false") return value === "true";
  if (value.startsWith("{") || value.startsWith("[")) {
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  }
  return value;
}
