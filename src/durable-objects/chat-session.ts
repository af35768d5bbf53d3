import { DurableObject } from "cloudflare:workers";
import type { Bot } from "grammy";
import type { Update, UserFromGetMe } from "grammy/types";
import { passesRefusal, tellRefused } from "../bot/access-gate";
import type { BotContext } from "../bot/context";
import { createBot } from "../bot/create-bot";
import { languageFromCode, messagesFor } from "../bot/locales";
import { IDLE, type SessionState, type SessionStore } from "../bot/session";
import { loadSettings } from "../config/settings";
import type { Repository } from "../domain/repository";
import { errorFields, log } from "../log";
import { type AccessMemory, AccessService } from "../services/access";
import { AvatarService } from "../services/avatar-service";
import { CreditService } from "../services/credit-service";
import { DataLifecycle } from "../services/data-lifecycle";
import { GalleryService } from "../services/gallery-service";
import { MetricsService } from "../services/metrics";
import { PaymentService } from "../services/payment-service";
import { type UserMemory, UserService } from "../services/user-service";
import { telegramApi } from "../telegram/api";
import { getBotInfo } from "../telegram/bot-info";
import { createRepository, createStorage } from "../wiring";
import { giveWayToHandOffs, inTurn } from "./hand-offs";

const SESSION_KEY = "session";
/** Telegram stops re-delivering an update after a day; its id is remembered a while longer. */
const REMEMBER_UPDATES_MS = 3 * 24 * 3600 * 1000;
/** Handled update ids older than REMEMBER_UPDATES_MS are looked for at most this often. */
const PRUNE_EVERY_MS = 24 * 3600 * 1000;
/** If the object restarts with updates still in its inbox, its alarm picks them up after this long. */
const SAFETY_NET_MS = 15_000;
/** An update whose handling was cut off (the object restarted) this many times is given up. */
const MAX_ATTEMPTS = 2;

interface InboxRow extends Record<string, SqlStorageValue> {
  update_id: number;
  body: string;
  attempts: number;
}

/**
 * The chat's inbox of updates, made on first use (tests that stage a restart make it the same way).
 * One statement, as cheap as it can be: it runs inside the webhook's answer to a new chat, a hundred
 * at once in a burst. `seq` is the rowid: a new row's is above every row still there, so pending
 * updates keep their arrival order without AUTOINCREMENT (a second table); an inbox is small enough to
 * read in full, so it has no index of its own. Objects made before keep both, which works the same.
 */
