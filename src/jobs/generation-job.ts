import { InlineKeyboard } from "grammy";
import { cb } from "../bot/callback-data";
import { escapeHtml, type Messages, messagesFor } from "../bot/locales";
import { notEnoughScreen } from "../bot/screens/credits";
import { againKeyboard, pictureCaption } from "../bot/screens/pictures";
import type { GenerationStatus } from "../domain/avatar";
import type { AspectRatio, AvatarPhoto, Generation, GenerationOptions, Language } from "../domain/entities";
import { type FailureReason, reasonForStatus } from "../domain/failure-reason";
import { generationDeadline, isActiveGeneration } from "../domain/generation-lifecycle";
import type { LedgerOutcome } from "../domain/ledger";
import { coachedPhoto, photoAdvice } from "../domain/likeness-coach";
import { FalRequestError } from "../domain/ports";
import { presetById, subjectFor } from "../domain/presets";
import { generationPrice } from "../domain/prices";
import { generatedKey } from "../domain/storage-keys";
import { toBase64 } from "../fal/face-detector";
import { FalGenerator, GENERATION_ENDPOINT, type GenerationOutput, PREVIEW_ENDPOINT } from "../fal/generator";
import { errorFields, log } from "../log";
import { jobLimitFor } from "../services/access";
import { AvatarService } from "../services/avatar-service";
import { CreditService, type PaidJob, type Settlement } from "../services/credit-service";
import { previewChain, previewOffer } from "../services/preview-offer";
import { NO_FAL_KEY } from "../services/training-service";
import type { Room } from "./room";

/** How often an active generation is looked at when no webhook has arrived. */
const POLL_MS = 5000;
/** Tries at copying and sending the pictures before the generation ends with them in the gallery. */
const MAX_DELIVERY_ATTEMPTS = 3;
/** How far a button's chain of intents is followed before a tap counts as new regardless. */
const MAX_INTENT_HOPS = 50;
/** A picture fal made that has not downloaded in this long is tried again on the next round. */
const DOWNLOAD_TIMEOUT_MS = 30_000;

export interface GenerationRequest {
  chatId: number;
  language: Language;
  prompt: string;
  preset: string | null;
  aspect: AspectRatio;
  count: number;
  /**
   * Names the user's one intent: a button under one message (`tap:<chat>:<message>:<data>`) or
   * one typed prompt (`update:<update_id>`), so a redelivered update or a double tap is one job.
   */
  intentKey: string;
  /** The Telegram id whose credits pay for it; without one nothing is held. */
  payer?: number;
}

export type QueueResult =
  | { kind: "queued"; id: string }
  | { kind: "duplicate"; id: string }
  | { kind: "not_ready" }
  | { kind: "busy"; max: number }
  | { kind: "insufficient"; price: number; available: number }
  /** The user's MAX_GENERATIONS_PER_HOUR is reached; one more fits at `retryAt` (epoch ms). */
  | { kind: "limited"; max: number; retryAt: number };

/**
 * A generation, from the user's tap to the pictures in the chat: one fal job per intent, every
 * step a status-guarded move of generation-lifecycle.ts, every wait bounded by its deadline.
 */
export class GenerationJobs {
  constructor(private readonly room: Room) {}

