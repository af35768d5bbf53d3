import { describe, expect, it } from "vitest";
import { AVATAR_STATUSES } from "../../src/domain/avatar";
import {
  AVATAR_TRANSITIONS,
  allTransitionPairs,
  applyTransition,
  canTrainAgain,
  canTransition,
} from "../../src/domain/avatar-lifecycle";
import { IllegalTransitionError } from "../../src/domain/errors";

// The spec's diagram, written out by hand so the table cannot drift from it unnoticed.
const ALLOWED = new Set([
  "DRAFT>PHOTOS_UPLOADING",
  "PHOTOS_UPLOADING>READY_FOR_TRAINING",
  "READY_FOR_TRAINING>TRAINING",
  "TRAINING>COMPLETED",
  "DRAFT>ERROR",
  "PHOTOS_UPLOADING>ERROR",
  "READY_FOR_TRAINING>ERROR",
  "TRAINING>ERROR",
  "ERROR>CANCELLED",
  "DRAFT>CANCELLED",
  // Added for training: cancelling a running training, and "Try again" after a failure.
  "TRAINING>CANCELLED",
  "ERROR>READY_FOR_TRAINING",
  // TRAINING is the intent recorded before fal is called; fal refusing the job undoes it.
  "TRAINING>READY_FOR_TRAINING",
  // "Train again" after a cancelled training (canTrainAgain keeps a cancelled draft out).
  "CANCELLED>READY_FOR_TRAINING",
]);

describe("avatar lifecycle", () => {
  it("covers every status", () => {
    expect(Object.keys(AVATAR_TRANSITIONS).sort()).toEqual([...AVATAR_STATUSES].sort());
  });

  it.each(allTransitionPairs())("%s → %s is allowed exactly when the diagram says so", (from, to) => {
    const allowed = ALLOWED.has(`${from}>${to}`);
    expect(canTransition(from, to)).toBe(allowed);
    if (allowed) {
      expect(applyTransition(from, to)).toBe(to);
    } else {
      const attempt = () => applyTransition(from, to);
      expect(attempt).toThrow(IllegalTransitionError);
      try {
        attempt();
      } catch (error) {
        expect(error).toMatchObject({ code: "illegal_transition", from, to });
      }
    }
  });

  it("has a terminal state with no way out", () => {
    expect(AVATAR_TRANSITIONS.COMPLETED).toEqual([]);
  });

  it("trains again after a failed or cancelled training, never a cancelled draft", () => {
    const started = new Date();
    expect(canTrainAgain({ status: "ERROR", trainingStartedAt: started })).toBe(true);
    expect(canTrainAgain({ status: "CANCELLED", trainingStartedAt: started })).toBe(true);
    expect(canTrainAgain({ status: "CANCELLED", trainingStartedAt: null })).toBe(false);
    expect(canTrainAgain({ status: "COMPLETED", trainingStartedAt: started })).toBe(false);
  });
});
