import type { Context } from "grammy";
import type { Settings } from "../config/settings";
import type { Language, User } from "../domain/entities";
import type { AvatarWorkspace } from "../durable-objects/avatar-workspace";
import type { AccessService } from "../services/access";
import type { AvatarService } from "../services/avatar-service";
import type { CreditService } from "../services/credit-service";
import type { GalleryService } from "../services/gallery-service";
import type { MetricsService } from "../services/metrics";
import type { PaymentService } from "../services/payment-service";
import type { UserService } from "../services/user-service";
import type { Action } from "./callback-data";
import type { Messages } from "./locales";
import type { SessionStore } from "./session";

/** What every handler needs, built once per update by createBot's caller. */
export interface BotDeps {
  settings: Settings;
  users: UserService;
  avatars: AvatarService;
  gallery: GalleryService;
  metrics: MetricsService;
  credits: CreditService;
  payments: PaymentService;
  /** Who may use the bot (also for the payment checks: `access.isAllowed(telegramId)`). */
  access: AccessService;
  /** Drops what a user's chat session remembers of their access rule, after /allow or /deny. */
  forgetAccess: (telegramId: number) => Promise<void>;
  session: SessionStore;
  /** Deletes everything of a user (/deletemydata). */
  deleteUserData: (userId: string) => Promise<void>;
  /** The avatar's Durable Object, which owns its photos. */
  workspace: (avatarId: string) => DurableObjectStub<AvatarWorkspace>;
}

export type BotContext = Context & {
  deps: BotDeps;
  user: User;
  lang: Language;
  t: Messages;
  /** The parsed callback payload, or null for non-callback updates and unknown payloads. */
  action: Action | null;
};
