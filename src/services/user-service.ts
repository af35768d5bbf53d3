import type { Language, User } from "../domain/entities";
import type { Repository, TelegramProfile } from "../domain/repository";

/** The people who talk to the bot: who they are, the language they chose, what they have. */
export class UserService {
  constructor(private readonly repo: Repository) {}

  /** The user behind an update: recorded on first sight, their name refreshed on every later one. */
  async signIn(profile: TelegramProfile, now: Date): Promise<User> {
    return this.repo.upsertUser(profile, now);
  }

  async setLanguage(userId: string, language: Language): Promise<void> {
    await this.repo.setUserLanguage(userId, language);
  }

  /** What the user has, for the deletion confirmation. */
  async countData(userId: string): Promise<{ avatars: number; photos: number; generations: number }> {
    return this.repo.countUserData(userId);
  }
}
