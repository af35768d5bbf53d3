import { env } from "cloudflare:workers";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { jpeg, picture } from "../corpus/images";
import type { StoredMessage, TelegramStandIn } from "../stand-ins/telegram";
import { avatarsOf, rows, sessionOf, userIdOf } from "../support/db";
import { installStandIns, lastAnswer, newUser, say, send, tap } from "../support/harness";
import { avatarCollectingPhotos } from "../support/journeys";

let telegram: TelegramStandIn;
let user = newUser();
let photo: Uint8Array;

beforeAll(async () => {
  photo = await jpeg(picture(600, 560, 7));
});

beforeEach(() => {
  ({ telegram } = installStandIns());
  user = newUser();
});

const last = (): StoredMessage => telegram.lastBotMessage(user.id);
const lastText = () => last().text ?? "";
const sendPhoto = () => send(telegram.photoUpdate(user, [{ bytes: photo, width: 600, height: 560 }]));
const buttons = (message: StoredMessage): string[] =>
  (
    (message.reply_markup as { inline_keyboard?: Array<Array<{ text: string }>> } | undefined)?.inline_keyboard ?? []
  ).flatMap((row) => row.map((b) => b.text));
/** The photos stored for this test's user. */
const storedPhotos = async () =>
  (
    await rows<{ id: string }>(
      "SELECT p.id FROM avatar_photos p JOIN users u ON u.id = p.user_id WHERE u.telegram_id = ?",
      user.id,
    )
  ).length;
/** Every answer to a button press said nothing, or said something other than "out of date". */
const noStaleAnswers = () =>
  telegram.callsTo("answerCallbackQuery").every((c) => !String(c.params.text ?? "").includes("out of date"));

async function toStep(step: 1 | 2 | 3): Promise<void> {
  await say(telegram, user, "/start");
  await tap(telegram, user, "➕ Create avatar");
  if (step >= 2) await tap(telegram, user, "👤 Character");
  if (step >= 3) await tap(telegram, user, "👩 Female");
}

/** The wizard's step is on the bot's latest message, with live buttons, and no older copy has any. */
async function expectLiveStepAtBottom(step: string): Promise<void> {
  const message = last();
  expect(message.text).toContain(step);
  expect(await sessionOf(user.id)).toMatchObject({ messageId: message.message_id });
  const withButtons = telegram.chat(user.id).filter((m) => m.from_bot && buttons(m).includes("✖️ Cancel"));
  expect(withButtons.map((m) => m.message_id)).toEqual([message.message_id]);
}

