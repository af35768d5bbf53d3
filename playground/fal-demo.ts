/**
 * Demo mode for the fal stand-in: it drives the jobs the queue accepts as fal would, over time.
 * A training downloads the avatar's archive, sits in the queue, logs its steps for about twenty
 * seconds, then completes and delivers a signed webhook. A generation answers with pictures made
 * from the avatar's own crops (from that archive), graded by the prompt, so the loop looks real.
 * It only ever runs behind FAL_BASE_URL in the playground; the Worker talks to fal without it.
 */
import { unzipSync } from "fflate";
import { decodeJpegRaster, encodeJpegRaster, type Raster, resizeRaster } from "../src/images/codecs";
import type { FalStandIn, QueueJob } from "../test/stand-ins/fal";
import { gradeFor } from "./grades";

export interface FalDemoOptions {
  /** Where the stand-in's CDN lives (generated images and LoRA files are served from here). */
  mediaOrigin: string;
  trainingSeconds?: number;
  log?: (line: string) => void;
}

/** Output sizes of fal's `image_size` presets, scaled down for a laptop. */
const SIZES: Record<string, { width: number; height: number }> = {
  square_hd: { width: 768, height: 768 },
  portrait_4_3: { width: 672, height: 896 },
  portrait_16_9: { width: 576, height: 1024 },
  landscape_16_9: { width: 1024, height: 576 },
};

export class FalDemo {
  readonly #fal: FalStandIn;
  readonly #options: Required<FalDemoOptions>;
  /** Each trained LoRA's URL → the crops it was "trained" on. */
  readonly #crops = new Map<string, Uint8Array[]>();

