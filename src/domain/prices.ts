import type { FalPriority } from "./avatar";

/** What the operator charges, in credits (the `*_CREDITS` settings). */
export interface Prices {
  free: number;
  trainingPer100Steps: Readonly<Record<FalPriority, number>>;
  picture: number;
  /** A preview before training beyond the free one (PREVIEW_CREDITS). */
  preview: number;
}

/** A training's price: its priority's rate per 100 steps, rounded up to a whole credit. */
export function trainingPrice(prices: Prices, avatar: { falPriority: FalPriority; falIterations: number }): number {
  return Math.ceil((prices.trainingPer100Steps[avatar.falPriority] * avatar.falIterations) / 100);
}

/** A generation's price as asked: every picture it may deliver (those not delivered are released). */
export function generationPrice(prices: Prices, pictures: number): number {
  return prices.picture * pictures;
}
