import { beforeEach, describe, expect, it } from "vitest";
import type { TelegramStandIn } from "../stand-ins/telegram";
import { avatarsOf, sessionOf } from "../support/db";
import { installStandIns, lastAnswer, newUser, say, send, tap } from "../support/harness";

let telegram: TelegramStandIn;
let user = newUser();

beforeEach(() => {
  ({ telegram } = installStandIns());
  user = newUser();
});

const lastText = () => telegram.lastBotMessage(user.id).text ?? "";

async function toNameStep(): Promise<void> {
  await say(telegram, user, "/start");
  await tap(telegram, user, "➕ Create avatar");
  await tap(telegram, user, "👤 Character");
  await tap(telegram, user, "👩 Female");
}

describe("the creation wizard", () => {
  it("walks type → gender → name and opens the avatar for photos", async () => {
    await say(telegram, user, "/start");
    expect(lastText()).toContain("Hi, Anna!");

    await tap(telegram, user, "➕ Create avatar");
    expect(lastText()).toContain("Step 1 of 3");
    expect(lastText()).toContain("Character: your face and look");
    const [draft] = await avatarsOf(user.id);
    expect(draft).toMatchObject({
      status: "DRAFT",
      name: null,
      fal_iterations: 500,
      fal_priority: "quality",
      lora_rank: 32,
    });
    expect(draft?.trigger_word).toMatch(/^ohx[a-z]{7}$/);

    await tap(telegram, user, "👤 Character");
    expect(lastText()).toContain("Step 2 of 3");
    await tap(telegram, user, "👩 Female");
    expect(lastText()).toContain("Step 3 of 3");
    expect(await sessionOf(user.id)).toMatchObject({ state: "waiting_name", avatarId: draft?.id });

    await say(telegram, user, "  Summer look  ");
    expect(lastText()).toContain("Avatar Summer look created");
    expect(lastText()).toContain("5 to 50 photos");
    expect(lastText()).toContain("JPEG, PNG or WEBP, up to 10 MB");

    const [avatar] = await avatarsOf(user.id);
    expect(avatar).toMatchObject({
      id: draft?.id,
      status: "PHOTOS_UPLOADING",
      name: "Summer look",
      avatar_type: "CHARACTER",
      gender: "FEMALE",
      fal_mode: "character",
      photos_count: 0,
    });
    expect(await sessionOf(user.id)).toEqual({ state: "uploading_photos", avatarId: avatar?.id });
    // Every answer to a button press was given, so no client spinner is left turning.
    expect(telegram.callsTo("answerCallbackQuery").every((c) => c.ok)).toBe(true);
  });

  it("goes on when Telegram fails to take a button's answer", async () => {
    await say(telegram, user, "/start");
    await tap(telegram, user, "➕ Create avatar");
    // Only the spinner's answer is lost; the press still moves the wizard on.
    telegram.failNext("answerCallbackQuery", 500, "Internal Server Error");
    await tap(telegram, user, "👤 Character");
    expect(lastText()).toContain("Step 2 of 3");
    await tap(telegram, user, "👩 Female");
    expect(lastText()).toContain("Step 3 of 3");
  });

  it("speaks Russian to a Russian-language user", async () => {
    user = newUser("ru");
    await say(telegram, user, "/start");
    expect(lastText()).toContain("Привет, Иван!");
    await tap(telegram, user, "➕ Создать аватар");
    expect(lastText()).toContain("Шаг 1 из 3");
  });

  it.each([
    ["type", async () => undefined],
    ["gender", async () => tap(telegram, user, "🎨 Style")],
    [
      "name",
      async () => {
        await tap(telegram, user, "🎨 Style");
        await tap(telegram, user, "🧑 Other");
      },
    ],
  ])("cancels at the %s step after confirmation: DRAFT → CANCELLED", async (_step, reachStep) => {
    await say(telegram, user, "/start");
    await tap(telegram, user, "➕ Create avatar");
    await reachStep();
    await tap(telegram, user, "✖️ Cancel");
    expect(lastText()).toContain("Cancel creating this avatar?");
    expect((await avatarsOf(user.id))[0]?.status).toBe("DRAFT");

    await tap(telegram, user, "Yes, cancel");
    expect(lastText()).toContain("Avatar creation cancelled.");
    expect((await avatarsOf(user.id)).map((a) => a.status)).toEqual(["CANCELLED"]);
    expect(await sessionOf(user.id)).toEqual({ state: "idle" });
  });

  it("goes back to the same step when the user changes their mind about cancelling", async () => {
    await say(telegram, user, "/start");
    await tap(telegram, user, "➕ Create avatar");
    await tap(telegram, user, "👤 Character");
    await tap(telegram, user, "✖️ Cancel");
    await tap(telegram, user, "No, continue");
    expect(lastText()).toContain("Step 2 of 3");
    expect((await avatarsOf(user.id))[0]?.status).toBe("DRAFT");
  });

  it("makes one avatar from two fast taps on Create", async () => {
    await say(telegram, user, "/start");
    const menu = telegram.lastBotMessage(user.id);
    const data = telegram.buttonData(menu, "➕ Create avatar");
    await Promise.all([
      send(telegram.callbackUpdate(user, menu.message_id, data)),
      send(telegram.callbackUpdate(user, menu.message_id, data)),
    ]);
    expect(await avatarsOf(user.id)).toHaveLength(1);
    // The second tap lands on the message the first one turned into step 1: the live step, not "out of date".
    expect(telegram.callsTo("answerCallbackQuery").map((c) => c.params.text)).toEqual([undefined, undefined]);
    expect(lastText()).toContain("Step 1 of 3");
  });

  it("resumes the unfinished avatar when Create is pressed on another menu", async () => {
    await say(telegram, user, "/start");
    await tap(telegram, user, "➕ Create avatar");
    await tap(telegram, user, "👤 Character");
    await say(telegram, user, "/start");
    await tap(telegram, user, "➕ Create avatar");
    expect(lastText()).toContain("Step 2 of 3");
    expect(await avatarsOf(user.id)).toHaveLength(1);
  });

  it("answers a stale button politely and changes nothing", async () => {
    await say(telegram, user, "/start");
    await tap(telegram, user, "➕ Create avatar");
    const typeMessage = telegram.lastBotMessage(user.id);
    const styleData = telegram.buttonData(typeMessage, "🎨 Style");
    await tap(telegram, user, "👤 Character");
    // The same message now shows step 2; an old client still sends the step-1 payload.
    await send(telegram.callbackUpdate(user, typeMessage.message_id, styleData));
    expect(lastAnswer(telegram)).toBe("This button is out of date. Use the latest message, or /start.");
    expect((await avatarsOf(user.id))[0]?.avatar_type).toBe("CHARACTER");
    expect(await sessionOf(user.id)).toMatchObject({ state: "selecting_gender" });
  });

  it.each([
    ["   ", "The name is empty"],
    ["x".repeat(41), "longer than 40 characters"],
    ["bad\u0007name", "invisible or control characters"],
    ["right\u202Eto-left", "invisible or control characters"],
  ])("refuses the name %j and keeps asking", async (name, message) => {
    await toNameStep();
    await say(telegram, user, name);
    expect(lastText()).toContain(message);
    expect((await avatarsOf(user.id))[0]).toMatchObject({ status: "DRAFT", name: null });
    expect(await sessionOf(user.id)).toMatchObject({ state: "waiting_name" });
  });

  it("accepts exactly 40 characters and escapes markup wherever the name is shown", async () => {
    await toNameStep();
    const name = "<b>Tom & Jerry</b>".padEnd(40, "!");
    await say(telegram, user, name);
    expect(lastText()).toContain(`Avatar ${name} created`);
    expect(telegram.calls.every((c) => c.ok)).toBe(true);
    expect((await avatarsOf(user.id))[0]?.name).toBe(name);
  });

  it("/cancel during the wizard asks before discarding", async () => {
    await toNameStep();
    await say(telegram, user, "/cancel");
    expect(lastText()).toContain("Cancel creating this avatar?");
    await tap(telegram, user, "Yes, cancel");
    expect((await avatarsOf(user.id))[0]?.status).toBe("CANCELLED");
  });

  it("/help works in the middle of the wizard and the wizard carries on", async () => {
    await toNameStep();
    await say(telegram, user, "/help");
    expect(lastText()).toContain("How it works");
    await say(telegram, user, "Ann");
    expect((await avatarsOf(user.id))[0]).toMatchObject({ status: "PHOTOS_UPLOADING", name: "Ann" });
  });

  it("/cancel while uploading pauses the upload and keeps the avatar", async () => {
    await toNameStep();
    await say(telegram, user, "Ann");
    await say(telegram, user, "/cancel");
    expect(lastText()).toContain("Photo upload paused");
    // The retention sweep's deadline, so "continue any time" is never a promise it breaks.
    expect(lastText()).toContain("An unfinished avatar is kept for 7 days after its last change");
    expect((await avatarsOf(user.id))[0]?.status).toBe("PHOTOS_UPLOADING");
    expect(await sessionOf(user.id)).toEqual({ state: "idle" });
  });

  it("/cancel with nothing going on says so", async () => {
    await say(telegram, user, "/cancel");
    expect(lastText()).toContain("There is nothing running to cancel");
  });

  it("answers text it does not expect with the menu", async () => {
    await say(telegram, user, "hello?");
    expect(lastText()).toContain("I can only read button presses and commands here");
  });

  it("switches language from the menu", async () => {
    await say(telegram, user, "/start");
    await tap(telegram, user, "🌐 Language");
    await tap(telegram, user, "🇷🇺 Русский");
    expect(lastAnswer(telegram)).toBe("Язык переключён на русский.");
    expect(lastText()).toContain("Главное меню");
    await say(telegram, user, "/help");
    expect(lastText()).toContain("Как это работает");
  });
});
