import type { Settings } from "../config/settings";
import type { ObjectStorage } from "../domain/object-storage";
import type { Repository } from "../domain/repository";
import type { ChatNotifier } from "./notify";

/** The reasons an avatar's workspace wakes up; each job keeps one of its own. */
export type WakeKind = "photos" | "recheck" | "cleanup" | "training" | "generations";

/**
 * What a job gets from the avatar's workspace: its durable storage, its alarm, and the Worker's
 * repository, object store and Telegram. Built per call, so settings are read fresh each time.
 */
export interface Room {
  avatarId: string;
  settings: Settings;
  storage: DurableObjectStorage;
  repo: Repository;
  objects: ObjectStorage;
  notifier: ChatNotifier;
  /**
   * Wakes the workspace at `at` for `kind`; `replace` moves an existing wake instead of keeping the
   * earlier, unless that one is due at most `slackMs` before `at`.
   */
  wake(kind: WakeKind, at: number, replace?: boolean, slackMs?: number): Promise<void>;
  /** Forgets a wake of this kind (the job has nothing more to do). */
  unwake(kind: WakeKind): void;
}