  async queue(avatarId: string, userId: string, request: GenerationRequest): Promise<QueueResult> {
    const { repo, settings } = this.room;
    // Another user's avatar reads as a missing one (a DomainError), never as "not trained".
    const avatar = await new AvatarService(repo, this.room.objects, settings.avatar).getOwned(avatarId, userId);
    if (avatar.status !== "COMPLETED" || !avatar.finetuneId) return { kind: "not_ready" };
    const now = new Date();
    // A button's intents form a chain: a tap while its last generation is active is the same
    // intent (a double tap); a tap after it ended is a new one, keyed after the one it follows.
    let intentKey = request.intentKey;
    for (let hop = 0; hop < MAX_INTENT_HOPS; hop++) {
      const found = await repo.findGenerationByIntent(intentKey);
      if (!found) break;
      if (isActiveGeneration(found.status)) return { kind: "duplicate", id: found.id };
      intentKey = `${request.intentKey}>${found.id}`;
    }
    if ((await repo.countActiveGenerations(userId)) >= settings.maxConcurrentGenerations)
      return { kind: "busy", max: settings.maxConcurrentGenerations };
    const id = crypto.randomUUID();
    // In a private chat the chat is the user: the limit is the sender's (none for an admin).
    const limit = jobLimitFor(settings, request.chatId, "generation");
    if (limit) {
      const claim = await repo.claimJobStart({ id, userId, kind: "generation", startedAt: now }, limit);
      if (!claim.claimed) {
        await repo.incrementCounter("limit_hits", "generation");
        return { kind: "limited", max: limit.max, retryAt: claim.retryAt.getTime() };
      }
    }
    const existing = await repo.insertGeneration(
      {
        id,
        avatarId,
        userId,
        prompt: request.prompt,
        preset: request.preset,
        options: {
          aspect: request.aspect,
          count: request.count,
          chatId: request.chatId,
          language: request.language,
          ...(request.payer === undefined ? {} : { payer: request.payer }),
        } satisfies GenerationOptions,
        seed: crypto.getRandomValues(new Uint32Array(1))[0] ?? 1,
        intentKey,
        deadlineAt: generationDeadline("QUEUED", now, settings.generationTimeoutSeconds) as Date,
      },
      now,
    );
    if (!existing.created) {
      if (limit) await repo.releaseJobStart(id);
      return { kind: "duplicate", id: existing.row.id };
    }
    // Held with the intent recorded, before fal is called; a hold the credits do not cover leaves nothing.
    const held = await this.#hold(existing.row);
    if (!held.applied) {
      await repo.deleteGeneration(existing.row.id);
      if (limit) await repo.releaseJobStart(id);
      return {
        kind: "insufficient",
        price: generationPrice(settings.credits, request.count),
        available: held.balance.available,
      };
    }
    log("info", "generation_queued", { avatarId, generationId: existing.row.id, preset: request.preset });
    await this.room.wake("generations", Date.now());
    return { kind: "queued", id: existing.row.id };
  }

  /**
   * A preview before training, from the avatar's best photo: a generation like the others (the same
   * lifecycle, deadline, sweep and webhook), drawn by fal-ai/flux-pulid. Its intent chain names the
   * avatar, so a double tap or a redelivered update finds the one that runs; the first delivered one
   * may be free (PREVIEW_FREE_ONCE), a failed or flagged one does not count, and a paid one is held,
   * charged and released like a picture (ledger keys `preview:<id>:…`).
   */
  async queuePreview(avatarId: string, userId: string, request: PreviewRequest): Promise<PreviewQueueResult> {
    const { repo, settings } = this.room;
    const avatar = await new AvatarService(repo, this.room.objects, settings.avatar).getOwned(avatarId, userId);
    const preset = presetById(request.preset);
    if (avatar.status !== "READY_FOR_TRAINING" || !preset || preset.for !== "person") return { kind: "not_ready" };
    const chain = await previewChain(repo, avatarId);
    if (chain.active) return { kind: "duplicate", id: chain.active.id };
    const offer = previewOffer(settings, chain.delivered);
    if (offer.kind === "used") return { kind: "used" };
    if (offer.kind === "none") return { kind: "not_ready" };
    // Never more than the user was shown: the free one delivered meanwhile, or a new price, asks again.
    const price = offer.kind === "paid" ? offer.credits : 0;
    if (price !== request.shownPrice) return { kind: "price_changed", price };
    const photos = (await repo.listPhotos(avatarId, 0, settings.avatar.MAX_PHOTOS_PER_AVATAR)).items;
    const best = bestPhoto(photos);
    if (!best?.photoMetadata.processedKey) return { kind: "no_photo" };
    if ((await repo.countActiveGenerations(userId)) >= settings.maxConcurrentGenerations)
      return { kind: "busy", max: settings.maxConcurrentGenerations };
    const now = new Date();
    const existing = await repo.insertGeneration(
      {
        id: crypto.randomUUID(),
        avatarId,
        userId,
        // No trigger word: the identity comes from the reference photo, not a LoRA.
        prompt: preset.prompt("a", subjectFor(avatar.gender)),
        preset: preset.id,
        options: {
          aspect: "3:4",
          count: 1,
          chatId: request.chatId,
          language: request.language,
          // A payer only on a paid preview: a free one holds nothing.
          ...(offer.kind === "paid" ? { payer: request.payer } : {}),
          preview: { referenceKey: best.photoMetadata.processedKey },
        } satisfies GenerationOptions,
        seed: crypto.getRandomValues(new Uint32Array(1))[0] ?? 1,
        intentKey: chain.nextKey,
        deadlineAt: generationDeadline("QUEUED", now, settings.generationTimeoutSeconds) as Date,
      },
      now,
    );
    if (!existing.created) return { kind: "duplicate", id: existing.row.id };
    // As for pictures: held with the intent recorded, before fal is called; not covered, it leaves nothing.
    const held = await this.#hold(existing.row);
    if (!held.applied) {
      await repo.deleteGeneration(existing.row.id);
      return { kind: "insufficient", price, available: held.balance.available };
    }
    log("info", "preview_queued", { avatarId, generationId: existing.row.id, preset: preset.id, paid: offer.kind });
    await this.room.wake("generations", Date.now());
    return { kind: "queued", id: existing.row.id };
  }

