import { type Api, GrammyError, HttpError, type InlineKeyboard, InputFile } from "grammy";
import type { Settings } from "../config/settings";
import { errorFields, log } from "../log";
import { telegramApi } from "../telegram/api";

export interface Screen {
  text: string;
  keyboard: InlineKeyboard;
}

/**
 * What became of a message to the user. `blocked`: the user blocked the bot or deleted the chat
 * (403), so nothing is sent again; `failed`: Telegram could not be reached or kept refusing
 * after the retries; the caller decides whether its job can end without the message.
 */
export type Told = { kind: "sent"; messageId: number } | { kind: "blocked" } | { kind: "failed"; error: string };

/**
 * How a job tells the user how it went, in one place: edit a status message in place or send it
 * anew, albums and chat actions. Rate limits are waited out (retry_after, in the API transformer);
 * every other failure comes back as a value, never as a throw, so a job always reaches its end.
 */
export class ChatNotifier {
  readonly #api: Api;

  constructor(settings: Settings) {
    this.#api = telegramApi(settings);
  }

  /** Edits `messageId` in place when given; sends a new message when there is none or it is gone. */
  async show(chatId: number, messageId: number | undefined, screen: Screen): Promise<Told> {
    const options = { reply_markup: screen.keyboard };
    if (messageId !== undefined) {
      try {
        await this.#api.editMessageText(chatId, messageId, screen.text, options);
        return { kind: "sent", messageId };
      } catch (error) {
        if (error instanceof GrammyError && error.description.includes("message is not modified"))
          return { kind: "sent", messageId };
        // 400 for a message that is gone or too old to edit: send a fresh one instead.
        if (!(error instanceof GrammyError && error.error_code === 400)) return this.#failure(chatId, error);
      }
    }
    return this.send(chatId, screen);
  }

  /**
   * Moves a status to the bottom of the chat: sends `screen` anew, then retires `previous`. When
   * the new message cannot be sent (Telegram unreachable), `previous` is edited instead, so the
   * numbers are right even where the user must scroll for them.
   */
  async replace(chatId: number, previous: number | undefined, screen: Screen, retired: string): Promise<Told> {
    const sent = await this.send(chatId, screen);
    if (sent.kind === "failed" && previous !== undefined) return this.show(chatId, previous, screen);
    if (sent.kind === "sent" && previous !== undefined && previous !== sent.messageId) {
      await this.retire(chatId, previous, retired);
    }
    return sent;
  }

  /**
   * Takes an old status out of play: deleted, or, where Telegram will not delete it (older than
   * 48 hours), turned into `retired` without buttons. Failures leave it as it is.
   */
  async retire(chatId: number, messageId: number, retired: string): Promise<void> {
    try {
      await this.#api.deleteMessage(chatId, messageId);
      return;
    } catch (error) {
      if (!(error instanceof GrammyError && error.error_code === 400)) return;
    }
    await this.#api
      .editMessageText(chatId, messageId, retired, { reply_markup: { inline_keyboard: [] } })
      .catch(() => undefined);
  }

  /** A new message, which notifies the user (an outcome rather than progress). */
  async send(chatId: number, screen: Screen): Promise<Told> {
    try {
      const sent = await this.#api.sendMessage(chatId, screen.text, { reply_markup: screen.keyboard });
      return { kind: "sent", messageId: sent.message_id };
    } catch (error) {
      return this.#failure(chatId, error);
    }
  }

  /** Sends pictures: one as a photo with its (HTML) caption and keyboard, several as one album. */
  async sendPictures(
    chatId: number,
    pictures: Uint8Array[],
    caption: string,
    keyboard: InlineKeyboard,
  ): Promise<Told & { fileIds?: string[] }> {
    try {
      if (pictures.length === 1) {
        const sent = await this.#api.sendPhoto(chatId, new InputFile(pictures[0] as Uint8Array, "picture.jpg"), {
          caption,
          reply_markup: keyboard,
        });
        return { kind: "sent", messageId: sent.message_id, fileIds: [sent.photo?.at(-1)?.file_id ?? ""] };
      }
      const album = await this.#api.sendMediaGroup(
        chatId,
        pictures.map((bytes, i) => ({
          type: "photo" as const,
          media: new InputFile(bytes, `picture_${i + 1}.jpg`),
          ...(i === 0 ? { caption } : {}),
        })),
      );
      const fileIds = album.map((m) => ("photo" in m ? (m.photo?.at(-1)?.file_id ?? "") : ""));
      return { kind: "sent", messageId: album[0]?.message_id ?? 0, fileIds };
    } catch (error) {
      return this.#failure(chatId, error);
    }
  }

  /** Removes a status message that an outcome replaces; a failure only leaves it in place. */
  async remove(chatId: number, messageId: number): Promise<void> {
    await this.#api.deleteMessage(chatId, messageId).catch(() => undefined);
  }

  /** "sending photo…" in the chat header; purely a courtesy, so failures are ignored. */
  async action(chatId: number, action: "upload_photo" | "typing"): Promise<void> {
    await this.#api.sendChatAction(chatId, action).catch(() => undefined);
  }

  #failure(chatId: number, error: unknown): Told {
    if (error instanceof GrammyError && error.error_code === 403) {
      log("info", "telegram_user_blocked_bot", { chatId });
      return { kind: "blocked" };
    }
    log("warn", "telegram_send_failed", {
      chatId,
      network: error instanceof HttpError,
      ...errorFields(error),
    });
    return { kind: "failed", error: error instanceof Error ? error.message : String(error) };
  }
}
