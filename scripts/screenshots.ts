// `npm run screenshots -- <outdir>`: walks the playground in headless Chromium, once in English and
// once in Russian, and saves the screens a review looks at, each at phone width (390 px) and at
// desktop width, as <outdir>/<prefix>-<screen>-<lang>-<width>.png:
//   start               the empty chat before Start (the bot's description, where the bot sets one)
//   upload              an album of six photos and one file the bot refuses, as the user sees it
//   training-options    the training screen before it starts
//   training-progress   the training running, its bar moving
//   gallery             "My pictures" after one generated set
//
//   --prefix <name>   the files' first word (default "shot"; "before" / "after" for a closing note)
//   --until <screen>  end each walk after this screen (a quick retake of the first screens)
//   --readme          also refresh README's docs/playground.png (English, 960×1100, after the album)
//
// Buttons are found by what they say in either language, with the wording of several releases, so
// the same walk can be retaken after the labels change; a step that finds no button names the ones it saw.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type Browser, chromium, type Locator, type Page } from "playwright-core";

const CHROMIUM = "/usr/bin/chromium";
const WIDTHS = [
  { name: "390", width: 390, height: 844 },
  { name: "1280", width: 1280, height: 900 },
] as const;
const README_SHOT = { path: "docs/playground.png", width: 960, height: 1100 };

type Lang = "en" | "ru";
const WALKS: Record<Lang, { userId: string; avatarName: string }> = {
  en: { userId: "1001", avatarName: "Anna" },
  ru: { userId: "1002", avatarName: "Мария" },
};

/** Each step's button, as any release has worded it. */
const LABELS = {
  create: /Create avatar|Создать аватар/,
  character: /Character|Персонаж|^👤/,
  female: /Female|Женский|^👩/,
  done: /^✅|Done|Готово/,
  train: /^🚀 (Train|Обучить)|Train|Обучить/,
  startTraining: /Start training|Начать обучение/,
  generate: /Generate|Create pictures|Создать изображени|Создать фото/,
  preset: /Cinematic|Кинокадр|^🎬/,
  gallery: /My pictures|Мои изображения|Мои картинки|Галерея|Gallery/,
};

/** A status still counting: the upload shot waits until no message says this. */
const STILL_CHECKING = /⏳|Checking|Проверяю|проверяю/;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    prefix: { type: "string", default: "shot" },
    until: { type: "string" },
    readme: { type: "boolean", default: false },
  },
});
const outdir = positionals[0];
if (!outdir) {
  console.error("usage: npm run screenshots -- <outdir> [--prefix before|after] [--until <screen>] [--readme]");
  process.exit(2);
}
if (!existsSync(CHROMIUM)) {
  console.error(`no Chromium at ${CHROMIUM}: run \`npm run test:browser -- --install\` or apt-get install chromium`);
  process.exit(1);
}
mkdirSync(outdir, { recursive: true });

const { playground, pageUrl } = await startPlayground();
let browser: Browser | undefined;
let failed = false;
try {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"],
  });
  for (const lang of ["en", "ru"] as const) await walk(browser, lang);
} catch (error) {
  failed = true;
  console.error("screenshots: the walk broke:", error);
} finally {
  await browser?.close();
  await stopPlayground(playground);
}
process.exit(failed ? 1 : 0);

async function walk(browser: Browser, lang: Lang): Promise<void> {
  const { userId, avatarName } = WALKS[lang];
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  // The page keeps its user and language in localStorage: set them before it first renders.
  await context.addInitScript(
    ([user, language]) => {
      localStorage.setItem("playground.userId", user);
      localStorage.setItem("playground.language", language);
    },
    [userId, lang] as const,
  );
  const page = await context.newPage();
  await page.goto(pageUrl);
  await waitFor(page, () => page.getByTestId("start").isVisible(), "the Start button", 30_000);
  await settle(page, 800);
  if (await shoot(page, lang, "start")) return context.close();
  await page.getByTestId("start").click();
  await press(page, LABELS.create);
  await press(page, LABELS.character);
  await press(page, LABELS.female);
  await page.getByTestId("composer-input").fill(avatarName);
  await page.getByTestId("send").click();
  await settle(page);

  // Six photos and a GIF picked at once: the app sends them as one album, the GIF as a file.
  const photos = await Promise.all(
    Array.from({ length: 6 }, async (_, i) => ({
      name: `photo-${i + 1}.jpg`,
      mimeType: "image/jpeg",
      buffer: Buffer.from(await (await fetch(`${pageUrl}/samples/sample-${i + 1}.jpg`)).arrayBuffer()),
    })),
  );
  await page.getByTestId("attach-photo-input").setInputFiles([...photos, tinyGif()]);
  await waitFor(page, () => button(page, LABELS.done).count(), "the Done button after the album", 90_000);
  // The shot is of the finished batch: every photo checked, not "checking 4 more…".
  await waitFor(
    page,
    async () => (await page.getByTestId("message").filter({ hasText: STILL_CHECKING }).count()) === 0,
    "the photo checks to finish",
    90_000,
  ).catch((error: unknown) => console.warn(`screenshots: ${String(error)}`));
  await settle(page, 3000);
  if (await shoot(page, lang, "upload")) return context.close();

  await press(page, LABELS.done);
  await press(page, LABELS.train);
  if (await shoot(page, lang, "training-options")) return context.close();
  await press(page, LABELS.startTraining);
  await waitFor(
    page,
    async () =>
      (await page
        .getByTestId("message")
        .filter({ hasText: /\d+\s?%/ })
        .count()) > 0,
    "a training percentage",
    60_000,
  );
  if (await shoot(page, lang, "training-progress")) return context.close();

  await waitFor(page, () => button(page, LABELS.generate).count(), "the end of the training", 180_000);
  await press(page, LABELS.generate);
  await press(page, LABELS.preset);
  const album = page.getByTestId("album").and(page.locator('[data-from="bot"]'));
  await waitFor(page, async () => (await album.locator("img").count()) > 0, "the generated album", 90_000);
  await settle(page, 3000);
  if (values.readme && lang === "en") {
    await page.setViewportSize({ width: README_SHOT.width, height: README_SHOT.height });
    await settle(page, 800);
    await page.screenshot({ path: README_SHOT.path });
    console.log(`screenshots: ${README_SHOT.path}`);
  }
  const tapped = await press(page, LABELS.gallery);
  await settle(page, 3000);
  await shoot(page, lang, "gallery", await editedInPlace(page, tapped));
  await context.close();
}