  /** The alarm's round: submits what is queued, polls what runs, delivers what is done. */
  async advance(): Promise<void> {
    const { repo } = this.room;
    for (const generation of await repo.listActiveGenerations(this.room.avatarId)) {
      try {
        await this.#step(generation);
      } catch (error) {
        // A failure of ours (storage, database): logged; the next round or the deadline settles it.
        log("error", "generation_step_failed", { generationId: generation.id, ...errorFields(error) });
      }
    }
    if ((await repo.listActiveGenerations(this.room.avatarId)).length > 0)
      await this.room.wake("generations", Date.now() + POLL_MS);
  }

  /**
   * fal's answer for a generation, from its webhook or a poll. `null` output: fal said it finished
   * but could not attach the output, so it is fetched from the queue.
   */
  async result(generationId: string, requestId: string, output: GenerationOutput | null): Promise<void> {
    const { repo } = this.room;
    let generation = await repo.findGeneration(generationId);
    if (!generation) return;
    if (generation.status === "SUBMITTING" && !generation.falRequestId) {
      // The object restarted between fal's answer to the submit and our record of it.
      if (!(await repo.updateGenerationIf(generation.id, "SUBMITTING", { status: "RUNNING", falRequestId: requestId })))
        return;
      generation = { ...generation, status: "RUNNING", falRequestId: requestId };
    }
    if (generation.status !== "RUNNING" || generation.falRequestId !== requestId) return;
    const settled = output ?? (await new FalGenerator(this.room.settings).poll(requestId, endpointOf(generation)));
    if (settled) await this.#settle(generation, settled);
  }

