import { describe, expect, it } from "vitest";
import { STEP_PIXELS } from "../../src/images/jpeg-codec";
import { photoImages } from "../../src/images/prepare";
import { jpeg, picture } from "../corpus/images";

describe("a photo's preparation pauses between its steps", () => {
  it("awaits the pause between the bands of the decodes, the resizes and the encodes, with the same result", async () => {
    const bytes = await jpeg(picture(2400, 1800, 11), { quality: 90 });
    const header = photoImages.readHeader(bytes);
    if (!header) throw new Error("no header");
    const upright = await photoImages.decodeUpright(bytes, "JPEG", header);
    // The decode pauses between its bands of rows: 2400×1800 at 4/8 is 1200×900, 109 rows a band.
    let decodePauses = 0;
    const pausedDecode = await photoImages.decodeUpright(bytes, "JPEG", header, async () => {
      decodePauses += 1;
      await scheduler.wait(0);
    });
    expect(decodePauses).toBe(Math.ceil(900 / Math.floor(STEP_PIXELS / 1200)));
    expect(pausedDecode.raster.data).toEqual(upright.raster.data);
    const face = { x: 0.4, y: 0.3, width: 0.15, height: 0.2 };
    for (const box of [null, face]) {
      const plain = await photoImages.prepare(upright, box);
      const steps: string[] = [];
      let inside = 0;
      const paused = await photoImages.prepare(upright, box, async () => {
        inside += 1;
        steps.push("pause");
        // A real turn of the event loop, as the photo queue's pause takes.
        await scheduler.wait(0);
        inside -= 1;
      });
      // Each resize and encode in bands of STEP_PIXELS, and a pause between them: far more than one per step.
      expect(steps.length).toBeGreaterThanOrEqual(box ? 20 : 12);
      expect(inside).toBe(0);
      expect(new Uint8Array(paused.processed)).toEqual(new Uint8Array(plain.processed));
      expect(new Uint8Array(paused.thumbnail)).toEqual(new Uint8Array(plain.thumbnail));
      expect(paused.perceptualHash).toBe(plain.perceptualHash);
      expect(paused.quality).toEqual(plain.quality);
    }
  }, 60_000);

  it("two photos prepared at once, pausing in turn, each get their own codec and their own result", async () => {
    const a = await jpeg(picture(1600, 1200, 21), { quality: 90 });
    const b = await jpeg(picture(1200, 1600, 22), { quality: 90 });
    const upright = async (bytes: Uint8Array) => {
      const header = photoImages.readHeader(bytes);
      if (!header) throw new Error("no header");
      return photoImages.decodeUpright(bytes, "JPEG", header);
    };
    const [ua, ub] = [await upright(a), await upright(b)];
    const alone = [await photoImages.prepare(ua, null), await photoImages.prepare(ub, null)];
    const pause = () => scheduler.wait(1);
    const together = await Promise.all([photoImages.prepare(ua, null, pause), photoImages.prepare(ub, null, pause)]);
    for (const [i, prepared] of together.entries()) {
      expect(new Uint8Array(prepared.processed)).toEqual(new Uint8Array(alone[i]?.processed ?? new ArrayBuffer(0)));
      expect(prepared.processedWidth).toBe(alone[i]?.processedWidth);
    }
  }, 60_000);
});
