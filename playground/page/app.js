/**
 * The playground's chat page: a Telegram-like private chat with the bot, fed by the playground
 * server's event stream (/events) and talking back through /api/*. No framework, no build step.
 */

const TEXT = {
  en: {
    playground: "Playground",
    user: "User",
    language: "Language",
    connected: "connected",
    reconnecting: "reconnecting…",
    connecting: "connecting…",
    bot: "bot",
    typing: "typing…",
    uploadPhoto: "sending photo…",
    uploadDocument: "sending file…",
    working: "working…",
    message: "Message",
    send: "Send",
    attach: "Attach",
    attachPhoto: "Photo or video (compressed)",
    attachFile: "File (original)",
    samplePhotos: "Sample photos",
    start: "Start",
    today: "Today",
    yesterday: "Yesterday",
    edited: "edited",
    photo: "Photo",
    openPhoto: "Open photo",
    spoiler: "Spoiler, click to reveal",
    noMessages: "No messages here yet",
    whatCanThisBotDo: "What can this bot do?",
    newMessages: "New messages",
    close: "Close",
    problem: "Playground problem",
    unsupported: "Unsupported message",
    unsupportedButton: "This button type is not supported in the playground",
    ok: "OK",
    pay: "Pay",
    invoice: "Invoice",
    total: "Total",
    paying: "Waiting for the bot…",
    paid: (stars, bot) => `You paid ⭐ ${stars} to ${bot}`,
    paymentTimeout: "Payment failed: the bot did not confirm it in time. No Stars were taken.",
    units: ["B", "KB", "MB", "GB"],
  },
  ru: {
    playground: "Песочница",
    user: "Пользователь",
    language: "Язык",
    connected: "подключено",
    reconnecting: "переподключение…",
    connecting: "соединение…",
    bot: "бот",
    typing: "печатает…",
    uploadPhoto: "отправляет фото…",
    uploadDocument: "отправляет файл…",
    working: "работает…",
    message: "Сообщение",
    send: "Отправить",
    attach: "Прикрепить",
    attachPhoto: "Фото (со сжатием)",
    attachFile: "Файл (оригинал)",
    samplePhotos: "Примеры фото",
    start: "Запустить",
    today: "Сегодня",
    yesterday: "Вчера",
    edited: "изменено",
    photo: "Фото",
    openPhoto: "Открыть фото",
    spoiler: "Скрытый текст, нажмите, чтобы показать",
    noMessages: "Здесь пока нет сообщений",
    whatCanThisBotDo: "Что умеет этот бот?",
    newMessages: "Новые сообщения",
    close: "Закрыть",
    problem: "Проблема песочницы",
    unsupported: "Неподдерживаемое сообщение",
    unsupportedButton: "Кнопки такого типа песочница не поддерживает",
    ok: "ОК",
    pay: "Оплатить",
    invoice: "Счёт",
    total: "Итого",
    paying: "Ждём ответа бота…",
    paid: (stars, bot) => `Вы заплатили ⭐ ${stars} боту ${bot}`,
    paymentTimeout: "Оплата не прошла: бот вовремя не подтвердил её. Звёзды не списаны.",
    units: ["Б", "КБ", "МБ", "ГБ"],
  },
};

const ACTION_TEXT_KEYS = { typing: "typing", upload_photo: "uploadPhoto", upload_document: "uploadDocument" };
const ACTION_SHOWN_MS = 5000;
const TOAST_SHOWN_MS = 3000;
const TAP_PENDING_MS = 3000;
/** Telegram clients send at most ten files per album; bigger selections go out as several. */
const ALBUM_LIMIT = 10;
const NEAR_BOTTOM_PX = 120;
const PHOTO_MAX_WIDTH = 320;
const PHOTO_MAX_HEIGHT = 420;
const ALBUM_WIDTH = 340;
const SAFE_LINK = /^(https?|tg):/i;
const STORAGE = { user: "playground.userId", language: "playground.language" };

const state = {
  connected: false,
  helloSeen: false,
  /** `descriptions` maps a language to the bot's description, as getMyDescription gives it. */
  bot: { first_name: "", username: "", descriptions: {} },
  users: [],
  userId: Number(localStorage.getItem(STORAGE.user)) || null,
  language: localStorage.getItem(STORAGE.language) === "ru" ? "ru" : "en",
  /** chat id → (message id → message) */
  chats: new Map(),
  /** Problem lines live only in the page; each remembers the message it followed. */
  problems: [],
  problemSequence: 0,
  /** chat id → { textKey, timer } */
  actions: new Map(),
  /** chat id → { messageId, position, timer } for the inline button waiting for its answer */
  pendingTaps: new Map(),
  /** Chats where the user already pressed Start, so the composer shows while /start is on its way. */
  startedChats: new Set(),
  /** Follow new messages only while the reader is at the bottom, as Telegram does. */
  stickToBottom: true,
  /** New messages that arrived while the reader was scrolled up, for the "new messages ↓" button. */
  unseen: 0,
  renderedChatId: null,
  toastTimer: 0,
};