  async #step(generation: Generation): Promise<void> {
    const { options } = generation;
    if (generation.deadlineAt && generation.deadlineAt.getTime() < Date.now()) return this.#expire(generation);
    switch (generation.status) {
      case "QUEUED":
        await this.#submit(generation);
        return;
      case "SUBMITTING":
        // Never submitted twice: fal's webhook (its URL names this generation) or the deadline ends it.
        return;
      case "RUNNING": {
        if (!generation.falRequestId) return;
        const output = await new FalGenerator(this.room.settings).poll(generation.falRequestId, endpointOf(generation));
        if (output) await this.#settle(generation, output);
        else await this.room.notifier.action(options.chatId, "upload_photo");
        return;
      }
      case "DELIVERING":
        await this.#deliver(generation);
        return;
      default:
        return;
    }
  }

  async #submit(generation: Generation): Promise<void> {
    const { repo, settings } = this.room;
    const avatar = await repo.findAvatar(generation.avatarId);
    if (!settings.falKey) return this.#fail(generation, "QUEUED", "not_configured", NO_FAL_KEY);
    if (generation.options.preview) return this.#submitPreview(generation, generation.options.preview.referenceKey);
    if (!avatar?.finetuneId) return this.#fail(generation, "QUEUED", "no_model", "the avatar has no trained model");
    // A restart between the intent and its hold: hold now (a no-op when already held).
    if (!(await this.#hold(generation)).applied) return this.#fail(generation, "QUEUED", "no_credits");
    const now = new Date();
    // The intent, written before fal is called: a restart after this point never submits again.
    const claimed = await repo.updateGenerationIf(generation.id, "QUEUED", {
      status: "SUBMITTING",
      startedAt: now,
      deadlineAt: generationDeadline("SUBMITTING", now, settings.generationTimeoutSeconds),
    });
    if (!claimed) return;
    const { options } = generation;
    const webhook = `${settings.publicUrl}/fal/webhook?generation=${generation.id}`;
    const request = {
      prompt: generation.prompt,
      loraUrl: avatar.finetuneId,
      loraScale: 1,
      aspect: options.aspect,
      count: options.count,
      seed: generation.seed ?? 1,
    };
    await this.#sent(generation, "generation_submitted", () => new FalGenerator(settings).submit(request, webhook));
  }

  /** Sends the claimed submission to fal and records its request id; a refusal ends it with its reason. */
  async #sent(generation: Generation, event: string, send: () => Promise<string>): Promise<void> {
    let requestId: string;
    try {
      requestId = await send();
    } catch (error) {
      const reason = error instanceof FalRequestError ? reasonForStatus(error.status) : "busy";
      return this.#fail(generation, "SUBMITTING", reason, error instanceof Error ? error.message : String(error));
    }
    await this.room.repo.updateGenerationIf(generation.id, "SUBMITTING", {
      status: "RUNNING",
      falRequestId: requestId,
    });
    log("info", event, { avatarId: generation.avatarId, generationId: generation.id, requestId });
  }

  /** The preview's submission: the same intent-before-call guard as #submit, to fal-ai/flux-pulid. */
  async #submitPreview(generation: Generation, referenceKey: string): Promise<void> {
    const { repo, settings } = this.room;
    const reference = await this.room.objects.get(referenceKey);
    if (!reference) return this.#fail(generation, "QUEUED", "rejected", "the reference photo is gone");
    // A restart between the intent and its hold: hold now (a no-op when already held or free).
    if (!(await this.#hold(generation)).applied) return this.#fail(generation, "QUEUED", "no_credits");
    const bytes = new Uint8Array(await reference.arrayBuffer());
    const now = new Date();
    const claimed = await repo.updateGenerationIf(generation.id, "QUEUED", {
      status: "SUBMITTING",
      startedAt: now,
      deadlineAt: generationDeadline("SUBMITTING", now, settings.generationTimeoutSeconds),
    });
    if (!claimed) return;
    const webhook = `${settings.publicUrl}/fal/webhook?generation=${generation.id}`;
    const request = {
      prompt: generation.prompt,
      referenceImageUrl: `data:image/jpeg;base64,${toBase64(bytes)}`,
      aspect: generation.options.aspect,
      seed: generation.seed ?? 1,
    };
    await this.#sent(generation, "preview_submitted", () => new FalGenerator(settings).submitPreview(request, webhook));
  }

  /** fal has finished: a failure ends the generation, pictures move it to delivery. */
  async #settle(generation: Generation, output: GenerationOutput): Promise<void> {
    if (output.kind === "failed") return this.#fail(generation, "RUNNING", output.reason, output.detail);
    const safe = output.images.filter((image) => !image.nsfw);
    if (safe.length === 0) return this.#fail(generation, "RUNNING", "nsfw");
    const moved = await this.room.repo.updateGenerationIf(generation.id, "RUNNING", {
      status: "DELIVERING",
      falOutput: { images: output.images, seed: output.seed },
      deadlineAt: generationDeadline("DELIVERING", new Date(), this.room.settings.generationTimeoutSeconds),
    });
    if (!moved) return;
    const delivering = await this.room.repo.findGeneration(generation.id);
    if (delivering) await this.#deliver(delivering);
  }

  /**
   * Copies the pictures into storage (keys named by the generation: a retry overwrites, never
   * orphans), then sends them once. A user who blocked the bot still has them in the gallery.
   */
  async #deliver(generation: Generation): Promise<void> {
    const { repo, objects: storage, notifier } = this.room;
    let { options } = generation;
    const images = (generation.falOutput?.images ?? []).filter((image) => !image.nsfw);
    const attempt = generation.attempts + 1;
    if (!(await repo.updateGenerationIf(generation.id, "DELIVERING", { attempts: attempt }))) return;
    const last = attempt >= MAX_DELIVERY_ATTEMPTS;

    let pictures: Uint8Array[];
    let keys = generation.resultKeys;
    if (keys.length === images.length && keys.length > 0) {
      pictures = await Promise.all(
        keys.map(async (key) => new Uint8Array(await ((await storage.get(key))?.arrayBuffer() ?? new ArrayBuffer(0)))),
      );
    } else {
      try {
        pictures = await Promise.all(images.map((image) => download(image.url)));
      } catch (error) {
        log("warn", "generation_download_failed", { generationId: generation.id, attempt, ...errorFields(error) });
        if (last) await this.#fail(generation, "DELIVERING", "delivery");
        return;
      }
      keys = images.map((_, i) => generatedKey(generation.userId, generation.avatarId, generation.id, i + 1));
      for (const [i, key] of keys.entries()) await storage.put(key, pictures[i] as Uint8Array, "image/jpeg");
      // Recorded with the keys: however the generation ends, its row holds what is stored (/metrics reads it).
      options = { ...options, bytes: pictures.reduce((sum, picture) => sum + picture.byteLength, 0) };
      await repo.updateGenerationIf(generation.id, "DELIVERING", { resultKeys: keys, options });
    }

    const t = messagesFor(options.language);
    const avatar = await repo.findAvatar(generation.avatarId);
    const caption = options.preview
      ? t.preview.caption(
          escapeHtml(avatar?.name ?? ""),
          presetById(generation.preset ?? "")?.title[options.language] ?? "",
        )
      : pictureCaption(
          t,
          options.language,
          { name: avatar?.name ?? null, triggerWord: avatar?.triggerWord ?? "" },
          generation,
        );
    const told = await notifier.sendPictures(options.chatId, pictures, caption, keyboardFor(t, generation));
    if (told.kind === "failed" && !last) return;
    const flagged = (generation.falOutput?.images.length ?? 0) - images.length;
    const completed = await repo.completeGeneration(
      generation.id,
      {
        resultKeys: keys,
        options: {
          ...options,
          fileIds: told.kind === "sent" ? (told.fileIds ?? []) : [],
          flagged,
          delivered: told.kind === "sent",
        } satisfies GenerationOptions,
      },
      new Date(),
    );
    log("info", "generation_completed", {
      avatarId: generation.avatarId,
      generationId: generation.id,
      images: keys.length,
      delivered: told.kind,
    });
    // Charged for the pictures it made and kept; those held back go back to the balance.
    const settled = completed ? await this.#charge(generation, keys.length) : { charged: 0, released: 0 };
    if (settled.released > 0 && told.kind === "sent") {
      await notifier.send(options.chatId, {
        text: (flagged > 0 ? t.credits.heldBackReturned : t.credits.fewerReturned)(settled.released),
        keyboard: keyboardFor(t, generation),
      });
    }
    if (told.kind === "sent" && pictures.length > 1 && !options.preview) {
      await notifier.send(options.chatId, {
        text: t.generate.menu(escapeHtml(avatar?.name ?? "")),
        keyboard: againKeyboard(t, generation),
      });
    }
  }

  /**
   * Past its deadline: pictures already stored end in the gallery (the user is told where to find
   * them); anything else fails with "it took too long".
   */
  async #expire(generation: Generation): Promise<void> {
    log("warn", "generation_overdue", { generationId: generation.id, status: generation.status });
    if (generation.status === "DELIVERING" && generation.resultKeys.length > 0 && !generation.options.preview) {
      const { options } = generation;
      const done = await this.room.repo.completeGeneration(
        generation.id,
        { resultKeys: generation.resultKeys, options: { ...options, fileIds: [], delivered: false } },
        new Date(),
      );
      if (done) {
        await this.#charge(generation, generation.resultKeys.length);
        const t = messagesFor(options.language);
        await this.room.notifier.send(options.chatId, {
          text: t.generate.inGallery,
          keyboard: againKeyboard(t, generation),
        });
      }
      return;
    }
    await this.#fail(generation, generation.status, "timed_out");
  }

  /** Ends a generation that cannot succeed and says why; the status guard makes it happen once. */
  async #fail(
    generation: Generation,
    from: GenerationStatus,
    reason: FailureReason | "nsfw" | "no_credits",
    detail: string = reason,
  ): Promise<void> {
    const ended = await this.room.repo.updateGenerationIf(generation.id, from, {
      status: "FAILED",
      error: reason,
      completedAt: new Date(),
      deadlineAt: null,
      falOutput: null,
    });
    if (!ended) return;
    log("warn", "generation_failed", {
      avatarId: generation.avatarId,
      generationId: generation.id,
      reason,
      error: detail,
    });
    const { options } = generation;
    const t = messagesFor(options.language);
    const { released } = await this.#charge(generation, 0);
    if (reason === "no_credits") {
      const { available } = await this.#credits().balance(options.payer ?? 0);
      const line = options.preview
        ? t.credits.previewCosts(this.room.settings.credits.preview, available)
        : t.credits.picturesCost(generationPrice(this.room.settings.credits, options.count), available);
      await this.room.notifier.send(options.chatId, notEnoughScreen(t, line));
      return;
    }
    const texts = options.preview ? t.preview : t.generate;
    const said = reason === "nsfw" ? texts.nsfw : texts.failed(t.reasons[reason]);
    const text = released > 0 ? `${said}\n\n${t.credits.returned(released)}` : said;
    await this.room.notifier.send(options.chatId, { text, keyboard: keyboardFor(t, generation) });
  }

  /** Holds the price of every picture asked for, or of a paid preview; nothing is held without a payer. */
  async #hold(generation: Generation): Promise<LedgerOutcome> {
    const { payer, count, preview } = generation.options;
    const { credits } = this.room.settings;
    const price = preview ? credits.preview : generationPrice(credits, count);
    if (payer === undefined) return { applied: true, balance: await this.#credits().balance(0) };
    return this.#credits().reserve(payer, paidJobOf(generation), generation.id, price, generation.id);
  }

  /** Charges the pictures `kept` of those asked for and gives the rest back. */
  async #charge(generation: Generation, kept: number): Promise<Settlement> {
    return this.#credits().settle(paidJobOf(generation), generation.id, kept, generation.options.count);
  }

  #credits(): CreditService {
    return new CreditService(this.room.repo, this.room.settings.credits);
  }
}

