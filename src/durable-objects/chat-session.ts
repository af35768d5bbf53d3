import { DurableObject } from "cloudflare:workers";
import type { Update } from "grammy/types";
import { createBot } from "../bot/create-bot";
import { IDLE, type SessionState, type SessionStore } from "../bot/session";
import { loadSettings } from "../config/settings";
import { log } from "../log";
import { AvatarService } from "../services/avatar-service";
import { DataLifecycle } from "../services/data-lifecycle";
import { getBotInfo } from "../telegram/bot-info";
import { createRepository, createStorage } from "../wiring";

const SESSION_KEY = "session";

/**
 * One per Telegram user. Holds the chat's FSM state in durable storage and handles that
 * user's updates strictly one at a time, so double taps and retries cannot interleave.
 */
export class ChatSession extends DurableObject<Env> {
  #tail: Promise<unknown> = Promise.resolve();

  readonly #session: SessionStore = {
    get: async () => (await this.ctx.storage.get<SessionState>(SESSION_KEY)) ?? IDLE,
    set: async (state) => {
      if (state.state === "idle") await this.ctx.storage.delete(SESSION_KEY);
      else await this.ctx.storage.put(SESSION_KEY, state);
    },
  };

  /** Processes one update after every earlier one from this user; an update_id seen before is skipped. */
  async handleUpdate(update: Update): Promise<void> {
    const run = this.#tail.then(() => this.#process(update));
    this.#tail = run.catch(() => undefined);
    await run;
  }

  /** The chat's current FSM state (used by tests and diagnostics). */
  async getState(): Promise<SessionState> {
    return this.#session.get();
  }

  /** Liveness probe for /health. */
  async ping(): Promise<"ok"> {
    return "ok";
  }

  async #process(update: Update): Promise<void> {
    const settings = loadSettings(this.env);
    const repo = createRepository(this.env);
    if (await repo.isUpdateProcessed(update.update_id)) {
      log("info", "telegram_update_duplicate", { updateId: update.update_id });
      return;
    }
    const workspace = (avatarId: string) => this.env.AVATAR_WORKSPACE.getByName(avatarId);
    const avatars = new AvatarService(repo, createStorage(this.env), settings.avatar, undefined, (avatarId) =>
      workspace(avatarId).discard(),
    );
    const lifecycle = new DataLifecycle(repo, createStorage(this.env), (avatar) => workspace(avatar.id).shutdown());
    const bot = createBot(
      {
        settings,
        repo,
        avatars,
        session: this.#session,
        workspace,
        deleteUserData: (userId) => lifecycle.deleteUserData(userId),
      },
      await getBotInfo(settings, repo),
    );
    await bot.handleUpdate(update);
    await repo.markUpdateProcessed(update.update_id, new Date());
  }
}