describe("input at the wrong moment in the wizard", () => {
  it("answers text at step 1 about the type, shows the step again at the bottom, and it works", async () => {
    await toStep(1);
    const first = last();
    await say(telegram, user, "hello?");
    expect(lastText()).toContain("Choose the avatar's type with the buttons below.");
    expect(lastText()).not.toContain("didn't understand");
    await expectLiveStepAtBottom("Step 1 of 3");
    // The old copy is gone, so no button in sight is out of date.
    expect(telegram.messages.has(`${user.id}:${first.message_id}`)).toBe(false);
    await tap(telegram, user, "👤 Character");
    expect(lastText()).toContain("Step 2 of 3");
    expect(noStaleAnswers()).toBe(true);
  });

  it("answers text at step 2 about the gender, in Russian too", async () => {
    user = newUser("ru");
    await say(telegram, user, "/start");
    await tap(telegram, user, "➕ Создать аватар");
    await tap(telegram, user, "👤 Персонаж");
    await say(telegram, user, "я женщина");
    expect(lastText()).toContain("Выберите пол кнопками ниже.");
    expect(lastText()).toContain("Шаг 2 из 3");
    await tap(telegram, user, "👩 Женский");
    expect(lastText()).toContain("Шаг 3 из 3");
  });

  it("tells a photo sent at the name step to wait for the name, keeps nothing, and carries on", async () => {
    await toStep(3);
    await sendPhoto();
    expect(lastText()).toContain("Send the avatar's name first: the avatar does not exist until it has one.");
    expect(lastText()).toContain("I did not keep this photo; send it again after the name.");
    await expectLiveStepAtBottom("Step 3 of 3");
    expect(await storedPhotos()).toBe(0);
    expect((await avatarsOf(user.id))[0]).toMatchObject({ status: "DRAFT", name: null });
    await say(telegram, user, "Maria");
    expect(lastText()).toContain("Avatar Maria created");
  });

  it("tells a photo sent at step 1 that photos come after step 3", async () => {
    await toStep(1);
    await send(telegram.documentUpdate(user, photo, "me.jpg"));
    expect(lastText()).toContain("Photos come after step 3");
    await expectLiveStepAtBottom("Step 1 of 3");
  });

  it("answers a sticker or a voice message at any step about that step, never taking it as the name", async () => {
    await toStep(2);
    await send(telegram.stickerUpdate(user));
    expect(lastText()).toContain("Choose the gender with the buttons below.");
    await tap(telegram, user, "👩 Female");
    await send(telegram.voiceUpdate(user));
    expect(lastText()).toContain("Send the avatar's name as a text message.");
    await expectLiveStepAtBottom("Step 3 of 3");
    expect((await avatarsOf(user.id))[0]).toMatchObject({ status: "DRAFT", name: null });
  });

  it("re-shows the name step after a refused name, and the re-shown copy is the live one", async () => {
    await toStep(3);
    await say(telegram, user, "x".repeat(41));
    expect(lastText()).toContain("longer than 40 characters");
    await expectLiveStepAtBottom("Step 3 of 3");
    await tap(telegram, user, "✖️ Cancel");
    expect(lastText()).toContain("Cancel creating this avatar?");
  });

  it("goes one step back from the name and the gender, and the choice can be made again", async () => {
    await toStep(3);
    await tap(telegram, user, "⬅️ Back");
    expect(lastText()).toContain("Step 2 of 3");
    await tap(telegram, user, "⬅️ Back");
    expect(lastText()).toContain("Step 1 of 3");
    await tap(telegram, user, "🎨 Style");
    await tap(telegram, user, "👨 Male");
    await expectLiveStepAtBottom("Step 3 of 3");
    expect((await avatarsOf(user.id))[0]).toMatchObject({ status: "DRAFT", avatar_type: "STYLE", gender: "MALE" });
    expect(noStaleAnswers()).toBe(true);
  });

  it("takes the Cancel button off the name step once the avatar is created", async () => {
    await toStep(3);
    const step = last();
    await say(telegram, user, "Maria");
    expect(telegram.messages.get(`${user.id}:${step.message_id}`)?.reply_markup).toBeUndefined();
  });
});

describe("Create pressed again during the wizard", () => {
  it("moves the live step to the newest message and retires the old copy", async () => {
    await toStep(2);
    const older = last();
    await say(telegram, user, "/start");
    await tap(telegram, user, "➕ Create avatar");
    expect(lastText()).toContain("Step 2 of 3");
    expect(telegram.messages.has(`${user.id}:${older.message_id}`)).toBe(false);
    await expectLiveStepAtBottom("Step 2 of 3");
    await tap(telegram, user, "👩 Female");
    expect(lastText()).toContain("Step 3 of 3");
    expect(noStaleAnswers()).toBe(true);
    expect(await avatarsOf(user.id)).toHaveLength(1);
  });

  it("leaves the old copy as a plain line when Telegram no longer lets it be deleted", async () => {
    await toStep(1);
    const older = last();
    telegram.failNext("deleteMessage", 400, "Bad Request: message can't be deleted for everyone");
    await say(telegram, user, "/start");
    await tap(telegram, user, "➕ Create avatar");
    const retired = telegram.messages.get(`${user.id}:${older.message_id}`);
    expect(retired?.text).toBe("⬇️ Continued below.");
    expect(retired?.reply_markup).toBeUndefined();
    await expectLiveStepAtBottom("Step 1 of 3");
  });

  it("answers a wizard-cancel confirmation pressed after the avatar was created plainly", async () => {
    await toStep(3);
    await say(telegram, user, "/cancel");
    const confirmation = last();
    await say(telegram, user, "Maria");
    await send(
      telegram.callbackUpdate(user, confirmation.message_id, telegram.buttonData(confirmation, "Yes, cancel")),
    );
    expect(telegram.messages.get(`${user.id}:${confirmation.message_id}`)?.text).toContain(
      "This avatar has already been created, so nothing was cancelled.",
    );
    expect((await avatarsOf(user.id))[0]?.status).toBe("PHOTOS_UPLOADING");
  });
});

