import { describe, expect, it } from "vitest";
import { giveWayToHandOffs, handOff } from "../../src/durable-objects/hand-offs";

describe("handling gives way to webhook hand-offs in the same isolate", () => {
  it("waits for a hand-off in flight, then goes on", async () => {
    const order: string[] = [];
    let finish = () => {};
    const handed = handOff(
      () =>
        new Promise<void>((resolve) => {
          finish = resolve;
        }),
    ).then(() => order.push("hand-off answered"));
    const handling = giveWayToHandOffs(5_000).then(() => order.push("handling starts"));
    await scheduler.wait(20);
    expect(order).toEqual([]);
    finish();
    await Promise.all([handed, handling]);
    expect(order).toEqual(["hand-off answered", "handling starts"]);
  });

  it("does not wait when nothing is handed off", async () => {
    const order: string[] = [];
    const handling = giveWayToHandOffs(5_000).then(() => order.push("handling starts"));
    await scheduler.wait(20);
    expect(order).toEqual(["handling starts"]);
    await handling;
  });

  it("waits at most its limit behind a hand-off that does not settle", async () => {
    let finish = () => {};
    const stuck = handOff(
      () =>
        new Promise<void>((resolve) => {
          finish = resolve;
        }),
    );
    await giveWayToHandOffs(30);
    finish();
    await stuck;
  });

  it("counts a hand-off that fails as settled", async () => {
    await expect(handOff(() => Promise.reject(new Error("the object reset")))).rejects.toThrow("the object reset");
    const order: string[] = [];
    const handling = giveWayToHandOffs(5_000).then(() => order.push("handling starts"));
    await scheduler.wait(20);
    expect(order).toEqual(["handling starts"]);
    await handling;
  });
});