const $ = (id) => document.getElementById(id);
const ui = {
  userSwitch: $("user-switch"),
  languageSwitch: $("language-switch"),
  connection: $("connection"),
  botAvatar: $("bot-avatar"),
  botName: $("bot-name"),
  status: $("chat-status"),
  chat: $("chat"),
  column: $("chat-column"),
  toast: $("toast"),
  newMessages: $("new-messages"),
  newMessagesCount: $("new-messages-count"),
  start: $("start"),
  composer: $("composer"),
  input: $("composer-input"),
  attach: $("attach"),
  attachMenu: $("attach-menu"),
  attachPhoto: $("attach-photo"),
  attachFile: $("attach-file"),
  samplePhotos: $("sample-photos"),
  photoInput: $("attach-photo-input"),
  fileInput: $("attach-file-input"),
  lightbox: $("lightbox"),
  lightboxImage: $("lightbox-image"),
  lightboxClose: $("lightbox-close"),
  alert: $("alert"),
  alertText: $("alert-text"),
  sheet: $("payment-sheet"),
  sheetTitle: $("payment-sheet-title"),
  sheetDescription: $("payment-sheet-description"),
  sheetTotal: $("payment-sheet-total"),
  sheetPay: $("payment-sheet-pay"),
  sheetStatus: $("payment-sheet-status"),
  sheetClose: $("payment-sheet-close"),
};

function t(key) {
  return TEXT[state.language][key] ?? TEXT.en[key] ?? key;
}

/** Creates an element; strings among the children become text nodes, never markup. */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "className") element.className = value;
    else if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  element.append(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
  return element;
}

// ─── Event stream ────────────────────────────────────────────────────────────

function connectEvents() {
  const events = new EventSource("/events");
  events.addEventListener("message", (event) => handleServerEvent(JSON.parse(event.data)));
  events.addEventListener("error", () => {
    state.connected = false;
    renderConnection();
    renderStatus();
  });
}

function handleServerEvent(event) {
  switch (event.type) {
    case "hello":
      return applyHello(event);
    case "message":
      return applyMessage(event.message);
    case "deleted":
      chatMessages(event.chat_id).delete(event.message_id);
      return renderChat();
    case "action":
      return applyAction(event.chat_id, event.action);
    case "answer":
      return applyAnswer(event);
    case "problem":
      return addProblem(event.chat_id ?? state.userId, event.text);
    default:
      console.warn("playground: unknown event", event);
  }
}

function applyHello({ bot, users, messages }) {
  state.connected = true;
  state.helloSeen = true;
  state.bot = bot;
  state.users = users;
  state.chats.clear();
  for (const message of messages) chatMessages(message.chat_id).set(message.message_id, message);
  if (!users.some((user) => user.id === state.userId)) state.userId = users[0]?.id ?? null;
  state.renderedChatId = null;
  renderUserSwitch();
  renderAll();
}

function applyMessage(message) {
  const messages = chatMessages(message.chat_id);
  const isNew = !messages.has(message.message_id);
  messages.set(message.message_id, message);
  if (isNew && message.from_bot) clearAction(message.chat_id);
  if (isNew && message.chat_id === state.userId && !state.stickToBottom) state.unseen += 1;
  renderChat();
  renderComposer();
}

function applyAction(chatId, action) {
  clearAction(chatId);
  const timer = setTimeout(() => clearAction(chatId), ACTION_SHOWN_MS);
  state.actions.set(chatId, { textKey: ACTION_TEXT_KEYS[action] ?? "working", timer });
  renderStatus();
}

function clearAction(chatId) {
  clearTimeout(state.actions.get(chatId)?.timer);
  if (state.actions.delete(chatId)) renderStatus();
}

function applyAnswer({ chat_id: chatId, text, show_alert: showAlert }) {
  clearPendingTap(chatId);
  if (chatId !== state.userId || !text) return;
  if (showAlert) showAlertDialog(text);
  else showToast(text);
}

function addProblem(chatId, text) {
  const messageIds = [...chatMessages(chatId).keys()];
  state.problems.push({
    chatId,
    text,
    afterMessageId: messageIds.length ? Math.max(...messageIds) : 0,
    sequence: ++state.problemSequence,
    date: Math.floor(Date.now() / 1000),
  });
  if (chatId === state.userId) state.stickToBottom = true;
  renderChat();
}

function chatMessages(chatId) {
  let messages = state.chats.get(chatId);
  if (!messages) {
    messages = new Map();
    state.chats.set(chatId, messages);
  }
  return messages;
}

// ─── Talking to the server ───────────────────────────────────────────────────