export function createInbox(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS inbox (
    seq INTEGER PRIMARY KEY,
    update_id INTEGER NOT NULL UNIQUE,
    body TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    received_at INTEGER NOT NULL,
    done_at INTEGER
  )`);
}

/**
 * One per Telegram user. The webhook hands it each update, which it writes to its inbox (once per
 * update_id) and acknowledges at once; it then handles that user's updates strictly one at a time,
 * in the order they arrived, so double taps and retries cannot interleave. The inbox survives a
 * restart: the alarm resumes it, and an update cut off twice is given up with a word to the user.
 */
export class ChatSession extends DurableObject<Env> {
  #draining: Promise<void> | null = null;
  /** Updates this instance stored with their first start already counted. */
  readonly #counted = new Set<number>();
  /** Whether the safety-net alarm is known to be set (unknown after a restart: asked once). */
  #alarmSet: boolean | null = null;

  /** When old update ids were last forgotten by this instance. */
  #prunedAt: number | undefined;
  /** Accepts so far, so a drain knows whether anything arrived while it worked. */
  #accepts = 0;
  /** This chat's user as last recorded, so an unchanged profile is not written on every update. */
  readonly #user: UserMemory = {};
  /** The FSM state as last read or written; this object is its only writer. */
  #state: SessionState | undefined;
  /** This chat's user's access rule as last read; /allow and /deny drop it (forgetAccess). */
  readonly #access: AccessMemory = {};
  /** Whether the inbox table exists: made on first use, so a refused stranger's object can be left empty. */
  #inboxReady = false;
  /** A stranger was refused since the storage was last emptied: it is emptied once the inbox is. */
  #strangerRefused = false;
  /** The bot for this chat on D1, rebuilt only when the bot's own profile (getMe) is refreshed. */
  #bot: { info: UserFromGetMe; bot: Bot<BotContext> } | undefined;

  readonly #session: SessionStore = {
    get: async () => {
      this.#state ??= (await this.ctx.storage.get<SessionState>(SESSION_KEY)) ?? IDLE;
      return this.#state;
    },
    set: async (state) => {
      this.#state = state;
      if (state.state === "idle") await this.ctx.storage.delete(SESSION_KEY);
      else await this.ctx.storage.put(SESSION_KEY, state);
    },
  };

  /** The inbox, made if need be: for writes. */
  #inbox(): SqlStorage {
    const sql = this.ctx.storage.sql;
    if (!this.#inboxReady) createInbox(sql);
    this.#inboxReady = true;
    return sql;
  }

  /** Whether the inbox exists, without making it: reads of an empty object leave it empty. */
  #hasInbox(): boolean {
    this.#inboxReady ||=
      this.ctx.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'inbox'").toArray()
        .length > 0;
    return this.#inboxReady;
  }

  /**
   * The webhook's hand-off: stores the update and returns before any of it is handled. The write
   * is durable before the answer leaves (the output gate), so an acknowledged update is never lost.
   */
  async accept(update: Update): Promise<"accepted" | "duplicate"> {
    const now = Date.now();
    const inserted = this.#inbox()
      .exec(
        // Stored with its first start already counted (the drain starts it at once), which saves the
        // webhook's answer a second commit; see #handle.
        "INSERT INTO inbox (update_id, body, received_at, attempts) VALUES (?, ?, ?, 1) ON CONFLICT (update_id) DO NOTHING RETURNING seq",
        update.update_id,
        JSON.stringify(update),
        now,
      )
      .toArray();
    if (inserted.length === 0) return "duplicate";
    this.#accepts += 1;
    this.#counted.add(update.update_id);
    this.#alarmSet ??= (await this.ctx.storage.getAlarm()) !== null;
    if (!this.#alarmSet) {
      await this.ctx.storage.setAlarm(now + SAFETY_NET_MS);
      this.#alarmSet = true;
    }
    // Started on the next turn of the event loop, so the webhook's answer goes out first.
    // The runtime's own timer: nodejs_compat's setTimeout builds a Node Timeout object, which
    // profiled at about 0.4 ms an update.
    void scheduler.wait(0).then(() => this.#drain());
    return "accepted";
  }

  /** Resolves once every update accepted so far has been handled (tests and the bench wait on it). */
  async settled(): Promise<void> {
    for (let round = 0; round < 100 && this.#pendingCount() > 0; round++) await this.#drain();
  }

  /** The safety net: updates left in the inbox by a restart are handled now. */
  override async alarm(): Promise<void> {
    // The alarm that woke us is spent. It is set once per burst of updates and never moved or
    // dropped (each would be a write the next webhook waits behind), so it mostly finds an empty
    // inbox and costs one query. A drain that finishes has handled everything accepted up to its
    // end; one cut off by a restart fails this alarm, which the runtime then retries.
    this.#alarmSet = false;
    await this.#drain();
    // Forgotten here, at most once a day per instance, rather than in a write behind every update.
    if (this.#hasInbox() && (this.#prunedAt === undefined || Date.now() - this.#prunedAt > PRUNE_EVERY_MS)) {
      this.#prunedAt = Date.now();
      this.#inbox().exec(
        "DELETE FROM inbox WHERE done_at IS NOT NULL AND done_at < ?",
        Date.now() - REMEMBER_UPDATES_MS,
      );
    }
  }

  /**
   * Answers a payment's pre-checkout query at once, beside whatever the inbox is working on:
   * Telegram cancels the payment after 10 s. Nothing is stored for it, so it needs no inbox.
   */
  async preCheckout(update: Update): Promise<void> {
    try {
      await this.#process(update);
    } catch (error) {
      log("error", "telegram_update_failed", { updateId: update.update_id, ...errorFields(error) });
    }
  }

  /** The chat's current FSM state (used by tests and diagnostics). */
  async getState(): Promise<SessionState> {
    return this.#session.get();
  }

  /** An admin's /allow or /deny for this chat's user: the next update reads their rule afresh. */
  async forgetAccess(): Promise<void> {
    this.#access.rule = undefined;
  }

  /** Liveness probe for /health. */
  async ping(): Promise<"ok"> {
    return "ok";
  }

  /** Works through the inbox, oldest first; one run at a time per object. */
  #drain(): Promise<void> {
    // `.finally` runs after the assignment even when there is nothing to do (the loop would
    // otherwise finish synchronously, and a spent promise would stay behind as "draining").
    this.#draining ??= this.#work().finally(() => {
      this.#draining = null;
    });
    return this.#draining;
  }

  async #work(): Promise<void> {
    // The inbox is read again only if something was accepted meanwhile: one query per update, not two.
    for (let seen = -1; seen !== this.#accepts; ) {
      seen = this.#accepts;
      // One of the isolate's background turns per update; see hand-offs.ts.
      for (const row of this.#pending()) await inTurn(() => this.#handle(row));
    }
    if (this.#strangerRefused && this.#pendingCount() === 0) await this.#forgetStranger();
  }

  /**
   * A refused stranger leaves nothing here: their updates were deleted as they were answered, and
   * with the inbox empty the alarm and the table go too. Nothing else here can be theirs: the bot
   * never ran for them, and a session from before their data was deleted is idle.
   */
  async #forgetStranger(): Promise<void> {
    this.#strangerRefused = false;
    if (Number(this.#inbox().exec("SELECT count(*) AS n FROM inbox").one().n) > 0) return;
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.#alarmSet = false;
    this.#inboxReady = false;
    this.#state = undefined;
  }

  #pending(): InboxRow[] {
    if (!this.#hasInbox()) return [];
    return this.#inbox()
      .exec<InboxRow>("SELECT update_id, body, attempts FROM inbox WHERE done_at IS NULL ORDER BY seq")
      .toArray();
  }

  #pendingCount(): number {
    if (!this.#hasInbox()) return 0;
    return Number(this.#inbox().exec("SELECT count(*) AS n FROM inbox WHERE done_at IS NULL").one().n);
  }

  async #handle(row: InboxRow): Promise<void> {
    const update = JSON.parse(row.body) as Update;
    // Starts are counted before the work: a restart part-way leaves the count behind as evidence.
    // An update accepted by this very instance had its first start counted when it was stored.
    const counted = this.#counted.delete(row.update_id);
    const earlier = counted ? row.attempts - 1 : row.attempts;
    if (!counted) this.#inbox().exec("UPDATE inbox SET attempts = attempts + 1 WHERE update_id = ?", row.update_id);
    try {
      // Other chats' hand-offs in this isolate go first; see hand-offs.ts.
      await giveWayToHandOffs();
      if (earlier >= MAX_ATTEMPTS) await this.#giveUp(update);
      else if ((await this.#process(update)) === "stranger") {
        // Not even its id is kept: a redelivery would be answered again, which costs less than a record.
        this.#inbox().exec("DELETE FROM inbox WHERE update_id = ?", row.update_id);
        this.#strangerRefused = true;
        return;
      }
    } catch (error) {
      // The bot's error boundary already told the user what it could; a throw here means even that
      // failed (Telegram unreachable). Handling an update twice could repeat what it did, so it ends.
      log("error", "telegram_update_failed", { updateId: update.update_id, ...errorFields(error) });
    }
    this.#inbox().exec("UPDATE inbox SET done_at = ?, body = '' WHERE update_id = ?", Date.now(), row.update_id);
  }

  /** Handles one update, or refuses it; "stranger": refused, and nothing of it may be kept. */
  async #process(update: Update): Promise<"handled" | "stranger"> {
    const settings = loadSettings(this.env);
    const repo = createRepository(this.env);
    const refused = await this.#refused(update, repo);
    if (refused) return refused;
    // A Postgres repository owns a connection for one request, so its bot is built per update. On D1
    // the bot and its services hold nothing per request and are built once per instance: under
    // wrangler dev that CPU would delay the next webhook's answer on the same thread.
    if (settings.database.driver === "postgres") {
      await this.#createBot(repo, await getBotInfo(settings, repo)).handleUpdate(update);
      return "handled";
    }
    const info = await getBotInfo(settings, repo);
    if (this.#bot?.info !== info) this.#bot = { info, bot: this.#createBot(repo, info) };
    await this.#bot.bot.handleUpdate(update);
    return "handled";
  }

  /**
   * The access rules, checked here rather than at the webhook, whose answer must not wait for a
   * database: a refused user hears one line and the bot never runs (so no user row is made), except
   * for what passesRefusal lets through. Counted without saying who.
   */
  async #refused(update: Update, repo: Repository): Promise<"handled" | "stranger" | null> {
    const from = update.message?.from ?? update.callback_query?.from ?? update.pre_checkout_query?.from;
    if (!from) return null;
    const settings = loadSettings(this.env);
    const verdict = await new AccessService(repo, settings, this.#access).verdict(from.id);
    if (passesRefusal(update, verdict)) return null;
    const known = !verdict.allowed && verdict.known;
    log("info", "telegram_update_refused", { updateId: update.update_id, known });
    await tellRefused(telegramApi(settings), update, known);
    await repo.incrementCounter("access_refused", known ? "denied" : "stranger");
    return known ? "handled" : "stranger";
  }

  #createBot(repo: Repository, info: UserFromGetMe): Bot<BotContext> {
    const settings = loadSettings(this.env);
    const storage = createStorage(this.env);
    const workspace = (avatarId: string) => this.env.AVATAR_WORKSPACE.getByName(avatarId);
    const avatars = new AvatarService(repo, storage, settings.avatar, undefined, (avatarId) =>
      workspace(avatarId).discard(),
    );
    const lifecycle = new DataLifecycle(repo, storage, (avatar) => workspace(avatar.id).shutdown());
    const users = new UserService(repo, this.#user);
    return createBot(
      {
        settings,
        users,
        avatars,
        gallery: new GalleryService(repo, storage),
        metrics: new MetricsService(repo),
        credits: new CreditService(repo, settings.credits),
        payments: new PaymentService(repo, settings.packages),
        access: new AccessService(repo, settings, this.#access),
        forgetAccess: (telegramId) => this.env.CHAT_SESSION.getByName(String(telegramId)).forgetAccess(),
        session: this.#session,
        workspace,
        deleteUserData: async (userId) => {
          users.forget();
          await lifecycle.deleteUserData(userId);
          users.forget();
        },
      },
      info,
    );
  }

  /** The update stopped the object twice: the user hears that it did not go through. */
  async #giveUp(update: Update): Promise<void> {
    log("error", "telegram_update_abandoned", { updateId: update.update_id });
    const from = update.message?.from ?? update.callback_query?.from;
    if (!from) return;
    const api = telegramApi(loadSettings(this.env));
    const t = messagesFor(languageFromCode(from.language_code));
    if (update.callback_query) {
      await api
        .answerCallbackQuery(update.callback_query.id, { text: t.errors.generic, show_alert: true })
        .catch(() => undefined);
    } else {
      await api.sendMessage(from.id, t.errors.generic);
    }
  }
}
