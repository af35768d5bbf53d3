import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";
import { createRepository } from "../../src/wiring";
import { jpeg, picture } from "../corpus/images";
import { type FalStandIn, pulidOutput } from "../stand-ins/fal";
import type { StandInUser, TelegramStandIn } from "../stand-ins/telegram";
import { drain, send, tap } from "./harness";
import { avatarCollectingPhotos } from "./journeys";

/** The preview before training, driven at the Worker's edges (test/integration/preview*.test.ts). */
export const workspace = (avatarId: string) => env.AVATAR_WORKSPACE.getByName(avatarId);

/** Five photos, the third a close-up the coach likes best (the largest face), and Done. */
export async function readyAvatar(telegram: TelegramStandIn, fal: FalStandIn, user: StandInUser): Promise<string> {
  const avatarId = await avatarCollectingPhotos(telegram, user);
  for (let i = 0; i < 5; i++) {
    fal.seeFaces(
      i === 2
        ? [{ x_min: 0.25, y_min: 0.15, x_max: 0.75, y_max: 0.75 }]
        : [{ x_min: 0.4, y_min: 0.3, x_max: 0.6, y_max: 0.55 }],
    );
    const bytes = await jpeg(picture(640, 600, 900 + i));
    await send(telegram.photoUpdate(user, [{ bytes, width: 640, height: 600 }]));
    await drain(avatarId);
  }
  await tap(telegram, user, /Done|Готово/);
  return avatarId;
}

/** The user's ledger entries but the welcome gift, oldest first, as [key, credits]. */
export async function ledger(user: StandInUser): Promise<Array<[string, number]>> {
  return (await createRepository(env).listLedgerEntries(user.id, 50))
    .filter((entry) => !entry.key.startsWith("free:"))
    .map((entry): [string, number] => [entry.key, entry.credits])
    .reverse();
}

export const balance = (user: StandInUser) => createRepository(env).getBalance(user.id);

/** The user's free allowance is this many credits: the welcome grant is then a no-op. */
export async function allowance(user: StandInUser, credits: number): Promise<void> {
  await createRepository(env).applyLedgerEntry({ userId: user.id, kind: "grant", credits, key: `free:${user.id}` });
}

export function buttonsOf(message: { reply_markup?: unknown }): string[] {
  const markup = message.reply_markup as { inline_keyboard?: { text: string }[][] } | undefined;
  return (markup?.inline_keyboard ?? []).flat().map((button) => button.text);
}

export const previewJobs = (fal: FalStandIn) => [...fal.jobs.values()].filter((job) => job.app === "fal-ai/flux-pulid");

export async function generations(avatarId: string) {
  return (
    await env.DB.prepare("SELECT * FROM generations WHERE avatar_id = ? ORDER BY created_at").bind(avatarId).all()
  ).results as Array<Record<string, unknown>>;
}

/** fal draws the latest preview job and calls the webhook; `nsfw` flags it. */
export async function falDrawsPreview(fal: FalStandIn, nsfw = false): Promise<void> {
  const job = previewJobs(fal).at(-1);
  if (!job) throw new Error("no preview job");
  const url = `https://v3.fal.media/files/pulid/${job.id}.jpg`;
  fal.media.set(url, { bytes: await jpeg(picture(448, 576, 77)), contentType: "image/jpeg" });
  fal.succeed(job.id, pulidOutput([url], String(job.input.prompt), [nsfw]));
  expect((await exports.default.fetch(await fal.webhook(job.id))).status).toBe(200);
}