/** POSTs to the playground server; a failure becomes a problem line in the open chat. */
async function post(path, body) {
  const init =
    body instanceof FormData
      ? { method: "POST", body }
      : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
  try {
    const response = await fetch(path, init);
    if (response.ok) return true;
    addProblem(state.userId, `${path} → ${response.status}: ${await failureReason(response)}`);
  } catch (error) {
    addProblem(state.userId, `${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return false;
}

async function failureReason(response) {
  const body = await response.text();
  try {
    const parsed = JSON.parse(body);
    if (typeof parsed?.error === "string") return parsed.error;
  } catch {
    // Not JSON: the raw body says more than nothing.
  }
  return body || response.statusText;
}

function sendText(text) {
  state.stickToBottom = true;
  return post("/api/text", { user_id: state.userId, language: state.language, text });
}

async function sendFiles(files, mode) {
  state.stickToBottom = true;
  for (let first = 0; first < files.length; first += ALBUM_LIMIT) {
    const form = new FormData();
    form.append("user_id", String(state.userId));
    form.append("language", state.language);
    form.append("mode", mode);
    for (const file of files.slice(first, first + ALBUM_LIMIT)) form.append("files", file, file.name);
    // One request at a time keeps the albums in the order the user picked the files.
    if (!(await post("/api/files", form))) return;
  }
}

async function sendSamplePhotos() {
  try {
    const listing = await fetchOk("/api/samples").then((response) => response.json());
    const files = await Promise.all(
      listing.files.map(async (sample) => {
        const blob = await fetchOk(sample.url).then((response) => response.blob());
        return new File([blob], sample.name, { type: blob.type || "image/jpeg" });
      }),
    );
    await sendFiles(files, "photo");
  } catch (error) {
    addProblem(state.userId, `sample photos: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function fetchOk(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} → ${response.status}`);
  return response;
}

async function pressInlineButton(message, button, position) {
  const chatId = message.chat_id;
  clearPendingTap(chatId);
  const timer = setTimeout(() => clearPendingTap(chatId), TAP_PENDING_MS);
  state.pendingTaps.set(chatId, { messageId: message.message_id, position, timer });
  renderPendingTaps();
  const sent = await post("/api/tap", {
    user_id: state.userId,
    language: state.language,
    message_id: message.message_id,
    callback_data: button.callback_data,
  });
  if (!sent) clearPendingTap(chatId);
}

/**
 * Telegram's payment sheet for an invoice: Pay sends the bot a pre_checkout_query through the webhook,
 * and once the bot has answered ok, the successful_payment message; a refusal shows the bot's words.
 */
function openPaymentSheet(message) {
  const invoice = message.invoice;
  ui.sheetTitle.textContent = invoice.title;
  ui.sheetDescription.textContent = invoice.description;
  ui.sheetTotal.textContent = `⭐ ${invoice.total_amount}`;
  ui.sheetPay.textContent = `${t("pay")} ⭐ ${invoice.total_amount}`;
  ui.sheetPay.disabled = false;
  ui.sheetStatus.textContent = "";
  ui.sheetPay.onclick = () => payInvoice(message);
  if (!ui.sheet.open) ui.sheet.showModal();
}

async function payInvoice(message) {
  ui.sheetPay.disabled = true;
  ui.sheetStatus.textContent = t("paying");
  state.stickToBottom = true;
  try {
    const response = await fetch("/api/pay", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ user_id: state.userId, language: state.language, message_id: message.message_id }),
    });
    if (!response.ok) throw new Error(`/api/pay → ${response.status}: ${await failureReason(response)}`);
    const outcome = await response.json();
    if (outcome.paid) {
      ui.sheet.close();
      return;
    }
    ui.sheetStatus.textContent = outcome.reason === "refused" ? outcome.error_message : t("paymentTimeout");
  } catch (error) {
    ui.sheet.close();
    addProblem(state.userId, error instanceof Error ? error.message : String(error));
  }
}

function clearPendingTap(chatId) {
  clearTimeout(state.pendingTaps.get(chatId)?.timer);
  if (state.pendingTaps.delete(chatId)) renderPendingTaps();
}

// ─── Rendering: frame ────────────────────────────────────────────────────────

function renderAll() {
  renderStaticText();
  renderConnection();
  renderHeader();
  renderStatus();
  renderChat();
  renderComposer();
}

function renderStaticText() {
  document.documentElement.lang = state.language;
  ui.languageSwitch.value = state.language;
  for (const element of document.querySelectorAll("[data-i18n]")) element.textContent = t(element.dataset.i18n);
  for (const element of document.querySelectorAll("[data-i18n-label]")) {
    element.setAttribute("aria-label", t(element.dataset.i18nLabel));
  }
  for (const element of document.querySelectorAll("[data-i18n-placeholder]")) {
    element.setAttribute("placeholder", t(element.dataset.i18nPlaceholder));
  }
}

function renderUserSwitch() {
  ui.userSwitch.replaceChildren(
    ...state.users.map((user) => h("option", { value: user.id }, `${user.first_name} · ${user.id}`)),
  );
  ui.userSwitch.value = String(state.userId);
}

function renderConnection() {
  ui.connection.dataset.state = state.connected ? "online" : "offline";
  ui.connection.textContent = state.connected ? t("connected") : t(state.helloSeen ? "reconnecting" : "connecting");
}

function renderHeader() {
  const name = state.bot.first_name || "…";
  ui.botName.textContent = name;
  ui.botAvatar.textContent = initials(name);
  document.title = `${name} · ${t("playground")}`;
}

function initials(name) {
  return name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((word) => word[0].toUpperCase())
    .join("");
}

function renderStatus() {
  const action = state.actions.get(state.userId);
  const text = !state.connected ? t("connecting") : action ? t(action.textKey) : t("bot");
  ui.status.textContent = text;
  ui.status.classList.toggle("is-active", Boolean(action) && state.connected);
}

/** A new bot chat offers only Telegram's Start button; the composer appears once the chat has begun. */
function renderComposer() {
  const chatIsEmpty = chatMessages(state.userId).size === 0;
  const offerStart = state.helloSeen && chatIsEmpty && !state.startedChats.has(state.userId);
  ui.start.hidden = !offerStart;
  ui.composer.hidden = offerStart;
}

function showToast(text) {
  ui.toast.textContent = text;
  ui.toast.hidden = false;
  clearTimeout(state.toastTimer);
  state.toastTimer = setTimeout(() => {
    ui.toast.hidden = true;
  }, TOAST_SHOWN_MS);
}

function showAlertDialog(text) {
  ui.alertText.textContent = text;
  if (!ui.alert.open) ui.alert.showModal();
}

function openLightbox(url) {
  ui.lightboxImage.src = url;
  ui.lightbox.showModal();
}

// ─── Rendering: the chat ─────────────────────────────────────────────────────

/**
 * Brings the chat column in line with the state by keyed rows: a row whose content did not change
 * keeps its DOM node, a changed one is rebuilt and swapped in the same task, so edits (progress bars)
 * update in place without flicker and images are not reloaded.
 */
function renderChat() {
  if (state.renderedChatId !== state.userId) {
    ui.column.replaceChildren();
    state.renderedChatId = state.userId;
    state.stickToBottom = true;
    state.unseen = 0;
  }
  const rows = chatRows(state.userId);
  const current = new Map([...ui.column.children].map((node) => [node.dataset.key, node]));
  const wanted = rows.map((row) => {
    const existing = current.get(row.key);
    if (existing && existing.dataset.signature === row.signature) return existing;
    const node = row.build();
    node.dataset.key = row.key;
    node.dataset.signature = row.signature;
    return node;
  });
  wanted.forEach((node, index) => {
    if (ui.column.children[index] !== node) ui.column.insertBefore(node, ui.column.children[index] ?? null);
  });
  while (ui.column.children.length > wanted.length) ui.column.lastElementChild.remove();
  markGroups();
  renderPendingTaps();
  if (state.stickToBottom) scrollToBottom();
  renderNewMessages();
}

/** Telegram's jump-down button: shown while new messages wait below the reader, with their count. */
function renderNewMessages() {
  if (state.stickToBottom) state.unseen = 0;
  ui.newMessages.hidden = state.unseen === 0;
  ui.newMessagesCount.textContent = String(state.unseen);
}

/** The chat as rows: date separators, single messages, albums and problem lines, in order. */
function chatRows(chatId) {
  const rows = [];
  let lastDay = null;
  for (const entry of groupAlbums(timeline(chatId))) {
    if (entry.kind !== "problem") {
      const day = dayKey(entry.messages[0].date);
      if (day !== lastDay) rows.push(dateRow(entry.messages[0].date, day));
      lastDay = day;
    }
    rows.push(entry.kind === "problem" ? problemRow(entry.problem) : messageRow(entry.messages));
  }
  if (rows.length === 0 && state.helloSeen) rows.push(emptyRow());
  return rows;
}

function timeline(chatId) {
  const messages = [...chatMessages(chatId).values()].map((message) => ({
    kind: "message",
    message,
    order: [message.message_id, 0, 0],
  }));
  const problems = state.problems
    .filter((problem) => problem.chatId === chatId)
    .map((problem) => ({ kind: "problem", problem, order: [problem.afterMessageId, 1, problem.sequence] }));
  return [...messages, ...problems].sort(
    (a, b) => a.order[0] - b.order[0] || a.order[1] - b.order[1] || a.order[2] - b.order[2],
  );
}

/** Consecutive messages sharing a media_group_id are one album bubble, as in Telegram. */
function groupAlbums(entries) {
  const grouped = [];
  for (const entry of entries) {
    const previous = grouped.at(-1);
    const album = entry.message?.media_group_id;
    if (album && previous?.kind === "message" && previous.messages[0].media_group_id === album) {
      previous.messages.push(entry.message);
    } else if (entry.kind === "message") grouped.push({ kind: "message", messages: [entry.message] });
    else grouped.push(entry);
  }
  return grouped;
}

function dateRow(date, day) {
  const label = dateLabel(date);
  return {
    key: `date:${day}`,
    signature: label,
    build: () => h("div", { className: "date-separator", role: "separator" }, h("span", {}, label)),
  };
}

function problemRow(problem) {
  return {
    key: `problem:${problem.sequence}`,
    signature: state.language,
    build: () =>
      h(
        "div",
        { className: "problem", "data-testid": "problem", role: "alert" },
        h("strong", {}, `⚠ ${t("problem")}: `),
        problem.text,
      ),
  };
}

/** An empty chat shows the bot's description, as Telegram's "What can this bot do?" card; else a plain line. */
function emptyRow() {
  const description = state.bot.descriptions?.[state.language] || state.bot.descriptions?.en || "";
  return {
    key: "empty",
    signature: JSON.stringify([state.language, description]),
    build: () =>
      description
        ? h(
            "div",
            { className: "bot-description", "data-testid": "bot-description" },
            h("div", { className: "bot-description-title" }, t("whatCanThisBotDo")),
            h("div", { className: "bot-description-text" }, description),
          )
        : h("div", { className: "empty-chat" }, t("noMessages")),
  };
}

function messageRow(messages) {
  const isAlbum = Boolean(messages[0].media_group_id);
  return {
    key: `${isAlbum ? "album" : "message"}:${messages[0].message_id}`,
    signature: JSON.stringify([state.language, messages]),
    build: () => (isAlbum ? buildAlbum(messages) : buildMessage(messages[0])),
  };
}

/** Tails and spacing go on the last bubble of each run from one side, as Telegram groups them. */
function markGroups() {
  const rows = [...ui.column.children];
  rows.forEach((row, index) => {
    const side = row.dataset.from;
    if (!side) return;
    row.classList.toggle("is-group-start", rows[index - 1]?.dataset.from !== side);
    row.classList.toggle("is-group-end", rows[index + 1]?.dataset.from !== side);
  });
}

function renderPendingTaps() {
  const pending = state.pendingTaps.get(state.userId);
  for (const button of ui.column.querySelectorAll("[data-testid=inline-button]")) {
    const owner = button.closest("[data-message-id]");
    const isPending =
      Boolean(pending) &&
      Number(owner?.dataset.messageId) === pending.messageId &&
      button.dataset.position === pending.position;
    button.classList.toggle("is-pending", isPending);
    button.setAttribute("aria-busy", String(isPending));
  }
}

function isNearBottom() {
  return ui.chat.scrollHeight - ui.chat.scrollTop - ui.chat.clientHeight < NEAR_BOTTOM_PX;
}

function scrollToBottom() {
  ui.chat.scrollTop = ui.chat.scrollHeight;
}

// ─── Rendering: bubbles ──────────────────────────────────────────────────────

function buildMessage(message) {
  if (message.successful_payment) return buildPaymentService(message);
  if (message.invoice) return buildInvoice(message);
  const side = message.from_bot ? "bot" : "user";
  const body = messageBody(message);
  const keyboard = message.reply_markup?.inline_keyboard?.length ? buildKeyboard(message) : null;
  const bubble = h(
    "div",
    { className: "bubble" },
    message.photo ? buildPhoto(message.photo) : null,
    message.document ? buildDocument(message.document) : null,
  );
  bubble.classList.toggle("has-media", Boolean(message.photo));
  bubble.classList.toggle("has-document", Boolean(message.document));
  finishBubble(bubble, body, [message], side);
  if (message.photo) bubble.style.width = `${photoSize(message.photo).width}px`;
  return h(
    "div",
    {
      className: `message from-${side}${keyboard ? " has-keyboard" : ""}`,
      "data-testid": "message",
      "data-message-id": message.message_id,
      "data-from": side,
    },
    bubble,
    keyboard,
  );
}

/** An invoice as Telegram shows it: title, description, price, and a Pay button above any other. */
function buildInvoice(message) {
  const invoice = message.invoice;
  const bubble = h(
    "div",
    { className: "bubble invoice has-text" },
    h(
      "div",
      { className: "text" },
      h("div", { className: "invoice-title" }, invoice.title),
      h("div", { className: "invoice-description" }, invoice.description),
      h("div", { className: "invoice-price" }, `⭐ ${invoice.total_amount} · ${t("invoice")}`),
    ),
  );
  const pay = h(
    "div",
    { className: "keyboard" },
    h(
      "div",
      { className: "keyboard-row" },
      h(
        "button",
        {
          type: "button",
          className: "inline-button",
          "data-testid": "pay-button",
          onclick: () => openPaymentSheet(message),
        },
        h("span", { className: "inline-button-text" }, `${t("pay")} ⭐ ${invoice.total_amount}`),
      ),
    ),
  );
  return h(
    "div",
    {
      className: "message from-bot has-keyboard",
      "data-testid": "invoice",
      "data-message-id": message.message_id,
      "data-from": "bot",
    },
    bubble,
    pay,
  );
}

/** The service line Telegram puts in the chat for a payment made. */
function buildPaymentService(message) {
  return h(
    "div",
    { className: "service-message", "data-testid": "payment-service", "data-message-id": message.message_id },
    h("span", {}, t("paid")(message.successful_payment.total_amount, state.bot.first_name)),
  );
}

function buildAlbum(messages) {
  const side = messages[0].from_bot ? "bot" : "user";
  const photos = messages.filter((message) => message.photo);
  const documents = messages.filter((message) => message.document);
  const captioned = messages.find((message) => messageBody(message));
  const bubble = h(
    "div",
    { className: `bubble${photos.length ? " has-media is-album" : ""}` },
    photos.length ? buildPhotoGrid(photos) : null,
    documents.map((message) => buildDocument(message.document)),
  );
  bubble.classList.toggle("has-document", documents.length > 0);
  finishBubble(bubble, captioned ? messageBody(captioned) : null, messages, side);
  if (photos.length) bubble.style.width = `${ALBUM_WIDTH}px`;
  return h(
    "div",
    {
      className: `message from-${side}`,
      "data-testid": "album",
      "data-message-id": messages[0].message_id,
      "data-message-ids": messages.map((message) => message.message_id).join(" "),
      "data-from": side,
    },
    bubble,
  );
}

/** Adds the text (if any) and the time line; the spacer keeps the last text line clear of the time. */
function finishBubble(bubble, body, messages, side) {
  const latest = messages.reduce((a, b) => (b.date > a.date ? b : a));
  const edited = messages.some((message) => message.edited);
  const time = formatTime(latest.date);
  const metaText = `${edited ? `${t("edited")} ` : ""}${time}${side === "user" ? " ✓✓" : ""}`;
  const meta = h(
    "span",
    { className: "meta" },
    edited ? h("span", { className: "edited" }, t("edited")) : null,
    h("time", { datetime: new Date(latest.date * 1000).toISOString() }, time),
    side === "user" ? h("span", { className: "checks", "aria-hidden": "true" }, "✓✓") : null,
  );
  const isEmpty = !body && !messages.some((message) => message.photo || message.document);
  if (body || isEmpty) {
    const text = h("div", { className: "text" }, body ?? h("em", { className: "unsupported" }, t("unsupported")));
    text.append(h("span", { className: "meta-spacer", "data-meta": metaText, "aria-hidden": "true" }));
    bubble.append(text);
  }
  bubble.classList.toggle("has-text", Boolean(body) || isEmpty);
  bubble.append(meta);
}

/** The message's text or caption: Telegram-HTML when the bot used parse_mode HTML, else plain text. */
function messageBody(message) {
  const html = message.html ?? message.caption_html;
  if (html) return renderTelegramHtml(html);
  const plain = message.text ?? message.caption;
  return plain ? document.createTextNode(plain) : null;
}

function photoSize(photo) {
  const scale = Math.min(1, PHOTO_MAX_WIDTH / photo.width, PHOTO_MAX_HEIGHT / photo.height);
  return {
    width: Math.max(160, Math.round(photo.width * scale)),
    height: Math.max(80, Math.round(photo.height * scale)),
  };
}

function buildPhoto(photo) {
  const { width, height } = photoSize(photo);
  return h(
    "button",
    { type: "button", className: "photo", "aria-label": t("openPhoto"), onclick: () => openLightbox(photo.url) },
    h("img", { src: photo.url, alt: t("photo"), width, height, loading: "lazy", decoding: "async" }),
  );
}

/** Telegram-like album mosaic on a six-column grid: leftover photos of the last row share the first one. */
function buildPhotoGrid(messages) {
  const columns = messages.length >= 5 ? 3 : 2;
  const leftover = messages.length % columns;
  const grid = h("div", { className: `photo-grid columns-${columns}` });
  messages.forEach((message, index) => {
    const span = index < leftover ? 6 / leftover : 6 / columns;
    const cell = buildPhoto(message.photo);
    cell.style.gridColumn = `span ${span}`;
    grid.append(cell);
  });
  return grid;
}

function buildDocument(file) {
  return h(
    "a",
    { className: "document", href: file.url, download: file.file_name, target: "_blank", rel: "noopener" },
    h("span", { className: "document-icon", "aria-hidden": "true" }, "📄"),
    h(
      "span",
      { className: "document-details" },
      h("span", { className: "document-name" }, file.file_name),
      h("span", { className: "document-size" }, formatSize(file.file_size)),
    ),
  );
}

function buildKeyboard(message) {
  return h(
    "div",
    { className: "keyboard" },
    message.reply_markup.inline_keyboard.map((buttons, rowIndex) =>
      h(
        "div",
        { className: "keyboard-row" },
        buttons.map((button, columnIndex) => buildInlineButton(message, button, `${rowIndex}:${columnIndex}`)),
      ),
    ),
  );
}

function buildInlineButton(message, button, position) {
  const isLink = typeof button.url === "string";
  const isCallback = typeof button.callback_data === "string";
  const onclick = isLink
    ? () => SAFE_LINK.test(button.url) && window.open(button.url, "_blank", "noopener")
    : isCallback
      ? () => pressInlineButton(message, button, position)
      : undefined;
  return h(
    "button",
    {
      type: "button",
      className: `inline-button${isLink ? " is-link" : ""}`,
      "data-testid": "inline-button",
      "data-position": position,
      disabled: !isLink && !isCallback,
      title: isLink ? button.url : !isCallback ? t("unsupportedButton") : undefined,
      onclick,
    },
    h("span", { className: "inline-button-text" }, button.text),
  );
}

// ─── Telegram HTML ───────────────────────────────────────────────────────────

const SIMPLE_TAGS = {
  b: "b",
  strong: "b",
  i: "i",
  em: "i",
  u: "u",
  ins: "u",
  s: "s",
  strike: "s",
  del: "s",
  code: "code",
};
const CODE_LANGUAGE = /^language-([\w+#.-]{1,32})$/;

/**
 * Renders the parse_mode HTML subset Telegram accepts. The source is parsed in an inert document and
 * rebuilt from scratch: only the allowed tags and attributes survive, anything else becomes its text.
 */
function renderTelegramHtml(source) {
  const parsed = new DOMParser().parseFromString(`<body>${source}</body>`, "text/html");
  const fragment = document.createDocumentFragment();
  fragment.append(...sanitizeChildren(parsed.body));
  return fragment;
}

function sanitizeChildren(parent) {
  return [...parent.childNodes].map(sanitize);
}

function sanitize(node) {
  if (node.nodeType === Node.TEXT_NODE) return document.createTextNode(textAfterBlock(node));
  if (node.nodeType !== Node.ELEMENT_NODE) return document.createDocumentFragment();
  const rebuilt = allowedElement(node);
  rebuilt.append(...sanitizeChildren(node));
  return rebuilt;
}

/** Quotes and code blocks already end their line, so Telegram drops the newline written after them. */
function textAfterBlock(node) {
  const previous = node.previousSibling?.localName;
  return previous === "pre" || previous === "blockquote" ? node.data.replace(/^\n/, "") : node.data;
}

function allowedElement(source) {
  const tag = source.localName;
  if (SIMPLE_TAGS[tag]) return document.createElement(SIMPLE_TAGS[tag]);
  if (tag === "a") return safeLink(source.getAttribute("href"));
  if (tag === "pre") return preformatted(source);
  if (tag === "tg-spoiler" || (tag === "span" && source.classList.contains("tg-spoiler"))) return spoiler();
  if (tag === "blockquote") return blockquote(source.hasAttribute("expandable"));
  // tg-emoji and every unknown tag are unwrapped: their text stays, the tag goes.
  return document.createDocumentFragment();
}

function safeLink(href) {
  if (!href || !SAFE_LINK.test(href.trim())) return document.createDocumentFragment();
  return h("a", { href: href.trim(), target: "_blank", rel: "noopener noreferrer" });
}

function preformatted(source) {
  const language = CODE_LANGUAGE.exec(source.querySelector(":scope > code")?.className ?? "")?.[1];
  return h("pre", { "data-language": language });
}

function spoiler() {
  return h("span", {
    className: "spoiler",
    role: "button",
    tabindex: 0,
    "aria-label": t("spoiler"),
    onclick: revealSpoiler,
    onkeydown: (event) => (event.key === "Enter" || event.key === " ") && revealSpoiler(event),
  });
}

function revealSpoiler(event) {
  const element = event.currentTarget;
  if (element.classList.contains("is-revealed")) return;
  event.preventDefault();
  event.stopPropagation();
  element.classList.add("is-revealed");
  element.removeAttribute("role");
  element.removeAttribute("tabindex");
  element.removeAttribute("aria-label");
}

function blockquote(expandable) {
  if (!expandable) return h("blockquote");
  return h("blockquote", {
    className: "is-expandable",
    tabindex: 0,
    "aria-expanded": "false",
    onclick: toggleQuote,
    onkeydown: (event) => event.key === "Enter" && toggleQuote(event),
  });
}

function toggleQuote(event) {
  const quote = event.currentTarget;
  // A click on a link or spoiler inside the quote is about that, not about the quote.
  if (event.target.closest("a, .spoiler:not(.is-revealed)")) return;
  const expanded = quote.classList.toggle("is-expanded");
  quote.setAttribute("aria-expanded", String(expanded));
}

// ─── Formatting ──────────────────────────────────────────────────────────────

function formatTime(unixSeconds) {
  const date = new Date(unixSeconds * 1000);
  return `${String(date.getHours()).padStart(2, "0")}:${String(date.getMinutes()).padStart(2, "0")}`;
}

function dayKey(unixSeconds) {
  const date = new Date(unixSeconds * 1000);
  return `${date.getFullYear()}-${date.getMonth() + 1}-${date.getDate()}`;
}

function dateLabel(unixSeconds) {
  const date = new Date(unixSeconds * 1000);
  const today = new Date();
  const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
  if (dayKey(unixSeconds) === dayKey(today.getTime() / 1000)) return t("today");
  if (dayKey(unixSeconds) === dayKey(yesterday.getTime() / 1000)) return t("yesterday");
  const options = { day: "numeric", month: "long" };
  if (date.getFullYear() !== today.getFullYear()) options.year = "numeric";
  return new Intl.DateTimeFormat(state.language, options).format(date);
}

function formatSize(bytes) {
  const units = t("units");
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const rounded = unit === 0 ? String(value) : value.toFixed(value < 10 ? 1 : 0);
  return `${rounded.replace(".", state.language === "ru" ? "," : ".")} ${units[unit]}`;
}

// ─── Controls ────────────────────────────────────────────────────────────────

function wireToolbar() {
  ui.userSwitch.addEventListener("change", () => {
    state.userId = Number(ui.userSwitch.value);
    localStorage.setItem(STORAGE.user, String(state.userId));
    closeAttachMenu();
    renderAll();
  });
  ui.languageSwitch.addEventListener("change", () => {
    state.language = ui.languageSwitch.value === "ru" ? "ru" : "en";
    localStorage.setItem(STORAGE.language, state.language);
    renderAll();
  });
}

function wireComposer() {
  ui.start.addEventListener("click", () => {
    state.startedChats.add(state.userId);
    renderComposer();
    sendText("/start");
    ui.input.focus();
  });
  ui.composer.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = ui.input.value.trim();
    if (!text) return;
    ui.input.value = "";
    fitInputHeight();
    sendText(text);
    ui.input.focus();
  });
  ui.input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      ui.composer.requestSubmit();
    }
  });
  ui.input.addEventListener("input", fitInputHeight);
}

function fitInputHeight() {
  ui.input.style.height = "auto";
  ui.input.style.height = `${Math.min(ui.input.scrollHeight, 180)}px`;
}

function wireAttachments() {
  ui.attach.addEventListener("click", () => (ui.attachMenu.hidden ? openAttachMenu() : closeAttachMenu()));
  ui.attachPhoto.addEventListener("click", () => chooseFiles(ui.photoInput));
  ui.attachFile.addEventListener("click", () => chooseFiles(ui.fileInput));
  ui.samplePhotos.addEventListener("click", () => {
    closeAttachMenu();
    sendSamplePhotos();
  });
  ui.photoInput.addEventListener("change", () => sendChosenFiles(ui.photoInput, "photo"));
  ui.fileInput.addEventListener("change", () => sendChosenFiles(ui.fileInput, "document"));
  document.addEventListener("click", (event) => {
    if (!ui.attachMenu.hidden && !event.target.closest(".attach")) closeAttachMenu();
  });
  ui.attachMenu.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      closeAttachMenu();
      ui.attach.focus();
    }
  });
}

function openAttachMenu() {
  ui.attachMenu.hidden = false;
  ui.attach.setAttribute("aria-expanded", "true");
  ui.attachMenu.querySelector("button")?.focus();
}

function closeAttachMenu() {
  ui.attachMenu.hidden = true;
  ui.attach.setAttribute("aria-expanded", "false");
}

function chooseFiles(input) {
  closeAttachMenu();
  input.click();
}

function sendChosenFiles(input, mode) {
  const files = [...input.files];
  // Cleared so choosing the same file again still fires "change".
  input.value = "";
  if (files.length) sendFiles(files, mode);
}

function wireChat() {
  ui.chat.addEventListener("scroll", () => {
    state.stickToBottom = isNearBottom();
    if (state.stickToBottom && state.unseen > 0) renderNewMessages();
  });
  ui.newMessages.addEventListener("click", () => {
    state.stickToBottom = true;
    scrollToBottom();
    renderNewMessages();
  });
  // Photos finishing loading, spoilers opening and quotes expanding all change the height.
  new ResizeObserver(() => state.stickToBottom && scrollToBottom()).observe(ui.column);
  // A click anywhere closes the viewer, as in Telegram Web; the close button and Esc say so plainly.
  ui.lightbox.addEventListener("click", () => ui.lightbox.close());
  ui.lightboxClose.addEventListener("click", () => ui.lightbox.close());
  ui.sheetClose.addEventListener("click", () => ui.sheet.close());
  ui.lightbox.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    event.preventDefault();
    ui.lightbox.close();
  });
  ui.lightbox.addEventListener("close", () => ui.lightboxImage.removeAttribute("src"));
}

function main() {
  wireToolbar();
  wireComposer();
  wireAttachments();
  wireChat();
  renderAll();
  connectEvents();
}

main();
