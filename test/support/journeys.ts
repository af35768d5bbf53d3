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
