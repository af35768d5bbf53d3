import { unzipSync } from "fflate";
import { expect } from "vitest";
import type { StandInUser, TelegramStandIn } from "../stand-ins/telegram";
import { avatarsOf } from "./db";
import { say, tap } from "./harness";

/** Creates an avatar through the wizard and leaves the chat collecting its photos. */
export async function avatarCollectingPhotos(
  telegram: TelegramStandIn,
  user: StandInUser,
  name = "Me",
): Promise<string> {
  await say(telegram, user, "/start");
  await tap(telegram, user, /Create|Создать/);
  await tap(telegram, user, /Character|Персонаж/);
  await tap(telegram, user, /Female|Женский/);
  await say(telegram, user, name);
  const avatar = (await avatarsOf(user.id)).find((a) => a.name === name);
  if (!avatar) throw new Error("the wizard did not create the avatar");
  return avatar.id;
}

/**
 * Downloads the archive fal is handed and checks it is what a training needs: flat, normalised names,
 * one JPEG per photo, the processed crops and never the originals the user sent.
 */
export async function expectTrainingArchive(link: string, originals: Uint8Array[]): Promise<void> {
  const archive = await fetch(link);
  expect(archive.status).toBe(200);
  const files = unzipSync(new Uint8Array(await archive.arrayBuffer()));
  expect(Object.keys(files)).toEqual(originals.map((_, i) => `image_${String(i + 1).padStart(3, "0")}.jpg`));
  for (const content of Object.values(files)) {
    expect([content[0], content[1]]).toEqual([0xff, 0xd8]);
    expect(originals.some((p) => p.length === content.length && p.every((b, i) => b === content[i]))).toBe(false);
  }
}
