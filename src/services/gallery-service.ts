import type { Generation } from "../domain/entities";
import { DomainError } from "../domain/errors";
import type { ObjectStorage } from "../domain/object-storage";
import type { Page, Repository } from "../domain/repository";
import { type PreviewChain, previewChain } from "./preview-offer";

/** One screen of the gallery: its sets, newest first, and whether there are more on either side. */
export interface GalleryPage {
  items: Generation[];
  newer: boolean;
  older: boolean;
}

/** Where a gallery page starts: next to a set already shown, on its older or its newer side. */
export interface GalleryEdge {
  at: Date;
  side: "older" | "newer";
}

/** A picture to send: Telegram's file id when it has one, else the stored bytes; null when neither is left. */
export type PictureSource = string | Uint8Array | null;

/** The pictures a user has made: the gallery's pages, one generation, and deleting one. */
export class GalleryService {
  constructor(
    private readonly repo: Repository,
    private readonly storage: ObjectStorage,
  ) {}

  /** A generation of the user's own; anything else reads as a missing avatar. */
  async getOwned(generationId: string, userId: string): Promise<Generation> {
    const generation = await this.findOwned(generationId, userId);
    if (!generation) throw new DomainError("avatar_not_found", "generation not found");
    return generation;
  }

  /** A generation of the user's own, or null when it is gone or someone else's (both read the same). */
  async findOwned(generationId: string, userId: string): Promise<Generation | null> {
    const generation = await this.repo.findGeneration(generationId);
    return generation && generation.userId === userId ? generation : null;
  }

  /** The avatar's previews before training so far: whether one is being made, whether one was delivered. */
  async previewChain(avatarId: string): Promise<PreviewChain> {
    return previewChain(this.repo, avatarId);
  }

  /** The avatar's succeeded generations, newest first. */
  async list(avatarId: string, offset: number, limit: number): Promise<Page<Generation>> {
    return this.repo.listGenerations(avatarId, offset, limit);
  }

  /** `size` sets next to `edge` (the newest when there is none), and whether more lie either side. */
  async page(avatarId: string, edge: GalleryEdge | null, size: number): Promise<GalleryPage> {
    const beside = (at: Date, side: GalleryEdge["side"], limit: number) =>
      this.repo.listGenerationsBeside(avatarId, at, side, limit);
    let items = edge ? await beside(edge.at, edge.side, size) : [];
    // No edge, or nothing left on that side (deleted since): the newest sets.
    if (items.length === 0) items = await beside(new Date(8.64e15), "older", size);
    const first = items[0];
    const last = items.at(-1);
    if (!first || !last) return { items, newer: false, older: false };
    const [newer, older] = await Promise.all([beside(first.createdAt, "newer", 1), beside(last.createdAt, "older", 1)]);
    return { items, newer: newer.length > 0, older: older.length > 0 };
  }

  /** The avatar's sets still being made (shown as such, never deletable yet). */
  async making(avatarId: string): Promise<Generation[]> {
    return this.repo.listActiveGenerations(avatarId);
  }

  /** Each picture of a set as it can be sent: by `fileIds` Telegram already has, or from storage. */
  async pictures(
    generation: Generation,
    { fromStorage = false, count = Number.POSITIVE_INFINITY } = {},
  ): Promise<PictureSource[]> {
    const fileIds = generation.options.fileIds ?? [];
    return Promise.all(
      generation.resultKeys.slice(0, count).map(async (key, i) => {
        const fileId = fileIds[i];
        if (fileId && !fromStorage) return fileId;
        const object = await this.storage.get(key);
        return object ? new Uint8Array(await object.arrayBuffer()) : null;
      }),
    );
  }

  /** Removes the pictures, then the row: a failure part-way leaves the row, so it can be deleted again. */
  async delete(generation: Generation): Promise<void> {
    if (generation.resultKeys.length > 0) await this.storage.delete(generation.resultKeys);
    await this.repo.deleteGeneration(generation.id);
  }
}
