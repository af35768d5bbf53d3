import { afterEach, describe, expect, it, vi } from "vitest";
import {
  ANSWER_GRACE_MS,
  BACKGROUND_TURNS,
  giveWayToHandOffs,
  handOff,
  inTurn,
  TURN_LEASE_MS,
} from "../../src/durable-objects/hand-offs";

/** A promise and the function that settles it. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("background work gives way to webhook hand-offs in the same isolate", () => {
  it("waits for a hand-off in flight, then goes on", async () => {
    const order: string[] = [];
    const request = gate();
    const handed = handOff(() => request.opened).then(() => order.push("hand-off answered"));
    const handling = giveWayToHandOffs(5_000).then(() => order.push("handling starts"));
    await scheduler.wait(20);
    expect(order).toEqual([]);
    request.open();
    await Promise.all([handed, handling]);
    expect(order).toEqual(["hand-off answered", "handling starts"]);
  });

  it("is woken when the last hand-off ends, long before its limit", async () => {
    const request = gate();
    const handed = handOff(() => request.opened);
    const started = Date.now();
    const handling = giveWayToHandOffs(5_000);
    await scheduler.wait(30);
    request.open();
    await Promise.all([handed, handling]);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("leaves the last answer its grace to leave before going on", async () => {
    await handOff(async () => {});
    const ended = Date.now();
    await giveWayToHandOffs(5_000);
    expect(Date.now() - ended).toBeGreaterThanOrEqual(ANSWER_GRACE_MS - 1);
  });

  it("does not wait when nothing was handed off lately", async () => {
    await scheduler.wait(ANSWER_GRACE_MS * 2);
    const order: string[] = [];
    const handling = giveWayToHandOffs(5_000).then(() => order.push("handling starts"));
    await scheduler.wait(1);
    expect(order).toEqual(["handling starts"]);
    await handling;
  });

  it("waits at most its limit behind a hand-off that does not settle", async () => {
    const request = gate();
    const stuck = handOff(() => request.opened);
    const started = Date.now();
    await giveWayToHandOffs(30);
    expect(Date.now() - started).toBeLessThan(2_000);
    request.open();
    await stuck;
  });

  it("counts a hand-off that fails as settled", async () => {
    await expect(handOff(() => Promise.reject(new Error("the object reset")))).rejects.toThrow("the object reset");
    const order: string[] = [];
    const handling = giveWayToHandOffs(5_000).then(() => order.push("handling starts"));
    await scheduler.wait(ANSWER_GRACE_MS * 3);
    expect(order).toEqual(["handling starts"]);
    await handling;
  });
});

describe("background turns", () => {
  it(`runs at most ${BACKGROUND_TURNS} at once, the rest in the order they came`, async () => {
    const gates = Array.from({ length: BACKGROUND_TURNS + 3 }, gate);
    const started: number[] = [];
    let running = 0;
    let most = 0;
    const works = gates.map((g, i) =>
      inTurn(async () => {
        started.push(i);
        running += 1;
        most = Math.max(most, running);
        await g.opened;
        running -= 1;
      }),
    );
    await scheduler.wait(20);
    expect(started).toEqual([...Array(BACKGROUND_TURNS).keys()]);
    gates[0]?.open();
    await scheduler.wait(20);
    expect(started.at(-1)).toBe(BACKGROUND_TURNS);
    for (const g of gates) g.open();
    await Promise.all(works);
    expect(started).toHaveLength(gates.length);
    expect(most).toBe(BACKGROUND_TURNS);
  });

  it("frees the turn of work that throws", async () => {
    const failures = Array.from({ length: BACKGROUND_TURNS * 2 }, () =>
      inTurn(() => Promise.reject(new Error("Telegram unreachable"))),
    );
    for (const failure of failures) await expect(failure).rejects.toThrow("Telegram unreachable");
    expect(await inTurn(async () => "still runs")).toBe("still runs");
  });

  it("stops counting a turn held past its lease, so a holder that is gone cannot stop the rest", async () => {
    const gone = gate();
    const holders = Array.from({ length: BACKGROUND_TURNS }, () => inTurn(() => gone.opened));
    let ran = false;
    const next = inTurn(async () => {
      ran = true;
    });
    await scheduler.wait(20);
    expect(ran).toBe(false);
    const now = Date.now();
    vi.spyOn(Date, "now").mockImplementation(() => now + TURN_LEASE_MS + 1);
    await next;
    expect(ran).toBe(true);
    vi.restoreAllMocks();
    gone.open();
    await Promise.all(holders);
  });
});