export interface PreviewRequest {
  chatId: number;
  language: Language;
  preset: string;
  /** The Telegram id whose credits pay for a paid preview. */
  payer: number;
  /** What the user was shown the preview costs (0: free). */
  shownPrice: number;
}

export type PreviewQueueResult =
  | { kind: "queued"; id: string }
  | { kind: "duplicate"; id: string }
  | { kind: "used" }
  | { kind: "no_photo" }
  | { kind: "not_ready" }
  | { kind: "busy"; max: number }
  | { kind: "insufficient"; price: number; available: number }
  | { kind: "price_changed"; price: number };

/** Whose ledger keys a generation's credits move under: a preview's are `preview:<id>:…`, apart from pictures'. */
export function paidJobOf(generation: Generation): PaidJob {
  return generation.options.preview ? "preview" : "generation";
}

function endpointOf(generation: Generation): string {
  return generation.options.preview ? PREVIEW_ENDPOINT : GENERATION_ENDPOINT;
}

/** Under a preview, the way on is training; under pictures, making more. */
function keyboardFor(t: Messages, generation: Generation): InlineKeyboard {
  if (!generation.options.preview) return againKeyboard(t, generation);
  return new InlineKeyboard()
    .text(t.training.train, cb("train", { avatarId: generation.avatarId }))
    .row()
    .text(t.menu.myAvatars, cb("avatars", { page: 0 }));
}

/** The photo a preview is drawn from: no advice, then the largest face, then the best quality. */
export function bestPhoto(photos: readonly AvatarPhoto[]): AvatarPhoto | undefined {
  const rank = (photo: AvatarPhoto) => {
    const box = photo.photoMetadata.faceBox;
    return [
      -photoAdvice(coachedPhoto(photo)).length,
      box ? Math.round(box.width * box.height * 100) : 0,
      photo.qualityScore ?? 0,
    ];
  };
  return [...photos].sort((a, b) => {
    const [x, y] = [rank(a), rank(b)];
    for (let i = 0; i < x.length; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (y[i] ?? 0) - (x[i] ?? 0);
    return a.uploadOrder - b.uploadOrder;
  })[0];
}

async function download(url: string): Promise<Uint8Array> {
  const response = await fetch(url, { signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) });
  if (!response.ok) throw new Error(`fal image download answered ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}
