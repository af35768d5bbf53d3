import { describe, expect, it } from "vitest";
import { previewOffer } from "../../src/services/preview-offer";

const settings = (previewFreeOnce: boolean, preview: number) => ({ previewFreeOnce, credits: { preview } });

describe("what the next preview costs", () => {
  it("is free until one is delivered when PREVIEW_FREE_ONCE is on, then PREVIEW_CREDITS", () => {
    expect(previewOffer(settings(true, 10), false)).toEqual({ kind: "free" });
    expect(previewOffer(settings(true, 10), true)).toEqual({ kind: "paid", credits: 10 });
  });

  it("costs PREVIEW_CREDITS every time when PREVIEW_FREE_ONCE is off", () => {
    expect(previewOffer(settings(false, 25), false)).toEqual({ kind: "paid", credits: 25 });
    expect(previewOffer(settings(false, 25), true)).toEqual({ kind: "paid", credits: 25 });
  });

  it("with PREVIEW_CREDITS=0 there is the free one only, and with both off none", () => {
    expect(previewOffer(settings(true, 0), false)).toEqual({ kind: "free" });
    expect(previewOffer(settings(true, 0), true)).toEqual({ kind: "used" });
    expect(previewOffer(settings(false, 0), false)).toEqual({ kind: "none" });
  });
});
