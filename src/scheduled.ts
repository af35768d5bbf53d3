import { loadSettings } from "./config/settings";
import { errorFields, log } from "./log";
import { createRepository } from "./wiring";

/** Telegram stops re-delivering an update after a day; keep its id a while longer, then forget it. */
const PROCESSED_UPDATE_RETENTION_MS = 3 * 24 * 3600 * 1000;

/** The Cron Trigger's work; each job is bounded and safe to run again. */
export async function runScheduled(controller: ScheduledController, env: Env): Promise<void> {
  try {
    loadSettings(env);
    const repo = createRepository(env);
    const pruned = await repo.pruneProcessedUpdates(new Date(controller.scheduledTime - PROCESSED_UPDATE_RETENTION_MS));
    log("info", "cron_finished", { cron: controller.cron, prunedUpdates: pruned });
  } catch (error) {
    log("error", "cron_failed", { cron: controller.cron, ...errorFields(error) });
    throw error;
  }
}
