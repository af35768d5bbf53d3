// The playground, driven by a real browser (Debian's Chromium through playwright-core): start,
// create an avatar, send six photos as an album and one as a file, press Done, train and watch the bar move,
// generate one preset and see the album. Run by `npm run test:browser` (part of `npm test`).
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { type Browser, chromium, type Locator, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const SCREENSHOT = process.env.PLAYGROUND_SCREENSHOT ?? ".tmp/playground.png";

let playground: ChildProcess;
let pageUrl: string;
let workerUrl: string;
let workerProcessGroup: number;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  playground = spawn(process.execPath, ["scripts/playground.ts", "--port", "0", "--training-seconds", "12"], {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  playground.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  pageUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the playground did not start:\n${output}`)), 120_000);
    playground.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const url = /Avatar Studio playground: (http:\/\/\S+)/.exec(output)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve(url);
      }
    });
    playground.on("exit", (code) => reject(new Error(`the playground exited with ${code}:\n${output}`)));
  });
  // What the playground started, by process id (scripts/playground.ts writes it once the Worker is up).
  ({ workerUrl, workerProcessGroup } = JSON.parse(readFileSync(".wrangler/playground/run.json", "utf8")));
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  page = await browser.newPage({ viewport: { width: 960, height: 1100 } });
  await page.goto(pageUrl);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  if (playground?.pid && playground.exitCode === null) {
    const exited = new Promise((resolve) => playground.once("exit", resolve));
    process.kill(playground.pid, "SIGINT");
    await exited;
  }
});

const bot = () => page.getByTestId("message").and(page.locator('[data-from="bot"]'));
const lastBot = () => bot().last();
const button = (label: string | RegExp) => page.getByTestId("inline-button").filter({ hasText: label }).last();

async function press(label: string | RegExp, then: string | RegExp): Promise<void> {
  await button(label).click();
  await expect.poll(() => lastBot().innerText(), { timeout: 20_000 }).toMatch(then);
}

async function textOf(locator: Locator): Promise<string> {
  return (await locator.innerText()).replace(/\s+/g, " ");
}

describe("the playground in a browser", () => {
  it("lives the whole journey: start, create, upload, train, generate", async () => {
    await expect.poll(() => page.getByTestId("start").isVisible(), { timeout: 20_000 }).toBe(true);
    await page.getByTestId("start").click();
    await expect.poll(() => lastBot().innerText(), { timeout: 20_000 }).toMatch(/I turn your photos/);

    await press("Create avatar", /Step 1 of 3/);
    await press("Character", /Step 2 of 3/);
    await press("Female", /Step 3 of 3/);
    await page.getByTestId("composer-input").fill("Anna");
    await page.getByTestId("send").click();
    await expect.poll(() => lastBot().innerText(), { timeout: 20_000 }).toMatch(/Avatar Anna created/);

    // Six photos, picked at once: Telegram sends them as one album.
    const files = await Promise.all(
      Array.from({ length: 6 }, async (_, i) => ({
        name: `photo-${i + 1}.jpg`,
        mimeType: "image/jpeg",
        buffer: Buffer.from(await (await fetch(`${pageUrl}/samples/sample-${i + 1}.jpg`)).arrayBuffer()),
      })),
    );
    await page.getByTestId("attach-photo-input").setInputFiles(files);
    const sent = page.getByTestId("album").and(page.locator('[data-from="user"]'));
    await expect.poll(() => sent.locator("img").count(), { timeout: 30_000 }).toBe(6);
    await expect.poll(() => lastBot().innerText(), { timeout: 60_000 }).toMatch(/6 of 50 photos/);
    expect(await textOf(lastBot())).toMatch(/Enough for training/);

    // One more as a file: the original bytes, sent as a document, shown as one in the chat.
    const original = Buffer.from(await (await fetch(`${pageUrl}/samples/sample-7.jpg`)).arrayBuffer());
    await page
      .getByTestId("attach-file-input")
      .setInputFiles({ name: "original.jpg", mimeType: "image/jpeg", buffer: original });
    const documentSent = page.getByTestId("message").and(page.locator('[data-from="user"]')).last();
    await expect.poll(() => documentSent.innerText(), { timeout: 30_000 }).toMatch(/original\.jpg/);
    await expect.poll(() => lastBot().innerText(), { timeout: 60_000 }).toMatch(/7 of 50 photos/);

    await press("Done", /ready for training with 7 photos/);
    await press("Train", /Train Anna/);
    await button("Start training").click();

    // The progress message is edited in place: one message, the same id, while its percentage moves.
    const progress = bot()
      .filter({ hasText: /Train Anna/ })
      .last();
    await expect.poll(() => progress.innerText(), { timeout: 30_000 }).toMatch(/\d+%/);
    const progressId = await progress.getAttribute("data-message-id");
    const messagesAtStart = await page.getByTestId("message").count();
    const seen = new Set<string>();
    await expect
      .poll(
        async () => {
          const percent = /(\d+)%/.exec(await progress.innerText())?.[1];
          if (percent) seen.add(percent);
          return seen.size;
        },
        { timeout: 60_000, interval: 500 },
      )
      .toBeGreaterThanOrEqual(2);
    expect(await progress.getAttribute("data-message-id")).toBe(progressId);
    expect(await page.getByTestId("message").count()).toBe(messagesAtStart);
    expect(await progress.innerText()).toMatch(/▰+▱*/);
    await expect.poll(() => lastBot().innerText(), { timeout: 60_000 }).toMatch(/trained and ready/);

    await press("Generate", /what shall we make/);
    // The header shows the bot's chat actions, as Telegram does; record every text it takes.
    await page.evaluate(`(() => {
      const status = document.querySelector("[data-testid=chat-status]");
      window.seenStatus = [];
      new MutationObserver(() => window.seenStatus.push(status.textContent)).observe(status, {
        childList: true, characterData: true, subtree: true,
      });
    })()`);
    await button("Cinematic").click();
    const album = page.getByTestId("album").and(page.locator('[data-from="bot"]'));
    await expect.poll(() => album.locator("img").count(), { timeout: 60_000 }).toBe(2);
    await expect
      .poll(() =>
        album
          .locator("img")
          .evaluateAll((imgs) => imgs.every((i) => (i as unknown as { naturalWidth: number }).naturalWidth > 0)),
      )
      .toBe(true);
    expect(await textOf(album)).toMatch(/cinematic film still/);
    await expect.poll(() => lastBot().innerText(), { timeout: 20_000 }).toMatch(/More like this/);
    expect(await page.evaluate("window.seenStatus")).toContain("sending photo…");

    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
  }, 300_000);

  it("keeps each user's chat apart: the second user starts from an empty chat", async () => {
    await page.getByTestId("user-switch").selectOption("1002");
    await expect.poll(() => page.getByTestId("message").count()).toBe(0);
    await expect.poll(() => page.getByTestId("start").isVisible()).toBe(true);
    await page.getByTestId("language-switch").selectOption("ru");
    await page.getByTestId("start").click();
    await expect.poll(() => lastBot().innerText(), { timeout: 20_000 }).toMatch(/Привет, Борис/);
    // Anna's avatar is not Boris's: his list is empty, in Russian.
    await press("Мои аватары", /У вас пока нет аватаров/);
    expect(await page.getByTestId("inline-button").filter({ hasText: "Anna" }).count()).toBe(0);
  }, 60_000);

  it("stops the Worker and both stand-ins on Ctrl-C", async () => {
    const exited = new Promise<number | null>((resolve) => playground.once("exit", resolve));
    process.kill(playground.pid as number, "SIGINT");
    expect(await exited).toBe(0);
    await expect(fetch(pageUrl)).rejects.toThrow();
    await expect(fetch(`${workerUrl}/health`)).rejects.toThrow();
    // Nothing of the Worker's process group (wrangler and workerd) is left.
    expect(() => process.kill(-workerProcessGroup, 0)).toThrow(expect.objectContaining({ code: "ESRCH" }));
  }, 30_000);
});