function button(page: Page, label: RegExp) {
  return page.getByTestId("inline-button").filter({ hasText: label });
}

/**
 * Taps the newest button with this label and waits until the chat stops changing; returns the
 * message that held the button and its text then, to tell later whether the answer edited it.
 */
async function press(page: Page, label: RegExp): Promise<{ id: string | null; text: string | null }> {
  await waitFor(page, () => button(page, label).count(), `a button like ${label}`, 60_000);
  const target = button(page, label).last();
  const owner = page.locator(".message", { has: target }).last();
  const before = { id: await owner.getAttribute("data-message-id"), text: await owner.textContent() };
  await target.click();
  await settle(page);
  return before;
}

/** The tapped message, if the bot answered by editing it rather than by a new message. */
async function editedInPlace(
  page: Page,
  tapped: { id: string | null; text: string | null },
): Promise<Locator | undefined> {
  if (!tapped.id) return undefined;
  const message = page.locator(`.message[data-message-id="${tapped.id}"]`);
  if ((await message.count()) === 0 || (await message.textContent()) === tapped.text) return undefined;
  return message;
}

/** Waits until the chat's content has not changed for `quietMs` (the bot's reply and its edits are in). */
async function settle(page: Page, quietMs = 1500): Promise<void> {
  let last = "";
  let quietSince = Date.now();
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const now = await page.getByTestId("chat").innerHTML();
    if (now !== last) {
      last = now;
      quietSince = Date.now();
    } else if (Date.now() - quietSince >= quietMs) return;
    await page.waitForTimeout(250);
  }
}

async function waitFor(
  page: Page,
  check: () => Promise<number | boolean>,
  what: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await page.waitForTimeout(300);
  }
  const seen = await page.getByTestId("inline-button").allInnerTexts();
  throw new Error(`waited ${timeoutMs / 1000} s for ${what}; buttons on the page: ${JSON.stringify(seen)}`);
}

/**
 * One screen at each width, what the user sees: the chat follows the newest message, as the app does.
 * With `answer` (an answer edited into a message far up the chat) the chat is scrolled to it, as the
 * user would scroll to find it; whether answers arrive in sight is the upload shot's business.
 */
async function shoot(page: Page, lang: Lang, screen: string, answer?: Locator): Promise<boolean> {
  for (const { name, width, height } of WIDTHS) {
    await page.setViewportSize({ width, height });
    await settle(page, 800);
    if (answer) {
      await answer.evaluate((element) => element.scrollIntoView({ block: "center" }));
      await settle(page, 500);
    }
    const path = join(outdir as string, `${values.prefix}-${screen}-${lang}-${name}.png`);
    await page.screenshot({ path });
    console.log(`screenshots: ${path}`);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
  return values.until === screen;
}

/** A 1×1 GIF: a file the bot refuses (not JPEG, PNG or WebP), so the upload screen shows a refusal. */
function tinyGif() {
  return {
    name: "animation.gif",
    mimeType: "image/gif",
    buffer: Buffer.from("R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==", "base64"),
  };
}

async function startPlayground(): Promise<{ playground: ChildProcess; pageUrl: string }> {
  // The demo training lasts long enough to be caught at its bar.
  const child = spawn(process.execPath, ["scripts/playground.ts", "--port", "0", "--training-seconds", "30"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the playground did not start:\n${output}`)), 150_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const found = /Avatar Studio playground: (http:\/\/\S+)/.exec(output)?.[1];
      if (found) {
        clearTimeout(timer);
        resolve(found);
      }
    });
    child.on("exit", (code) => reject(new Error(`the playground exited with ${code}:\n${output}`)));
  });
  // Sanity: the run file names the same page (scripts/playground.ts writes it once the Worker is up).
  const run = JSON.parse(readFileSync(".wrangler/playground/run.json", "utf8")) as { pageUrl: string };
  if (run.pageUrl !== url) console.warn(`screenshots: run.json names ${run.pageUrl}, the playground printed ${url}`);
  return { playground: child, pageUrl: url };
}

/** Ctrl-C, as a person would: the playground stops the Worker's process group and the stand-ins itself. */
async function stopPlayground(child: ChildProcess): Promise<void> {
  if (!child.pid || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  process.kill(child.pid, "SIGINT");
  await exited;
}
