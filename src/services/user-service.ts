import type { Language, User } from "../domain/entities";
import type { Repository, TelegramProfile } from "../domain/repository";

/** An unchanged profile is written again (its last-seen time) at most this often. */
const REFRESH_MS = 10 * 60_000;

/**
 * What one chat remembers of its user between updates, kept by the chat's own session (the only
 * place that changes that user), so an update from an unchanged profile costs no database write.
 */
export interface UserMemory {
  known?: { user: User; profile: string; at: number };
}

/** The people who talk to the bot: who they are, the language they chose, what they have. */
export class UserService {
  constructor(
    private readonly repo: Repository,
    private readonly memory: UserMemory = {},
  ) {}

  /** The user behind an update: recorded on first sight, their name refreshed when it changes. */
  async signIn(profile: TelegramProfile, now: Date): Promise<User> {
    const key = JSON.stringify([profile.telegramId, profile.firstName, profile.lastName, profile.username]);
    const known = this.memory.known;
    if (known && known.profile === key && now.getTime() - known.at < REFRESH_MS) return known.user;
    const user = await this.repo.upsertUser(profile, now);
    this.memory.known = { user, profile: key, at: now.getTime() };
    return user;
  }

  async setLanguage(userId: string, language: Language): Promise<void> {
    await this.repo.setUserLanguage(userId, language);
    const known = this.memory.known;
    if (known?.user.id === userId) this.memory.known = { ...known, user: { ...known.user, languageCode: language } };
  }

  /** After the user's data is deleted: the next update records them afresh. */
  forget(): void {
    this.memory.known = undefined;
  }

  /** What the user has, for the deletion confirmation. */
  async countData(userId: string): Promise<{ avatars: number; photos: number; generations: number }> {
    return this.repo.countUserData(userId);
  }
}