describe("input while photos are expected", () => {
  it.each([
    ["text", () => telegram.textUpdate(user, "here are my photos")],
    ["a sticker", () => telegram.stickerUpdate(user)],
    ["a voice message", () => telegram.voiceUpdate(user)],
  ])("answers %s about the upload, with Done, and keeps collecting", async (_what, update) => {
    const avatarId = await avatarCollectingPhotos(telegram, user, "Maria");
    await send(update());
    expect(lastText()).toContain("I am collecting photos for the avatar “Maria”.");
    expect(lastText()).not.toContain("didn't understand");
    expect(buttons(last())).toContain("✅ Done");
    expect(await sessionOf(user.id)).toEqual({ state: "uploading_photos", avatarId });
  });

  it("speaks of the avatar by a noun frame in Russian", async () => {
    user = newUser("ru");
    await avatarCollectingPhotos(telegram, user, "Мария");
    await say(telegram, user, "вот мои фото");
    expect(lastText()).toContain("Я собираю фотографии для аватара «Мария».");
  });
});

describe("/cancel while photos are expected", () => {
  it("pauses the upload and states how long the unfinished avatar is kept, in Russian too", async () => {
    user = newUser("ru");
    await avatarCollectingPhotos(telegram, user, "Мария");
    await say(telegram, user, "/cancel");
    expect(lastText()).toContain(
      "Незаконченный аватар хранится 7 дней после последнего изменения; продолжить до этого срока можно в разделе «Мои аватары».",
    );
    expect(await sessionOf(user.id)).toEqual({ state: "idle" });
  });
});

describe("a photo with nothing collecting", () => {
  it("offers to continue the avatar that was collecting, and keeps nothing", async () => {
    const avatarId = await avatarCollectingPhotos(telegram, user, "Maria");
    await say(telegram, user, "/cancel");
    await sendPhoto();
    expect(lastText()).toContain("so I did not keep this one");
    expect(lastText()).toContain("To add photos to the avatar “Maria”, press “Continue uploading”");
    expect(await storedPhotos()).toBe(0);
    await tap(telegram, user, "📤 Continue uploading");
    expect(await sessionOf(user.id)).toEqual({ state: "uploading_photos", avatarId });
  });
});

describe("a prompt expected", () => {
  async function waitingForPrompt(): Promise<string> {
    await say(telegram, user, "/start");
    const id = crypto.randomUUID();
    await env.DB.prepare(
      `INSERT INTO avatars (id, user_id, name, gender, avatar_type, status, fal_iterations, fal_priority, trigger_word, lora_rank, finetune_id, updated_at)
       VALUES (?, ?, 'Ann', 'FEMALE', 'CHARACTER', 'COMPLETED', 500, 'quality', ?, 32, 'https://v3.fal.media/files/lora/x.safetensors', 0)`,
    )
      .bind(id, await userIdOf(user.id), `ohx${id.slice(0, 7)}`)
      .run();
    await send(telegram.callbackUpdate(user, last().message_id, `gc:${id}`));
    expect(await sessionOf(user.id)).toEqual({ state: "waiting_prompt", avatarId: id });
    return id;
  }

  it("answers a sticker by asking for words, and keeps waiting", async () => {
    const avatarId = await waitingForPrompt();
    await send(telegram.stickerUpdate(user));
    expect(lastText()).toContain("Describe the picture in words, as a text message.");
    expect(buttons(last())).toEqual(["⬅️ Back"]);
    expect(await sessionOf(user.id)).toEqual({ state: "waiting_prompt", avatarId });
  });

  it("/cancel drops the prompt and leads back to the avatar's menu", async () => {
    await waitingForPrompt();
    await say(telegram, user, "/cancel");
    expect(lastText()).toContain("Your own prompt is cancelled; no picture was ordered.");
    expect(await sessionOf(user.id)).toEqual({ state: "idle" });
    await tap(telegram, user, "⬅️ Back");
    expect(lastText()).toContain("what shall we make?");
    expect(lastAnswer(telegram)).toBeUndefined();
  });
});
