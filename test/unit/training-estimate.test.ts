import { describe, expect, it } from "vitest";
import { messagesFor } from "../../src/bot/locales";
import { renderTrainingProgress } from "../../src/bot/screens/training";
import type { Avatar } from "../../src/domain/entities";
import { expectedTrainingMinutes, FAST_TRAINER, PORTRAIT_TRAINER } from "../../src/domain/training-plan";

const started = new Date("2026-05-01T10:00:00Z");
const avatar = (progress: number): Avatar =>
  ({
    id: "a",
    name: "Maria",
    avatarType: "CHARACTER",
    falPriority: "balanced",
    falIterations: 500,
    falEndpoint: FAST_TRAINER,
    photosCount: 8,
    trainingProgress: progress,
    trainingStartedAt: started,
  }) as Avatar;
const after = (ms: number) => new Date(started.getTime() + ms);
const screen = (progress: number, ms: number, language: "en" | "ru" = "en") =>
  renderTrainingProgress(messagesFor(language), avatar(progress), { kind: "running", logs: [] } as never, after(ms))
    .text;

describe("the training's time words", () => {
  it("come from one estimate, set by the trainer and its steps", () => {
    expect(expectedTrainingMinutes(FAST_TRAINER, 500)).toBe(7);
    expect(expectedTrainingMinutes(FAST_TRAINER, 1000)).toBe(12);
    expect(expectedTrainingMinutes(PORTRAIT_TRAINER, 1000)).toBe(17);
    expect(messagesFor("en").training.expected(7)).toBe("⏱ Usually takes about 7 minutes.");
    // At the start the time left is the estimate the training screen named.
    expect(screen(0, 0)).toContain("Running for less than a minute.\nAbout 7 minutes left.");
  });

  it("never says about 1 min left beside 0 min elapsed: a quick early jump keeps the estimate", () => {
    expect(screen(50, 20_000)).toContain("Running for less than a minute.\nAbout 7 minutes left.");
    expect(screen(50, 3 * 60_000)).toContain("Running for 3 minutes.\nAbout 3 minutes left.");
  });

  it("says finishing up, never zero or a negative time, once the estimate has run out", () => {
    expect(screen(0, 9 * 60_000)).toContain("Running for 9 minutes.\nFinishing up…");
    expect(screen(99, 30 * 60_000)).toContain("Finishing up…");
    expect(screen(0, 9 * 60_000, "ru")).toContain("Обучение идёт уже 9 минут.\nЗавершаю…");
    for (const ms of [0, 30_000, 6 * 60_000, 7 * 60_000, 60 * 60_000])
      for (const progress of [0, 1, 10, 50, 90, 100]) expect(screen(progress, ms)).not.toMatch(/About (0|-\d+) minute/);
  });
});