  constructor(fal: FalStandIn, options: FalDemoOptions) {
    this.#fal = fal;
    this.#options = { trainingSeconds: 20, log: () => {}, ...options };
    fal.onSubmit = (job) => {
      const run =
        job.app === "fal-ai/flux-lora"
          ? this.#generate(job)
          : job.app === "fal-ai/flux-pulid"
            ? this.#preview(job)
            : this.#train(job);
      run.catch((error: unknown) => this.#options.log(`fal demo: job ${job.id} broke: ${String(error)}`));
    };
  }

  async #train(job: QueueJob): Promise<void> {
    const crops = await this.#downloadCrops(String(job.input.images_data_url ?? ""));
    if (!crops) {
      this.#fal.fail(job.id);
      return this.#deliver(job);
    }
    await sleep(2000);
    if (job.cancelRequested) return;
    job.state = "IN_PROGRESS";
    const steps = Number(job.input.steps ?? 1000);
    job.logs.push(`Preparing ${crops.length} images: captioning and face masks`);
    job.logs.push("Loading FLUX.1 [dev] base model");
    const ticks = Math.max(4, this.#options.trainingSeconds - 2);
    for (let tick = 1; tick <= ticks; tick++) {
      await sleep(1000);
      if (job.cancelRequested) return;
      const step = Math.round((steps * tick) / ticks);
      const loss = (0.42 * Math.exp(-2.2 * (tick / ticks)) + 0.05).toFixed(4);
      job.logs.push(`Training step ${step}/${steps}, loss ${loss}`);
    }
    const lora = `${this.#options.mediaOrigin}/files/lora/${job.id}/pytorch_lora_weights.safetensors`;
    const config = `${this.#options.mediaOrigin}/files/lora/${job.id}/config.json`;
    this.#fal.media.set(lora, {
      bytes: new TextEncoder().encode("demo LoRA"),
      contentType: "application/octet-stream",
    });
    this.#fal.media.set(config, { bytes: new TextEncoder().encode("{}"), contentType: "application/json" });
    this.#crops.set(lora, crops);
    this.#fal.succeed(job.id, {
      diffusers_lora_file: {
        url: lora,
        content_type: "application/octet-stream",
        file_name: "pytorch_lora_weights.safetensors",
        file_size: 9,
      },
      config_file: { url: config, content_type: "application/json", file_name: "config.json", file_size: 2 },
    });
    this.#options.log(`fal demo: training ${job.id} done on ${crops.length} crops`);
    await this.#deliver(job);
  }

  async #generate(job: QueueJob): Promise<void> {
    await sleep(1000);
    job.state = "IN_PROGRESS";
    job.logs.push("Loading LoRA weights");
    await sleep(2000);
    if (job.cancelRequested) return;
    const input = job.input as { prompt?: string; loras?: Array<{ path?: string }>; image_size?: string };
    const prompt = String(input.prompt ?? "");
    const crops = this.#crops.get(String(input.loras?.[0]?.path ?? "")) ?? [];
    const count = Math.min(4, Math.max(1, Number(job.input.num_images ?? 1)));
    const size = SIZES[String(input.image_size)] ?? { width: 768, height: 768 };
    const seed = Number(job.input.seed ?? 0);
    const images = [];
    for (let i = 0; i < count; i++) {
      const base = crops.length > 0 ? await decode(crops[(seed + i) % crops.length] as Uint8Array) : blank();
      const picture = await framed(gradeFor(prompt, i)(base), size.width, size.height, i);
      const url = `${this.#options.mediaOrigin}/files/images/${job.id}_${i}.jpg`;
      const bytes = new Uint8Array(await encodeJpegRaster(picture, 88));
      this.#fal.media.set(url, { bytes, contentType: "image/jpeg" });
      images.push({ url, width: size.width, height: size.height, content_type: "image/jpeg" });
    }
    this.#fal.succeed(job.id, {
      images,
      timings: { inference: 2.4 },
      seed,
      has_nsfw_concepts: images.map(() => false),
      prompt,
    });
    await this.#deliver(job);
  }

  /** fal-ai/flux-pulid: one picture from the reference photo (a data URI), graded by the prompt. */
  async #preview(job: QueueJob): Promise<void> {
    await sleep(1500);
    job.state = "IN_PROGRESS";
    job.logs.push("Encoding the reference face");
    await sleep(2000);
    const input = job.input as { prompt?: string; reference_image_url?: string; image_size?: string; seed?: number };
    const reference = String(input.reference_image_url ?? "");
    const comma = reference.indexOf(",");
    const bytes = comma > 0 ? Uint8Array.from(atob(reference.slice(comma + 1)), (c) => c.charCodeAt(0)) : null;
    const base = bytes ? await decode(bytes) : blank();
    const prompt = String(input.prompt ?? "");
    const size = SIZES[String(input.image_size)] ?? { width: 672, height: 896 };
    const picture = await framed(gradeFor(prompt, 0)(base), size.width, size.height, 0);
    const url = `${this.#options.mediaOrigin}/files/images/${job.id}_preview.jpg`;
    this.#fal.media.set(url, { bytes: new Uint8Array(await encodeJpegRaster(picture, 88)), contentType: "image/jpeg" });
    this.#fal.succeed(job.id, {
      images: [{ url, width: size.width, height: size.height, content_type: "image/jpeg" }],
      timings: { inference: 3.1 },
      seed: Number(input.seed ?? 0),
      has_nsfw_concepts: [false],
      prompt,
    });
    await this.#deliver(job);
  }

  /** The training archive, fetched from the Worker's signed link as fal fetches it. */
  async #downloadCrops(url: string): Promise<Uint8Array[] | null> {
    try {
      const response = await fetch(url);
      if (!response.ok) return null;
      const files = unzipSync(new Uint8Array(await response.arrayBuffer()));
      return Object.entries(files)
        .filter(([name]) => /\.jpe?g$/i.test(name))
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([, bytes]) => bytes);
    } catch (error) {
      this.#options.log(`fal demo: could not download the training archive: ${String(error)}`);
      return null;
    }
  }

  /** fal's signed webhook to the URL the job was submitted with. */
  async #deliver(job: QueueJob): Promise<void> {
    if (!job.webhookUrl) return;
    const response = await fetch(await this.#fal.webhook(job.id));
    if (!response.ok) this.#options.log(`fal demo: webhook for ${job.id} answered ${response.status}`);
  }
}

async function decode(jpeg: Uint8Array): Promise<Raster> {
  return decodeJpegRaster(jpeg);
}

function blank(): Raster {
  return { data: new Uint8ClampedArray(64 * 64 * 4).fill(160), width: 64, height: 64 };
}

/** Crops the picture to the requested aspect (a little differently for each image) and scales it. */
async function framed(image: Raster, width: number, height: number, index: number): Promise<Raster> {
  const scale = Math.min(image.width / width, image.height / height) * (1 - 0.06 * (index % 3));
  const cropWidth = Math.max(1, Math.floor(width * scale));
  const cropHeight = Math.max(1, Math.floor(height * scale));
  const left = Math.floor(((image.width - cropWidth) * (1 + (index % 2))) / 3);
  const top = Math.floor((image.height - cropHeight) / 3);
  const data = new Uint8ClampedArray(cropWidth * cropHeight * 4);
  for (let y = 0; y < cropHeight; y++) {
    const from = ((top + y) * image.width + left) * 4;
    data.set(image.data.subarray(from, from + cropWidth * 4), y * cropWidth * 4);
  }
  return resizeRaster({ data, width: cropWidth, height: cropHeight }, width, height);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
